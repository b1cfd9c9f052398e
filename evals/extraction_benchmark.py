"""Extraction quality and speed of the format readers on the seed article laid out as real files.

The seed (seeds/musk-nato.de.txt) is laid out as a saved news page with menus, cookie banner, scripts,
related links, comments and a footer, as a two-column PDF with running header, footer, page numbers,
hyphenation and ligatures, and as a Word file (tests/layouts.py builds them, the same pages the reader tests
assert on). For each layout:

- **sentences recovered**: share of the seed's sentences (as the splitter cuts the .txt) that are, whole and
  exact, a sentence of the stored text;
- **boilerplate indexed**: share of the strings the layout put around the article found in the stored text;
- **span validity**: share of retrieved sentences (top 10 of every seed claim) whose offsets cut exactly
  their text out of the stored text and that the citation check (``verify_citation``) accepts;
- **recall@5** of the gold evidence, by ``factcheck eval --retrieval-only``'s own code (EvalJob): the gold
  quotes of evals/seed_claims.jsonl are looked up in the layout's stored text (a quote not found there counts
  as unmapped) and the dataset is scored against a corpus of that one file;
- **speed**: reading (extraction) and ingesting (reading, splitting, embedding, writing) per PDF page, for the
  seed repeated ten times laid out as PDF, HTML, DOCX and as .txt of the same extracted text.

Needs the real embedder: run under the model lock, e.g.
``flock /tmp/factcheck-model.lock python evals/extraction_benchmark.py``.
Writes evals/results/extraction.md (with the command and commit) and prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.spans import verify_citation  # noqa: E402

from assistant.documents import SourceDocument  # noqa: E402
from assistant.readers import read_document  # noqa: E402
from assistant.sentences import split_sentences  # noqa: E402
from tests.layouts import (  # noqa: E402
    DOCX_BOILERPLATE,
    HTML_BOILERPLATE,
    PDF_BOILERPLATE,
    SEED,
    news_page_html,
    seed_docx,
    two_column_pdf,
)

CLAIMS = ROOT / "evals" / "seed_claims.jsonl"
OUT = ROOT / "evals" / "results" / "extraction.md"
#: Times the seed is repeated for the speed measurement (a 20-page PDF).
SPEED_REPEAT = 10


def build_layouts(folder: Path, seed: str) -> dict[str, tuple[Path, tuple[str, ...]]]:
    """The seed as .txt, .html, .pdf and .docx in ``folder``: format -> (file, boilerplate put around it)."""
    stem = "musk-nato.de"
    txt, page, pdf, word = (folder / f"{stem}.{s}" for s in ("txt", "html", "pdf", "docx"))
    txt.write_text(seed, "utf-8")
    page.write_text(news_page_html(seed), "utf-8")
    pdf.write_bytes(two_column_pdf(seed).data)
    seed_docx(word, seed)
    return {
        "txt": (txt, ()),
        "html": (page, HTML_BOILERPLATE),
        "pdf": (pdf, PDF_BOILERPLATE),
        "docx": (word, DOCX_BOILERPLATE),
    }


def recovery(doc: SourceDocument, seed: str) -> float:
    """Share of the seed's sentences that are exactly a sentence of the stored text."""
    stored = {s.text for s in split_sentences(doc.text)}
    wanted = split_sentences(seed)
    return sum(s.text in stored for s in wanted) / len(wanted)


def boilerplate_share(doc: SourceDocument, boilerplate: tuple[str, ...]) -> float | None:
    """Share of the boilerplate strings found anywhere in the stored text (None: the layout has none)."""
    if not boilerplate:
        return None
    squashed = " ".join(doc.text.split())
    return sum(" ".join(b.split()) in squashed for b in boilerplate) / len(boilerplate)


def remapped_dataset(doc: SourceDocument, folder: Path) -> tuple[Path, Path, int, int]:
    """The seed claims with their gold quotes located in ``doc``'s stored text, the corpus folder holding
    only ``doc``'s file, how many quotes were not found there, and how many items lost all their gold
    quotes (left out of the dataset; :func:`retrieval_recall` counts them as misses)."""
    corpus = folder / "corpus"
    corpus.mkdir()
    (corpus / doc.name).write_bytes(Path(doc.path).read_bytes())
    unmapped = lost = 0
    lines = []
    for line in CLAIMS.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        evidence = []
        for ev in item["evidence"]:
            at = doc.text.find(ev["quote"])
            if at < 0:
                unmapped += 1
                continue
            evidence.append({"quote": ev["quote"], "start": at, "end": at + len(ev["quote"])})
        if item["evidence"] and not evidence:
            lost += 1
            continue
        item["evidence"], item["doc"] = evidence, doc.name
        lines.append(json.dumps(item, ensure_ascii=False))
    dataset = folder / "claims.jsonl"
    dataset.write_text("\n".join(lines) + "\n", "utf-8")
    return dataset, corpus, unmapped, lost


