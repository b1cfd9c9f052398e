"""The HTML report: highlighted spans equal the source at their offsets, article text is escaped, and the page
loads in a real headless Chromium (screenshots land in index/reports/, a CI artifact)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from assistant.check import Checker
from assistant.documents import load_document
from assistant.evaluation.report import build_report
from assistant.evaluation.runner import ItemRecord
from assistant.html_report import check_report_html, eval_report_html, passage
from assistant.ingest import ingest_document
from assistant.retrieve import SentenceRetriever

from .conftest import ROOT, SEED

REPORTS = ROOT / "index" / "reports"
EVIL = (
    "Der Bürgermeister sagte <script>alert('x')</script> am Montag, die Brücke sei sicher.\n\nZweiter Absatz."
)


class Page(HTMLParser):
    """Collects every <mark> (its data attributes and text), the <script> elements and all visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[dict[str, str]] = []
        self.scripts = 0
        self.external: list[str] = []
        self.text: list[str] = []
        self._in_mark: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "mark":
            self._in_mark = {**{k: v or "" for k, v in a.items()}, "text": ""}
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            if a.get(key):
                self.external.append(a[key])

    def handle_endtag(self, tag):
        if tag == "mark" and self._in_mark is not None:
            self.marks.append(self._in_mark)
            self._in_mark = None

    def handle_data(self, data):
        self.text.append(data)
        if self._in_mark is not None:
            self._in_mark["text"] += data


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def _reply(*statements):
    return {"statements": list(statements)}


def _st(text, sentences, verdict="supported", confidence=0.9):
    return {"text": text, "sentences": sentences, "verdict": verdict, "confidence": confidence}


@pytest.fixture
def results(seeded_store, fake_embeddings, structured_fake, fake_chat_model, tmp_path):
    evil = tmp_path / "evil.txt"
    evil.write_text(EVIL, encoding="utf-8")
    ingest_document(seeded_store, load_document(evil), fake_embeddings.embed_documents)
    retriever = SentenceRetriever(store=seeded_store, embeddings=fake_embeddings, k=5)
    checker = Checker(seeded_store, retriever, structured_fake, pipeline="check.v1")
    fake_chat_model.enqueue(
        _reply(_st("Congress passed a law in 2023.", [1, 9]), _st("Musk leads NATO.", [2], "refuted", 0.7)),
        _reply(_st("The mayor said the bridge is safe.", [1])),
    )
    first = checker.check("Im Jahr 2023 verabschiedete der US-Kongress eine Gesetzesergänzung")
    second = checker.check("Der Bürgermeister sagte am Montag, die Brücke sei sicher", doc_id="evil.txt")
    texts = {"musk-nato.de.txt": SEED.read_text("utf-8"), "evil.txt": EVIL}
    return [first, second], texts


def test_every_highlight_is_the_source_at_its_offsets(results):
    (first, second), texts = results
    html = check_report_html([first, second], texts.get, title="Report")
    page = parse(html)
    cited = [ev for r in (first, second) for st in r.statements for ev in st.evidence]
    assert len(page.marks) == len(cited) >= 3
    for mark, ev in zip(page.marks, cited, strict=True):
        assert mark["data-doc"] == ev.doc_id
        assert mark["text"] == texts[ev.doc_id][int(mark["data-start"]) : int(mark["data-end"])] == ev.text
    shown = "".join(page.text)
    assert f"chars {cited[0].start}–{cited[0].end}" in shown and "musk-nato.de.txt" in shown
    assert "1 citation dropped" in shown  # sentence 9 was not shown to the model (k=5)
    assert "✘ REFUTED" in shown and "✔ SUPPORTED" in shown


def test_article_markup_is_shown_as_text_and_the_page_needs_nothing_external(results):
    (_, second), texts = results
    html = check_report_html([second], texts.get)
    page = parse(html)
    assert page.scripts == 0 and page.external == []
    assert "<script>alert('x')</script>" in "".join(page.text)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_a_span_is_shown_inside_its_paragraph():
    text = "Erster Absatz.\n\nZweiter Satz hier. Der zitierte Satz steht da. Noch einer.\n\nDritter Absatz."
    start = text.index("Der zitierte")
    end = text.index("da.") + 3
    p = passage("d", "d.txt", text, start, end, text[start:end])
    assert (p.before, p.span, p.after) == (
        "Zweiter Satz hier. ",
        "Der zitierte Satz steht da.",
        " Noch einer.",
    )
    gone = passage("d", "d.txt", "changed text", start, end, text[start:end])
    assert gone.span_only and gone.before == gone.after == ""


def _record(i, gold, pred, confidence):
    key = ("musk-nato.de.txt", i)
    return ItemRecord(
        id=f"c{i}", kind="claim", lang="en", gold=gold, source_label=None, claim=f"claim number {i} <b>",
        gold_sets=[{key}] if gold != "not_enough_info" else [],
        gold_spans=[("musk-nato.de.txt", 0, 120)] if gold != "not_enough_info" else [],
        ranked={"pipeline": [key]}, pred=pred, confidence=confidence, latency_s=1.0,
    )  # fmt: skip


@pytest.fixture
def eval_report():
    records = [
        _record(1, "supported", "supported", 0.82),
        _record(2, "refuted", "supported", 0.61),
        _record(3, "supported", "refuted", 0.55),
        _record(4, "refuted", "refuted", 0.85),
    ]
    return build_report(records, {"pipeline": "check.v6", "commit": "abc", "split": "test"})


def test_eval_page_has_metrics_confusion_reliability_and_failed_items(eval_report):
    texts = {"musk-nato.de.txt": SEED.read_text("utf-8")}
    html = eval_report_html(eval_report, "seed", texts)
    page = parse(html)
    shown = "".join(page.text)
    assert "verdict accuracy" in shown and "0.500" in shown
    assert html.count('class="bin"') == 3  # 0.55, 0.61 and 0.82 + 0.85: three non-empty bins
    assert "Items the pipeline got wrong (2)" in shown
    assert "claim number 2 <b>" in shown and "&lt;b&gt;" in html
    # no not_enough_info items: its recall is not a number
    assert shown.count("n/a") >= 3
    assert [m["text"] for m in page.marks] == [texts["musk-nato.de.txt"][0:120]] * 2


# ---- a real browser --------------------------------------------------------------------------------


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if found := shutil.which(name):
            return found
    return None


def _browse(html_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    chromium = _chromium()
    if chromium is None:
        pytest.skip("chromium not found (Debian: apt-get install -y chromium; .ci/run installs it)")
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", *args, html_file.as_uri()],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip


def test_the_report_loads_in_headless_chromium(results, eval_report, tmp_path):
    (first, second), texts = results
    page_file = tmp_path / "report.html"
    page_file.write_text(check_report_html([first, second], texts.get, title="Report"), encoding="utf-8")
    dom = _browse(page_file, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = parse(dom.stdout)
    assert page.marks and page.scripts == 0
    for mark in page.marks:
        assert mark["text"] == texts[mark["data-doc"]][int(mark["data-start"]) : int(mark["data-end"])]
    assert "<script>alert('x')</script>" in "".join(page.text)

    REPORTS.mkdir(parents=True, exist_ok=True)
    eval_file = tmp_path / "eval.html"
    eval_file.write_text(eval_report_html(eval_report, "seed", texts), encoding="utf-8")
    for source, shot in ((page_file, REPORTS / "check-report.png"), (eval_file, REPORTS / "eval-report.png")):
        shot.unlink(missing_ok=True)
        done = _browse(source, f"--screenshot={shot}", "--window-size=1200,1600")
        assert done.returncode == 0, done.stderr[-2000:]
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
