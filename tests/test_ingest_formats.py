"""Web pages, PDFs and Word files through the CLI: ingest a folder, list, show, check with pages."""

from __future__ import annotations

import json

from assistant.documents import SourceDocument
from assistant.ingest import ingest_document

from .layouts import SEED, news_page_html, seed_docx, two_column_pdf
from .test_readers import _scan_pdf

RUTTE = "NATO-General Mark Rutte wurde zum neuen Chef des Militärbündnisses."


def _reply(n: int = 1) -> dict:
    return {
        "statements": [
            {"text": "Rutte leads NATO.", "sentences": [n], "verdict": "supported", "confidence": 0.8}
        ]
    }


def test_a_folder_of_formats_goes_in_file_by_file_and_the_bad_ones_are_named(run, tmp_path):
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "musk-nato.html").write_text(news_page_html(), "utf-8")
    layout = two_column_pdf()
    (folder / "musk-nato.pdf").write_bytes(layout.data)
    seed_docx(folder / "musk-nato.docx")
    (folder / "scan.pdf").write_bytes(_scan_pdf())
    (folder / "broken.docx").write_bytes(b"PK\x03\x04" + b"\x00garbage" * 20)
    (folder / "saved.pdf").write_bytes(b"<!DOCTYPE html><html><body><p>Fehler 404</p></body></html>")
    code, out, err = run("ingest", str(folder))
    assert code == 2
    for name in ("musk-nato.html", "musk-nato.pdf", "musk-nato.docx"):
        assert f"added  {name}" in out
    skipped = [line for line in err.splitlines() if line.startswith("skipped")]
    assert len(skipped) == 3
    assert any(
        "scan.pdf: the PDF has no text layer" in line and "OCR is not done" in line for line in skipped
    )
    assert any("broken.docx: corrupt Word file" in line for line in skipped)
    assert any("saved.pdf: the name says a PDF but the content is an HTML page" in line for line in skipped)

    code, out, _ = run("docs", "--json")
    docs = {d["doc_id"]: d for d in json.loads(out)}
    assert sorted(docs) == ["musk-nato.docx", "musk-nato.html", "musk-nato.pdf"]  # nothing of the bad ones
    pdf = docs["musk-nato.pdf"]
    assert (pdf["format"], pdf["pages"]) == ("pdf", layout.pages) and pdf["sentences"] >= 43
    assert (docs["musk-nato.html"]["format"], docs["musk-nato.html"]["pages"]) == ("html", None)
    assert docs["musk-nato.docx"]["format"] == "docx"

    code, out, _ = run("show", "musk-nato.pdf")
    assert code == 0
    stored = out[:-1]  # printed with one line break after it
    assert len(stored) == pdf["characters"]
    code, out, _ = run("show", "musk-nato.pdf", "--start", "10", "--end", "60", "--json")
    shown = json.loads(out)
    assert shown["text"] == stored[10:60] and shown["page"] == 1 and shown["format"] == "pdf"
    code, _, err = run("show", "musk-nato.pdf", "--start", "50", "--end", "10")
    assert code == 2 and "is not a range of musk-nato.pdf" in err


def test_evidence_from_a_pdf_matches_its_stored_text_and_names_its_page(run, tmp_path, fake_chat_model):
    layout = two_column_pdf()
    path = tmp_path / "musk-nato.pdf"
    path.write_bytes(layout.data)
    assert run("ingest", str(path))[0] == 0
    stored = run("show", "musk-nato.pdf")[1][:-1]
    seed = SEED.read_text("utf-8")

    fake_chat_model.enqueue(_reply())
    code, out, _ = run("check", "--json", "--doc", "musk-nato.pdf", RUTTE)
    assert code == 0
    ev = json.loads(out)["statements"][0]["evidence"][0]
    assert stored[ev["start"] : ev["end"]] == ev["text"]
    assert ev["page"] == layout.page_of[seed.index(ev["text"])]  # the page the layout set it on

    fake_chat_model.enqueue(_reply())
    report = tmp_path / "report.html"
    code, out, _ = run("check", "--doc", "musk-nato.pdf", "--html", str(report), RUTTE)
    assert code == 0 and f"musk-nato.pdf  page {ev['page']}  sentence" in out
    assert f"musk-nato.pdf</b> · page {ev['page']} · sentence" in report.read_text("utf-8")


def test_evidence_from_text_has_no_page(run, fake_chat_model):
    assert run("ingest", str(SEED))[0] == 0
    fake_chat_model.enqueue(_reply())
    code, out, _ = run("check", "--json", RUTTE)
    ev = json.loads(out)["statements"][0]["evidence"][0]
    assert "page" not in ev
    code, out, _ = run("docs", "--json")
    doc = json.loads(out)[0]
    assert (doc["format"], doc["pages"], doc["characters"]) == ("text", None, len(SEED.read_text("utf-8")))


def test_a_record_from_before_the_readers_reads_as_text(store, fake_embeddings, seed_text):
    doc = SourceDocument("old.txt", "/x/old.txt", "Alt", "de", seed_text, "a" * 64)
    ingest_document(store, doc, fake_embeddings.embed_documents)
    meta = store._documents.get(ids=["old.txt"], include=["metadatas"])["metadatas"][0]
    old = {k: v for k, v in meta.items() if k not in ("format", "chars", "page_starts")}
    store._documents.upsert(ids=["old.txt"], embeddings=[[1.0]], documents=[seed_text], metadatas=[old])
    listed = store.list_documents()[0]
    assert (listed.format, listed.pages, listed.chars) == ("text", None, len(seed_text))
    got = store.get_document("old.txt")
    assert got is not None and got.page_at(100) is None and got.text == seed_text