def retrieval_recall(doc: SourceDocument, home: Path, split: str | None) -> tuple[float, float, int]:
    """recall@5 (dense) and MRR of ``factcheck eval --retrieval-only`` over the remapped seed claims (an
    item whose gold quotes are all missing from the stored text counts as 0), and the quotes not found.
    ``split`` is ``--split``: ``test`` is the half the CI gate scores (its recall@5 of 0.969 is there)."""
    from assistant.app import App
    from assistant.config import resolve_settings
    from assistant.evaluation.job import EvalJob, EvalOptions

    folder = Path(tempfile.mkdtemp(dir=home))
    dataset, corpus, unmapped, lost = remapped_dataset(doc, folder)
    settings = resolve_settings(home=str(home))
    options = EvalOptions(
        dataset=dataset, corpus=corpus, retrieval_only=True, embedders=[settings.embedder], split=split
    )
    job = EvalJob(App(settings), options)
    report = job.run(None).report
    # recall@k averages over the items with gold evidence; an item lost is missed in every split
    scored = sum(1 for item in job.dataset.items if any(item.evidence_sets))
    total = scored + lost
    return report["recall_at_5"] * scored / total, report["mrr"] * scored / total, unmapped


def span_validity(doc: SourceDocument, store_home: Path) -> tuple[float, int]:
    """Ingest ``doc`` into a fresh index with the real embedder; share of the top-10 hits of every seed
    claim that the citation check accepts, and how many hits there were."""
    from assistant.config import resolve_settings
    from assistant.embeddings import get_embedder
    from assistant.ingest import ingest_document
    from assistant.store import SentenceStore

    settings = resolve_settings(home=str(store_home))
    embedder = get_embedder(settings.embedder)
    store = SentenceStore(str(store_home / f"spans-{doc.format}"), settings.embedder)
    ingest_document(store, doc, embedder.embed_documents)
    ok = total = 0
    for line in CLAIMS.read_text("utf-8").splitlines():
        if line.strip():
            claim = json.loads(line)["claim"]
            for hit in store.search(embedder.embed_query(claim), 10, doc_id=doc.doc_id):
                total += 1
                span = verify_citation(doc.text, hit)
                ok += span is not None and doc.text[span.start : span.end] == hit.text
    return ok / total, total


def speed(folder: Path, seed: str, home: Path, runs: int) -> dict[str, dict[str, float]]:
    """Seconds per PDF page to read and to ingest the seed ×SPEED_REPEAT in each format."""
    from assistant.config import resolve_settings
    from assistant.embeddings import get_embedder
    from assistant.ingest import ingest_document
    from assistant.store import SentenceStore

    long_seed = "\n\n".join([seed.strip()] * SPEED_REPEAT)
    layouts = build_layouts(folder, long_seed)
    pages = len(read_document(layouts["pdf"][0]).page_starts)
    # .txt of the text the PDF reader stores: the same words, without a layout to undo.
    layouts["txt"][0].write_text(read_document(layouts["pdf"][0]).text, "utf-8")
    settings = resolve_settings(home=str(home))
    embedder = get_embedder(settings.embedder)
    embedder.embed_documents(["warm-up"])
    out: dict[str, dict[str, float]] = {}
    for fmt, (path, _) in layouts.items():
        reads = []
        for _ in range(runs):
            t = time.perf_counter()
            doc = read_document(path)
            reads.append(time.perf_counter() - t)
        ingests = []
        for n in range(runs):
            store = SentenceStore(str(home / f"speed-{fmt}-{n}"), settings.embedder)
            t = time.perf_counter()
            ingest_document(store, read_document(path), embedder.embed_documents)
            ingests.append(time.perf_counter() - t)
        out[fmt] = {
            "read_ms_per_page": 1000 * statistics.median(reads) / pages,
            "ingest_ms_per_page": 1000 * statistics.median(ingests) / pages,
            "chars": len(doc.text),
            "pages": pages,
        }
    return out


