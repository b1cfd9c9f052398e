"""The checked draft as one self-contained page: the draft text with each claim highlighted by its verdict and
linked to its evidence below (plain anchors: no JavaScript), then each claim's statements with the cited span
inside its paragraph of the source, the document name and the offsets. Rendered with autoescape on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..html_report import TextLookup, _env, passage
from .render import DRAFT_LABEL, claim_mark
from .result import DraftClaim, DraftResult


def _segments(result: DraftResult) -> list[dict[str, Any]]:
    """The draft cut into plain text, claims (numbered) and skipped sentences, in order, covering it all."""
    marks = [(c.start, c.end, n) for n, c in enumerate(result.claims, 1)]
    marks += [(s.start, s.end, 0) for s in result.skipped]
    out: list[dict[str, Any]] = []
    pos = 0
    for start, end, n in sorted(marks):
        if start < pos:
            continue
        if start > pos:
            out.append({"kind": "text", "text": result.text[pos:start]})
        if n:
            claim = result.claims[n - 1]
            out.append({"kind": "claim", "n": n, "text": result.text[start:end], "verdict": claim.verdict,
                        "mark": claim_mark(n, claim), "uncertain": claim.uncertain, "start": start,
                        "end": end})  # fmt: skip
        else:
            out.append({"kind": "skipped", "text": result.text[start:end]})
        pos = end
    if pos < len(result.text):
        out.append({"kind": "text", "text": result.text[pos:]})
    return out


def _claim_view(n: int, claim: DraftClaim, texts: TextLookup) -> dict[str, Any]:
    return {
        "n": n,
        "claim": claim,
        "label": DRAFT_LABEL[claim.verdict],
        "statements": [
            {
                "st": st,
                "evidence": [
                    passage(
                        ev.doc_id,
                        ev.doc_path.replace("\\", "/").rsplit("/", 1)[-1],
                        texts(ev.doc_id),
                        ev.start,
                        ev.end,
                        ev.text,
                        ev.sentence_id,
                    )  # fmt: skip
                    for ev in st.evidence
                ],
            }
            for st in claim.statements
        ],
    }


def draft_report_html(result: DraftResult, texts: TextLookup, *, title: str | None = None) -> str:
    """The page for a checked draft; ``texts`` gives a source document's text by id (None: removed)."""
    s = result.summary
    counts = [(s.supported, "supported"), (s.refuted, "refuted"), (s.not_enough_info, "not_enough_info")]
    return (
        _env()
        .get_template("draft.html.j2")
        .render(
            title=title or f"factcheck: {result.draft.path or 'draft'}",
            generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            segments=_segments(result),
            claims=[_claim_view(n, c, texts) for n, c in enumerate(result.claims, 1)],
            skipped=result.skipped,
            summary=", ".join(f"{k} {DRAFT_LABEL[v]}" for k, v in counts if k) or "no claim checked",
            result=result,
            DRAFT_LABEL=DRAFT_LABEL,
        )
    )
