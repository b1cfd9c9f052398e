"""The draft in the terminal: re-printed with each claim numbered and marked by its verdict, then each claim's
statements and evidence (the source sentence, the cited span highlighted, the document and offsets)."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.text import Text

from ..render import VERDICT_MARK, VERDICT_STYLE, correction_block, statement_block
from .result import DraftClaim, DraftResult

#: How a draft's verdicts read: "not enough info" means the indexed sources do not say.
DRAFT_LABEL = {"supported": "supported", "refuted": "refuted", "not_enough_info": "not in the sources"}


def claim_mark(n: int, claim: DraftClaim) -> str:
    """``[3 ✘]`` (``[3 ✘?]`` when uncertain): the mark before a claim in the re-printed draft."""
    return f"[{n} {VERDICT_MARK[claim.verdict]}{'?' if claim.uncertain else ''}]"


def marked_draft(result: DraftResult) -> Text:
    """The draft text with each checked claim numbered, coloured by verdict; skipped sentences dimmed."""
    text = result.text
    out = Text()
    pos = 0
    spans: list[tuple[int, int, str, str | None]] = [
        (c.start, c.end, "claim", str(n)) for n, c in enumerate(result.claims, 1)
    ] + [(s.start, s.end, "skipped", None) for s in result.skipped]
    for start, end, kind, n in sorted(spans):
        if start < pos:
            continue
        out.append(text[pos:start])
        if kind == "claim" and n is not None:
            claim = result.claims[int(n) - 1]
            style = VERDICT_STYLE[claim.verdict].replace("bold ", "")
            out.append(claim_mark(int(n), claim), style=f"bold reverse {style}")
            out.append(" ")
            out.append(text[start:end], style=f"underline {style}")
        else:
            out.append(text[start:end], style="dim")
        pos = end
    out.append(text[pos:])
    return out


def claim_block(n: int, claim: DraftClaim) -> Group:
    """One claim: its verdict, what was checked when it differs from the draft, statements and evidence."""
    style = VERDICT_STYLE[claim.verdict]
    head = Text.assemble(
        (f"{n}. ", "bold"),
        (f"{VERDICT_MARK[claim.verdict]} {DRAFT_LABEL[claim.verdict].upper()}", style),
        (f"  confidence {claim.confidence:.2f}", "dim"),
        (f"  chars {claim.start}–{claim.end}", "cyan"),
    )
    parts: list[RenderableType] = [head, Padding(Text(claim.text), (0, 0, 0, 3))]
    if claim.standalone != claim.text:
        parts.append(Padding(Text.assemble(("checked as: ", "dim"), claim.standalone), (0, 0, 0, 3)))
    if claim.uncertain:
        parts.append(Padding(Text(f"uncertain: {claim.uncertain}", style="yellow"), (0, 0, 0, 3)))
    retrieved = claim.result.retrieved if claim.result is not None else []
    for c in claim.corrections:
        parts.append(Padding(correction_block(c, retrieved), (0, 0, 0, 3)))
    for i, st in enumerate(claim.statements, 1):
        parts.append(Padding(statement_block(i, st, retrieved), (0, 0, 0, 3)))
    return Group(*parts)


def summary_line(result: DraftResult) -> Text:
    """``12 claims checked: 7 supported, 3 refuted, 2 not in the sources · 9 sentences skipped · 84 s``."""
    s = result.summary
    counts = [(s.supported, "supported"), (s.refuted, "refuted"), (s.not_enough_info, "not_enough_info")]
    line = Text(f"{s.checked} of {s.claims} claims checked: ", style="bold")
    line.append(", ".join(f"{k} {DRAFT_LABEL[v]}" for k, v in counts if k) or "none")
    if s.uncertain:
        line.append(f" ({s.uncertain} uncertain)")
    line.append(f" · {s.skipped} sentences skipped · {result.timings_ms.get('total', 0) / 1000:.1f} s", "dim")
    if s.interrupted:
        line.append(" · interrupted: run again to finish (checked claims come from the cache)", "yellow")
    return line


def draft_renderables(result: DraftResult) -> list[RenderableType]:
    """What :func:`render_draft` prints, in order: the marked draft, each claim, the skipped, the summary."""
    shown: list[RenderableType] = [marked_draft(result), Text()]
    for n, claim in enumerate(result.claims, 1):
        shown += [claim_block(n, claim), Text()]
    if result.skipped:
        shown.append(Text("Not checked", style="bold"))
        shown += [
            Text.assemble(("  · ", "dim"), (s.text, "dim"), (f"  — {s.reason}", "italic"))
            for s in result.skipped
        ]
        shown.append(Text())
    shown.append(summary_line(result))
    return shown


def render_draft(result: DraftResult, console: Console) -> None:
    """Print a checked draft for a person: the marked draft, each claim, then why sentences were skipped."""
    for renderable in draft_renderables(result):
        console.print(renderable, soft_wrap=isinstance(renderable, Text))