def commit() -> str:
    """The commit measured, marked when the working tree differs from it."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return git("rev-parse", "--short", "HEAD") + (
        " (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else ""
    )


def main() -> None:
    """Measure, write evals/results/extraction.md and print it."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="Timed runs per format (median reported).")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    measured = commit()  # before any file is written
    seed = SEED.read_text("utf-8")
    rows = []
    with tempfile.TemporaryDirectory(prefix="extraction-") as tmp:
        tmp_path = Path(tmp)
        layouts = build_layouts(tmp_path, seed)
        for fmt, (path, boilerplate) in layouts.items():
            print(f"measuring {fmt}…", file=sys.stderr)
            doc = read_document(path)
            home = tmp_path / f"home-{fmt}"
            home.mkdir()
            r5, mrr, unmapped = retrieval_recall(doc, home, "test")
            r5_all, mrr_all, _ = retrieval_recall(doc, home, None)
            valid, hits = span_validity(doc, home)
            rows.append(
                {
                    "format": fmt,
                    "pages": len(doc.page_starts) or None,
                    "sentences": len(split_sentences(doc.text)),
                    "recovered": recovery(doc, seed),
                    "boilerplate": boilerplate_share(doc, boilerplate),
                    "n_boilerplate": len(boilerplate),
                    "recall_at_5": r5,
                    "mrr": mrr,
                    "recall_at_5_all": r5_all,
                    "mrr_all": mrr_all,
                    "unmapped": unmapped,
                    "span_validity": valid,
                    "hits": hits,
                }
            )
        speed_dir = tmp_path / "speed"
        speed_dir.mkdir()
        timings = speed(speed_dir, seed, tmp_path, args.runs)
    report = render(rows, timings, args.runs, measured)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, "utf-8")
    print(report)


def render(rows: list[dict], timings: dict[str, dict[str, float]], runs: int, measured: str) -> str:  # type: ignore[type-arg]
    """The results file."""

    def f(x: float | None, nd: int = 3) -> str:
        return "–" if x is None else f"{x:.{nd}f}"

    base = next(r for r in rows if r["format"] == "txt")
    lines = [
        "# Extraction of saved web pages, PDFs and Word files (issue 31)",
        "",
        "Command: `flock /tmp/factcheck-model.lock python evals/extraction_benchmark.py"
        + (f" --runs {runs}" if runs != 3 else "")
        + "`",
        f"Commit: {measured}",
        "",
        "The seed article (seeds/musk-nato.de.txt, 43 sentences) laid out by tests/layouts.py: a saved news "
        "page (menus, cookie banner, scripts, related links, comments, footer: "
        f"{len(HTML_BOILERPLATE)} boilerplate strings), a two-column PDF (running header, footer with page "
        "numbers, justified text hyphenated at line ends, some with soft hyphens, ligature glyphs, photo "
        "captions; a paragraph across the page break) and a Word file (headings, a table, page header and "
        "footer). Recall@5 and MRR: `factcheck eval --retrieval-only`'s code (dense, default embedder, "
        "within the document) over evals/seed_claims.jsonl with each gold quote located in the layout's "
        "stored text; the test split is the half `make eval-ci` scores, all items are the 120. Span "
        "validity: "
        "the top 10 sentences retrieved for every claim, each cut from the stored text at its offsets and "
        "accepted by the citation check (`verify_citation`).",
        "",
        "| layout | pages | sentences | seed sentences recovered exactly | boilerplate indexed | recall@5 "
        "test split (Δ vs .txt) | MRR test | recall@5 / MRR all items | gold quotes not found "
        "| span validity (hits) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        delta = (
            ""
            if r["format"] == "txt" or r["recall_at_5"] is None
            else f" ({r['recall_at_5'] - base['recall_at_5']:+.3f})"
        )
        bp = "–" if r["boilerplate"] is None else f"{r['boilerplate']:.3f} of {r['n_boilerplate']}"
        lines.append(
            f"| {r['format']} | {r['pages'] or '–'} | {r['sentences']} | {f(r['recovered'])} | {bp} | "
            f"{f(r['recall_at_5'])}{delta} | {f(r['mrr'])} | {f(r['recall_at_5_all'])} / {f(r['mrr_all'])} | "
            f"{r['unmapped']} | "
            f"{f(r['span_validity'])} ({r['hits']}) |"
        )
    pages = int(next(iter(timings.values()))["pages"])
    lines += [
        "",
        f"Speed: the seed ×{SPEED_REPEAT} ({pages} PDF pages) in each format, median of {runs} runs, "
        "milliseconds per PDF page; ingest = read, split, embed (default embedder, CPU), write to a fresh "
        "index. The .txt holds the text the PDF reader stores.",
        "",
        "| format | characters stored | read ms/page | ingest ms/page | ingest vs .txt |",
        "|---|---|---|---|---|",
    ]
    txt_ingest = timings["txt"]["ingest_ms_per_page"]
    for fmt, t in timings.items():
        lines.append(
            f"| {fmt} | {int(t['chars'])} | {t['read_ms_per_page']:.1f} | {t['ingest_ms_per_page']:.1f} | "
            f"{t['ingest_ms_per_page'] / txt_ingest:.2f}× |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
