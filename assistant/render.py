"""Terminal rendering of check results with rich: verdict colours and cited spans highlighted in place."""

from __future__ import annotations

from rich.console import Console, Group
from rich.padding import Padding
from rich.panel import Panel
from rich.text import Text

from .schemas import CheckResult, Evidence, Retrieved, Statement

VERDICT_STYLE = {"supported": "bold green", "refuted": "bold red", "not_enough_info": "bold yellow"}
VERDICT_LABEL = {"supported": "SUPPORTED", "refuted": "REFUTED", "not_enough_info": "NOT ENOUGH INFO"}
VERDICT_MARK = {"supported": "✔", "refuted": "✘", "not_enough_info": "?"}


def verdict_text(verdict: str, confidence: float) -> Text:
    """``SUPPORTED (0.90)`` in the verdict's colour."""
    return Text.assemble(
        (f"{VERDICT_MARK[verdict]} {VERDICT_LABEL[verdict]}", VERDICT_STYLE[verdict]),
        (f"  confidence {confidence:.2f}", "dim"),
    )


def evidence_text(ev: Evidence, sentence: Retrieved | None) -> Group:
    """The source sentence with the cited span highlighted, and where it stands in the document."""
    where = Text(
        f"{_basename(ev.doc_path)}  sentence {ev.sentence_id}  chars {ev.start}–{ev.end}", style="cyan"
    )
    body = Text()
    if sentence is not None and sentence.start <= ev.start and ev.end <= sentence.end:
        a, b = ev.start - sentence.start, ev.end - sentence.start
        body.append("“")
        body.append(sentence.text[:a])
        body.append(sentence.text[a:b], style="bold black on yellow")
        body.append(sentence.text[b:])
        body.append("”")
    else:
        body.append(f"“{ev.text}”", style="bold")
    return Group(where, body)


def context_text(ev: Evidence, sentences: list[Retrieved]) -> Group:
    """The cited sentence with its neighbours (dimmed) and the span highlighted: the evidence in context.

    ``sentences`` are the document's sentences around the cited one, in reading order.
    """
    where = Text(
        f"{_basename(ev.doc_path)}  sentence {ev.sentence_id}  chars {ev.start}–{ev.end}", style="cyan"
    )
    body = Text("“")
    for i, s in enumerate(sentences):
        if i:
            body.append(" ")
        if s.sentence_id == ev.sentence_id and s.start <= ev.start and ev.end <= s.end:
            a, b = ev.start - s.start, ev.end - s.start
            body.append(s.text[:a])
            body.append(s.text[a:b], style="bold black on yellow")
            body.append(s.text[b:])
        else:
            body.append(s.text, style="dim")
    body.append("”")
    return Group(where, body)


def statement_block(number: int, st: Statement, retrieved: list[Retrieved]) -> Group:
    """One statement, its verdict and its verified evidence."""
    by_key = {(r.doc_id, r.sentence_id): r for r in retrieved}
    head = Text.assemble((f"{number}. ", "bold"), verdict_text(st.verdict, st.confidence), "\n   ", st.text)
    parts: list[object] = [head]
    if st.note:
        parts.append(Padding(Text(st.note, style="dim italic"), (0, 0, 0, 3)))
    if st.evidence:
        for ev in st.evidence:
            parts.append(Padding(evidence_text(ev, by_key.get((ev.doc_id, ev.sentence_id))), (0, 0, 0, 6)))
    else:
        parts.append(Padding(Text("no verified evidence", style="dim italic"), (0, 0, 0, 6)))
    return Group(*parts)  # type: ignore[arg-type]


def render_result(result: CheckResult, console: Console) -> None:
    """Print a check result for a person."""
    header = Text.assemble(
        ("Claim: ", "bold"),
        result.claim,
        "\n",
        ("Verdict: ", "bold"),
        verdict_text(result.verdict, result.confidence),
    )
    blocks: list[object] = [header, Text()]
    for i, st in enumerate(result.statements, 1):
        blocks.append(statement_block(i, st, result.retrieved))
        blocks.append(Text())
    for aside in result.set_aside:
        blocks.append(
            Text.assemble(
                ("set aside  ", "dim bold"), (aside.text, "dim"), (f"\n   {aside.reason}", "dim italic")
            )
        )
        blocks.append(Text())
    if result.quarantined:
        blocks.append(
            Text(
                f"{len(result.quarantined)} retrieved source sentence(s) set aside, never shown to the "
                "model: "
                + "; ".join(f"{q.doc_id} sentence {q.sentence_id} ({q.reason})" for q in result.quarantined),
                style="dim italic",
            )
        )
        blocks.append(Text())
    footer = (
        f"{result.model} · pipeline {result.pipeline or '-'} (prompt {result.prompt_version}) · "
        f"{result.timings_ms.get('total', 0) / 1000:.1f} s"
    )
    if result.dropped_citations:
        footer += f" · {result.dropped_citations} citation(s) dropped: they did not match the source text"
    blocks.append(Text(footer, style="dim"))
    console.print(Panel(Group(*blocks), border_style=VERDICT_STYLE[result.verdict].split()[-1]))  # type: ignore[arg-type]


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]
