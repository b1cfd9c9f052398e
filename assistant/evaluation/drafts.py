"""Score whole-draft checking on gold drafts (``factcheck eval FILE --format drafts --corpus DIR``).

A gold draft is one JSON line: ``{"id", "lang", "text", "claims": [{"start", "end", "text", "label",
"evidence": [{"quote", "start", "end"}]}], "filler": [{"start", "end", "text"}]}``; ``claims`` are the
check-worthy sentences with their gold verdicts and evidence offsets in a corpus document, ``filler`` the
sentences that are not check-worthy. Every offset is verified when the file is read.

Metrics (over all drafts of the split):

- claim detection: a gold claim is *found* when a detected claim covers at least half of it; a detected claim
  that covers no gold claim that way is a false positive. Recall = found / gold claims, precision = detected
  claims that cover one / detected claims;
- verdict accuracy and macro-F1 on the found claims (the gold claim's label against the detected claim's
  verdict);
- evidence recall: of the gold evidence spans of found supported/refuted claims, the share that a cited span
  of the detected claim overlaps;
- span validity, draft side (``draft[start:end] == text`` for every claim and skipped sentence) and source
  side (``source[start:end] == text`` for every cited span, re-checked here);
- seconds per claim: checking time over the claims checked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..app import App
from ..check import Checker
from ..errors import InputError
from ..retrieve import SentenceRetriever
from ..schemas import VERDICTS
from . import metrics as M
from .datasets import _doc_holding, _is_int, _jsonl_span, _load_corpus, _read_records
from .items import CorpusDocument, EvalDataset, GoldSpan
from .provenance import git_commit
from .runner import ingest_corpus, open_eval_store, select_split

FORMAT = "drafts"
#: A detected claim finds a gold claim when it covers at least this share of the gold claim's characters.
MIN_COVER = 0.5
_KEYS = {"id", "lang", "text", "claims", "filler"}


@dataclass(frozen=True)
class GoldClaim:
    """A check-worthy sentence of a gold draft: ``draft[start:end] == text``."""

    start: int
    end: int
    text: str
    label: str
    evidence: tuple[GoldSpan, ...]


@dataclass(frozen=True)
class GoldDraft:
    """A gold draft (``id`` also picks its split, as the seed claims' ids do)."""

    id: str
    lang: str
    text: str
    claims: tuple[GoldClaim, ...]
    filler: tuple[tuple[int, int], ...]


def _span(rec: object, where: str, text: str) -> tuple[int, int, str]:
    if not isinstance(rec, dict) or not _is_int(rec.get("start")) or not _is_int(rec.get("end")):
        raise InputError(f"{where}: needs integer start and end")
    start, end, said = rec["start"], rec["end"], rec.get("text")
    if not 0 <= start < end <= len(text) or text[start:end] != said:
        raise InputError(f"{where}: text does not match draft[{start}:{end}]")
    return start, end, said


def load_drafts(path: Path, corpus: Path) -> tuple[list[GoldDraft], dict[str, CorpusDocument]]:
    """The gold drafts of ``path`` and the corpus their evidence offsets refer to, every offset verified."""
    docs = _load_corpus(corpus)
    drafts: list[GoldDraft] = []
    for where, rec in _read_records(path):
        if set(rec) != _KEYS:
            raise InputError(f"{where}: a gold draft has exactly the keys {', '.join(sorted(_KEYS))}")
        if not isinstance(rec["id"], str) or not rec["id"] or not isinstance(rec["text"], str):
            raise InputError(f"{where}: id and text must be non-empty strings")
        where = f"{where}: draft {rec['id']}"
        claims = []
        for n, c in enumerate(rec["claims"]):
            start, end, said = _span(c, f"{where}: claims[{n}]", rec["text"])
            if c.get("label") not in VERDICTS or not isinstance(c.get("evidence"), list):
                raise InputError(f"{where}: claims[{n}]: label must be one of {', '.join(VERDICTS)}")
            ev = c["evidence"]
            spans: tuple[GoldSpan, ...] = ()
            if ev:
                doc = _doc_holding(ev, docs, f"{where}: claims[{n}]")
                spans = tuple(_jsonl_span(e, i, doc, f"{where}: claims[{n}]") for i, e in enumerate(ev))
            claims.append(GoldClaim(start, end, said, c["label"], spans))
        filler = tuple(
            _span(f, f"{where}: filler[{n}]", rec["text"])[:2] for n, f in enumerate(rec["filler"])
        )
        drafts.append(GoldDraft(rec["id"], str(rec["lang"]), rec["text"], tuple(claims), filler))
    if not drafts:
        raise InputError(f"{path}: holds no drafts")
    if len({d.id for d in drafts}) != len(drafts):
        raise InputError(f"{path}: two drafts share an id")
    return drafts, docs


@dataclass
class ClaimScore:
    """One gold claim: found or not, and for a found one the verdict and evidence it got."""

    draft: str
    text: str
    gold: str
    found: bool
    pred: str | None = None
    confidence: float = 0.0
    gold_evidence: int = 0
    evidence_hits: int = 0


@dataclass
class DraftScore:
    """What was measured on one draft."""

    id: str
    lang: str
    claims: list[ClaimScore] = field(default_factory=list)
    detected: int = 0
    detected_true: int = 0
    draft_spans: int = 0
    draft_spans_valid: int = 0
    source_spans: int = 0
    source_spans_valid: int = 0
    checked: int = 0
    check_s: float = 0.0
    first_verdict_s: float | None = None
    skipped: list[dict[str, Any]] = field(default_factory=list)


def _covers(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """``a`` covers at least :data:`MIN_COVER` of ``b``."""
    return min(a[1], b[1]) - max(a[0], b[0]) >= MIN_COVER * (b[1] - b[0])


def score_draft(gold: GoldDraft, result: Any, texts: dict[str, str]) -> DraftScore:
    """Score one :class:`~assistant.draft.DraftResult` against its gold draft."""
    score = DraftScore(gold.id, gold.lang)
    detected = [(c.start, c.end) for c in result.claims]
    # Claims not checked (failed, beyond a limit, interrupted) were still detected.
    detected += [
        (s.start, s.end) for s in result.skipped if s.reason.startswith(("check failed", "not checked"))
    ]
    score.detected = len(detected)
    score.detected_true = sum(any(_covers(d, (g.start, g.end)) for g in gold.claims) for d in detected)
    for span in [*result.claims, *result.skipped]:
        score.draft_spans += 1
        score.draft_spans_valid += gold.text[span.start : span.end] == span.text
    for g in gold.claims:
        match = next((c for c in result.claims if _covers((c.start, c.end), (g.start, g.end))), None)
        cs = ClaimScore(gold.id, g.text, g.label, found=match is not None or any(
            _covers(d, (g.start, g.end)) for d in detected))  # fmt: skip
        if match is not None:
            cs.pred, cs.confidence = match.verdict, match.confidence
            cited = [ev for st in match.statements for ev in st.evidence]
            if g.label != "not_enough_info":
                cs.gold_evidence = len(g.evidence)
                cs.evidence_hits = sum(
                    any(ev.doc_id == e.doc and min(ev.end, e.end) > max(ev.start, e.start) for ev in cited)
                    for e in g.evidence
                )
        score.claims.append(cs)
    for c in result.claims:
        for st in c.statements:
            for ev in st.evidence:
                score.source_spans += 1
                score.source_spans_valid += texts.get(ev.doc_id, "")[ev.start : ev.end] == ev.text
    score.checked = result.summary.checked
    score.check_s = result.timings_ms.get("check", 0.0) / 1000
    if "first_verdict" in result.timings_ms:
        score.first_verdict_s = result.timings_ms["first_verdict"] / 1000
    score.skipped = [{"text": s.text, "reason": s.reason} for s in result.skipped]
    return score


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


def build_drafts_report(scores: list[DraftScore], config: dict[str, Any]) -> dict[str, Any]:
    """The report: the metrics of the module docstring, 95% intervals over claims, per-draft detail."""
    claims = [c for s in scores for c in s.claims]
    found = [c for c in claims if c.pred is not None]
    verdicts = M.classification_report([c.gold for c in found], [c.pred or "" for c in found])
    detected = sum(s.detected for s in scores)
    gold_ev = sum(c.gold_evidence for c in found)
    checked = sum(s.checked for s in scores)
    report: dict[str, Any] = {
        "config": config,
        "n_drafts": len(scores),
        "n_gold_claims": len(claims),
        "n_detected": detected,
        "n_found": sum(c.found for c in claims),
        "claim_detection_recall": _ratio(sum(c.found for c in claims), len(claims)),
        "claim_detection_precision": _ratio(sum(s.detected_true for s in scores), detected),
        "verdict_accuracy": verdicts["accuracy"] if found else None,
        "macro_f1": verdicts["macro_f1"] if found else None,
        "per_class": verdicts["per_class"],
        "confusion": verdicts["confusion"],
        "evidence_recall": _ratio(sum(c.evidence_hits for c in found), gold_ev),
        "draft_span_validity": _ratio(
            sum(s.draft_spans_valid for s in scores), sum(s.draft_spans for s in scores)
        ),
        "source_span_validity": _ratio(
            sum(s.source_spans_valid for s in scores), sum(s.source_spans for s in scores)
        ),
        "seconds_per_claim": _ratio(sum(s.check_s for s in scores), checked),
        "confidence_intervals": {
            "claim_detection_recall": list(
                M.bootstrap_ci(claims, lambda cs: sum(c.found for c in cs) / len(cs))
            ),
            "verdict_accuracy": list(
                M.bootstrap_ci(found, lambda cs: sum(c.gold == c.pred for c in cs) / len(cs))
            ),
        },
        "drafts": [asdict(s) for s in scores],
    }
    if report["source_span_validity"] is None:  # nothing cited: nothing can be invalid
        report["source_span_validity"] = 1.0
    return report


METRICS = (
    ("claim detection recall", "claim_detection_recall"),
    ("claim detection precision", "claim_detection_precision"),
    ("verdict accuracy (found claims)", "verdict_accuracy"),
    ("macro-F1 (found claims)", "macro_f1"),
    ("evidence recall", "evidence_recall"),
    ("span validity, draft side", "draft_span_validity"),
    ("span validity, source side", "source_span_validity"),
    ("seconds per claim", "seconds_per_claim"),
)


def drafts_markdown(report: dict[str, Any], title: str) -> str:
    """The report as Markdown: config, metrics with intervals, per draft, the gate, every claim got wrong."""
    c = report["config"]
    lines = [
        f"# Draft evaluation: {title}",
        "",
        f"{report['n_drafts']} drafts, {report['n_gold_claims']} gold claims, "
        f"{report['n_detected']} detected · "
        f"split {c.get('split')} · pipeline {c.get('pipeline')} · model {c.get('model')} · embedder "
        f"{c.get('embedder')} · commit `{c.get('commit')}`",
        "",
        "| metric | value | 95% interval |",
        "|---|---|---|",
    ]
    for label, key in METRICS:
        value = report.get(key)
        ci = report["confidence_intervals"].get(key)
        shown = "n/a" if value is None else f"{value:.3f}"
        lines.append(f"| {label} | {shown} | {f'{ci[0]:.3f}–{ci[1]:.3f}' if ci else ''} |")
    lines += ["", "| draft | lang | gold claims | found | right verdicts | detected | first verdict (s) |",
              "|---|---|---|---|---|---|---|"]  # fmt: skip
    for d in report["drafts"]:
        right = sum(x["pred"] == x["gold"] for x in d["claims"])
        first = d["first_verdict_s"]
        lines.append(
            f"| {d['id']} | {d['lang']} | {len(d['claims'])} | "
            f"{sum(x['found'] for x in d['claims'])} | {right} "
            f"| {d['detected']} | {'' if first is None else f'{first:.1f}'} |"
        )
    if report.get("gate"):
        lines += ["", "| gate | value | needs | ok |", "|---|---|---|---|"]
        lines += [f"| {g['metric']} | {g['value']} | {g['op']} {g['threshold']} | {'✔' if g['ok'] else '✘'} |"
                  for g in report["gate"]]  # fmt: skip
    wrong = [x for d in report["drafts"] for x in d["claims"] if x["pred"] != x["gold"]]
    if wrong:
        lines += ["", "Claims missed or judged wrong:", ""]
        lines += [
            f"- {x['draft']}: {x['text']} — gold {x['gold']}, got {x['pred'] or 'not detected'}"
            for x in wrong
        ]
    return "\n".join(lines) + "\n"


def run_drafts_eval(
    app: App,
    path: Path,
    corpus: Path,
    *,
    split: str | None = None,
    limit: int | None = None,
    on_stage: Callable[[str, int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Check every gold draft of the split (the first ``limit`` drafts) against a separate evaluation index of
    the corpus, with the app's model and default pipeline, and build the report."""
    from ..draft.run import check_plan, plan_draft

    drafts, docs = load_drafts(path, corpus)
    kept = {i.id for i in select_split([_as_item(d) for d in drafts], split)}
    drafts = [d for d in drafts if d.id in kept][:limit]
    if not drafts:
        raise InputError(f"{path}: no drafts in split {split}")
    dataset = EvalDataset(name=path.stem, items=[], corpus=list(docs.values()))
    settings = app.settings
    with closing(open_eval_store(settings, dataset, settings.embedder)) as store:
        embeddings = app.embeddings
        if on_stage:
            on_stage("indexing corpus", len(docs))
        ingest_corpus(store, dataset, embeddings, on_progress)
        retriever = SentenceRetriever(store=store, embeddings=embeddings, k=settings.k)
        checker = Checker(store, retriever, app.chat, pipeline=settings.pipeline)
        plans = [plan_draft(d.text, path=d.id) for d in drafts]
        if on_stage:
            on_stage("checking draft claims", sum(len(p.claims) for p in plans))
        texts = {name: doc.text for name, doc in docs.items()}
        scores = []
        for gold, plan in zip(drafts, plans, strict=True):
            result = check_plan(checker, plan, on_claim=(lambda _p: on_progress(1)) if on_progress else None)
            scores.append(score_draft(gold, result, texts))
    config = {
        "dataset": str(path),
        "format": FORMAT,
        "split": split or "all",
        "pipeline": checker.pipeline.id,
        "model": app.chat.name,
        "embedder": settings.embedder,
        "k": settings.k,
        "commit": git_commit(),
    }
    return build_drafts_report(scores, config)


def _as_item(d: GoldDraft) -> Any:
    """A stand-in with the ``id`` that :func:`select_split` hashes."""
    from .items import EvalItem

    return EvalItem(id=d.id, kind="claim", claim=d.id, label=None, lang=d.lang)


def write_drafts_report(
    report: dict[str, Any], json_path: Path | None, md_path: Path | None, title: str
) -> None:
    """Write the JSON and Markdown reports (folders are created)."""
    for out, text in ((json_path, lambda: json.dumps(report, indent=2, ensure_ascii=False)),
                      (md_path, lambda: drafts_markdown(report, title))):  # fmt: skip
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text(), encoding="utf-8")
