"""The HTML report: one self-contained page a reporter can open, read in context and send to an editor.

Each claim with its verdict and confidence, each statement, and its evidence highlighted inside its paragraph
of the source document, with the document name and character offsets; statements set aside and dropped
citations are shown as such. The evaluation page adds the metrics, the confusion matrix, a reliability
diagram and every item the pipeline got wrong. Inline CSS and SVG only: no external assets, no JavaScript.
The template (``templates/report.html.j2``) is rendered with autoescape on, so an article's text is always
shown as text.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from .errors import InputError
from .evaluation import metrics as M
from .evaluation.report import failed_items, judged_items
from .render import VERDICT_LABEL, VERDICT_MARK
from .schemas import CheckResult, Evidence
from .wording import pipeline_words

#: Characters of context kept either side of a span when its paragraph is longer than this.
MAX_PASSAGE_CHARS = 1200
CONTEXT_CHARS = 500
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
#: A document text by id, or None when it is no longer in the index (the span alone is shown then).
TextLookup = Callable[[str], str | None]


@dataclass(frozen=True)
class Passage:
    """A span in its paragraph: ``text[start:end] == span``; ``before``/``after``: the paragraph around it."""

    doc_id: str
    doc_name: str
    start: int
    end: int
    sentence_id: int | None
    before: str
    span: str
    after: str
    #: The text around the span could not be read (document removed or changed): only the span is shown.
    span_only: bool = False
    #: The page the span starts on (PDF evidence), else None.
    page: int | None = None


def passage(doc_id: str, doc_name: str, text: str | None, start: int, end: int, span: str,
            sentence_id: int | None = None) -> Passage:  # fmt: skip
    """The paragraph of ``text`` around ``[start, end)`` (trimmed around the span when it is long)."""
    if text is None or text[start:end] != span:
        return Passage(doc_id, doc_name, start, end, sentence_id, "", span, "", span_only=True)
    para_start = max((m.end() for m in _PARAGRAPH_BREAK.finditer(text, 0, start)), default=0)
    following = _PARAGRAPH_BREAK.search(text, end)
    para_end = following.start() if following else len(text)
    a, b = para_start, para_end
    if b - a > MAX_PASSAGE_CHARS:
        a, b = max(a, start - CONTEXT_CHARS), min(b, end + CONTEXT_CHARS)
    before = ("…" if a > para_start else "") + text[a:start].lstrip()
    after = text[end:b].rstrip() + ("…" if b < para_end else "")
    return Passage(doc_id, doc_name, start, end, sentence_id, before, span, after)


def _evidence_passage(ev: Evidence, texts: TextLookup) -> Passage:
    found = passage(
        ev.doc_id, _basename(ev.doc_path), texts(ev.doc_id), ev.start, ev.end, ev.text, ev.sentence_id
    )
    return dataclasses.replace(found, page=ev.page) if ev.page is not None else found


# ---- the check report ----------------------------------------------------------------------------


def _claim_view(result: CheckResult, texts: TextLookup, kind: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "text": result.claim,
        "verdict": result.verdict,
        "confidence": result.confidence,
        "uncertain": result.uncertain,
        "statements": [
            {
                "text": st.text,
                "verdict": st.verdict,
                "confidence": st.confidence,
                "note": st.note,
                "evidence": [_evidence_passage(ev, texts) for ev in st.evidence],
            }
            for st in result.statements
        ],
        "set_aside": result.set_aside,
        "corrections": [
            {
                "confirmed": c.confirmed,
                "reason": c.reason,
                "evidence": [_evidence_passage(ev, texts) for ev in c.evidence],
            }
            for c in result.corrections
        ],
        "dropped": result.dropped_citations,
        "footer": f"{result.model} · {pipeline_words(result.pipeline)} · "
        f"{result.timings_ms.get('total', 0) / 1000:.1f} s",
    }


def check_report_html(
    results: Sequence[CheckResult],
    texts: TextLookup,
    *,
    title: str = "factcheck report",
    kinds: Sequence[str] | None = None,
) -> str:
    """The page for checked claims (or chat turns: ``kinds`` says "claim" or "question" per result)."""
    claims = [_claim_view(r, texts, kinds[i] if kinds else "claim") for i, r in enumerate(results)]
    verdicts = [r.verdict for r in results]
    noun = "turn" if kinds else "claim"
    return _render(
        title=title,
        claims=claims,
        counted=f"{len(results)} {noun if len(results) == 1 else noun + 's'}",
        summary=", ".join(
            f"{verdicts.count(v)} {VERDICT_LABEL[v].lower()}" for v in VERDICT_LABEL if v in verdicts
        ),
        evaluation=None,
    )


# ---- the evaluation report ----------------------------------------------------------------------


def reliability_svg_data(confidences: Sequence[float], correct: Sequence[bool]) -> list[dict[str, float]]:
    """One bar per non-empty bin of the ECE: its range, size, accuracy and mean confidence."""
    return [
        {"lo": b.lo, "hi": b.hi, "n": b.count, "accuracy": b.accuracy, "confidence": b.mean_confidence}
        for b in M.calibration_bins(confidences, correct)
        if b.count
    ]


def _failed_items(report: dict[str, Any], texts: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for item in failed_items(report):
        result = item.get("result") or {}
        gold = [
            passage(doc, doc, texts.get(doc), start, end, texts.get(doc, "")[start:end])
            for doc, start, end in item.get("gold_spans", [])
        ]
        cited = [
            _evidence_passage(Evidence(**ev), lambda d: texts.get(d))
            for st in result.get("statements", [])
            for ev in st.get("evidence", [])
        ]
        rows.append(
            {
                "id": item["id"],
                "claim": item.get("claim") or result.get("claim", ""),
                "gold": item["gold"],
                "pred": item["pred"],
                "confidence": item["confidence"],
                "error": item.get("error"),
                "gold_evidence": gold,
                "cited": _unique(cited),
            }
        )
    return rows


def _unique(passages: Iterable[Passage]) -> list[Passage]:
    seen: dict[tuple[str, int, int], Passage] = {}
    for p in passages:
        seen.setdefault((p.doc_id, p.start, p.end), p)
    return list(seen.values())


#: Headline rows of the metrics table: (label, report key).
EVAL_METRICS = (
    ("verdict accuracy", "verdict_accuracy"),
    ("macro-F1", "macro_f1"),
    ("balanced accuracy", "balanced_accuracy"),
    ("not_enough_info recall", "nei_recall"),
    ("refuted recall", "refuted_recall"),
    ("recall@5 (gold evidence retrieved)", "recall_at_5"),
    ("MRR", "mrr"),
    ("evidence F1 (sentences)", "evidence_f1"),
    ("span F1 (characters)", "span_f1"),
    ("span validity", "span_validity"),
    ("strict score", "strict_score"),
    ("ECE", "ece"),
    ("Brier", "brier"),
    ("confidence AUROC", "confidence_auroc"),
    ("selective accuracy, 50% most confident", "selective_accuracy_50"),
    ("selective accuracy, 80% most confident", "selective_accuracy_80"),
    ("schema failure rate", "schema_failure_rate"),
    ("latency p50 (s)", "latency_p50_s"),
)


def eval_report_html(report: dict[str, Any], title: str, texts: dict[str, str]) -> str:
    """The evaluation page: metrics, confusion, reliability diagram and every item the pipeline got wrong."""
    judged = judged_items(report)
    bins = reliability_svg_data([i["confidence"] for i in judged], [i["pred"] == i["gold"] for i in judged])
    labels = list(report.get("confusion", {}))
    evaluation = {
        "metrics": [
            (label, report.get(key), report.get("confidence_intervals", {}).get(key))
            for label, key in EVAL_METRICS
        ],
        "per_class": report.get("per_class", {}),
        "labels": labels,
        "confusion": report.get("confusion", {}),
        "bins": bins,
        "n_judged": len(judged),
        "failed": _failed_items(report, texts),
        "config": report.get("config", {}),
        "n_items": report.get("n_items", 0),
        "gate": report.get("gate") or [],
    }
    return _render(title=title, claims=[], counted="", summary="", evaluation=evaluation)


# ---- rendering and writing -----------------------------------------------------------------------


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("assistant", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.globals.update(MARK=VERDICT_MARK, LABEL=VERDICT_LABEL)
    return env


def _render(**context: Any) -> str:
    return (
        _env()
        .get_template("report.html.j2")
        .render(generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), **context)
    )


def _num(x: Any, digits: int = 3) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def write_html(path: Path, html: str) -> None:
    """Write the page whole (a temporary file, then a rename); an unwritable path is an InputError."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(html)
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]
