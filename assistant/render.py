"""Everything the CLI and the chat print, with rich: check results and answers with their verdict colours and
cited spans highlighted in place, the tables (documents, log, retrieved sentences) and one-line messages.

Live progress (bars, spinners) is in :mod:`assistant.progress`; deciding what to show is not done here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .conversation import citations, distinct_statements, sentence_for, sources_answer
from .schemas import CheckResult, Correction, Evidence, Retrieved, Statement
from .secrets import scrub_line
from .wording import pipeline_words

if TYPE_CHECKING:
    from .checklog import LogEntry
    from .ingest import IngestReport
    from .records import Sentence
    from .stages import StreamedStatement
    from .store import StoredDocument

VERDICT_STYLE = {"supported": "bold green", "refuted": "bold red", "not_enough_info": "bold yellow"}
VERDICT_LABEL = {"supported": "SUPPORTED", "refuted": "REFUTED", "not_enough_info": "NOT IN YOUR SOURCES"}
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
        f"{_basename(ev.doc_path)}{_page(ev)}  sentence {ev.sentence_id}  chars {ev.start}–{ev.end}",
        style="cyan",
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
        f"{_basename(ev.doc_path)}{_page(ev)}  sentence {ev.sentence_id}  chars {ev.start}–{ev.end}",
        style="cyan",
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


def correction_block(c: Correction, retrieved: list[Retrieved]) -> Group:
    """A statement of the model that changes the claim: the source's value, not the claim's, and its span."""
    by_key = {(r.doc_id, r.sentence_id): r for r in retrieved}
    if c.confirmed:
        head = Text.assemble(("Correction: ", "bold red"), c.reason)
    else:
        head = Text.assemble(
            ("The model changed the claim: ", "dim bold"), (c.text, "dim"), (f"\n   {c.reason}", "dim italic")
        )
    parts: list[RenderableType] = [head]
    parts.extend(
        Padding(evidence_text(ev, by_key.get((ev.doc_id, ev.sentence_id))), (0, 0, 0, 6)) for ev in c.evidence
    )
    return Group(*parts)


def render_result(result: CheckResult, console: Console) -> None:
    """Print a check result for a person."""
    header = Text.assemble(
        ("Claim: ", "bold"),
        result.claim,
        "\n",
        ("Verdict: ", "bold"),
        verdict_text(result.verdict, result.confidence),
    )
    if result.uncertain:
        header.append_text(
            Text.assemble(("  uncertain", "bold yellow"), (f"\n  Uncertain: {result.uncertain}", "yellow"))
        )
    blocks: list[object] = [header, Text()]
    for c in result.corrections:
        blocks.append(correction_block(c, result.retrieved))
        blocks.append(Text())
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
    seconds = result.timings_ms.get("total", 0) / 1000
    footer = f"{result.model} · {pipeline_words(result.pipeline)} · {seconds:.1f} s"
    if result.dropped_citations:
        footer += f" · {result.dropped_citations} citation(s) dropped: they did not match the source text"
    blocks.append(Text(footer, style="dim"))
    console.print(Panel(Group(*blocks), border_style=VERDICT_STYLE[result.verdict].split()[-1]))  # type: ignore[arg-type]


# ---- answers (chat) ------------------------------------------------------------------------------

NO_ANSWER = {
    "en": "The sources do not answer this.",
    "de": "Die Quellen beantworten das nicht.",
}
#: An answer none of whose statements the sources support: it is not shown as the answer.
NOT_CONFIRMED = {
    "en": "The sources do not confirm an answer. What they say:",
    "de": "Die Quellen bestätigen keine Antwort. Was sie sagen:",
}
UNCONFIRMED = {"en": "Not confirmed by the sources:", "de": "Von den Quellen nicht bestätigt:"}
BECAUSE = {
    "supported": {
        "en": "no source sentence shown confirms it",
        "de": "kein gezeigter Quellensatz bestätigt das",
    },
    "refuted": {"en": "the cited source says otherwise", "de": "die zitierte Quelle sagt etwas anderes"},
    "not_enough_info": {"en": "the sources do not say", "de": "die Quellen sagen das nicht"},
}
#: Shown once per chat session, after the first result with verdict marks.
LEGEND = (
    f"{VERDICT_MARK['supported']} the cited source supports it · {VERDICT_MARK['refuted']} the cited source "
    f"contradicts it · {VERDICT_MARK['not_enough_info']} the sources do not say · why? or "
    "“show the source for N” shows a source in its context"
)


def render_answer(result: CheckResult, console: Console, *, german: bool = False) -> None:
    """An answer as a numbered list with citations [n], and the cited sentences under "Sources".

    Only statements the sources support are given as the answer; one the tool's own check finds refuted
    or unsupported is listed apart with the reason, and when none is supported the answer says so and shows
    what the sources do say.
    """
    lang = "de" if german else "en"
    if not sources_answer(result):
        console.print(Text(NO_ANSWER[lang], style="bold yellow"))
        return
    cites = citations(result)
    statements = distinct_statements(result)
    answer = [st for st in statements if st.verdict == "supported" and st.evidence]
    apart = [st for st in statements if st not in answer]

    def refs(st: Statement) -> str:
        return " ".join(f"[{cites.index(ev) + 1}]" for ev in st.evidence)

    if not answer:
        console.print(Text(NOT_CONFIRMED[lang], style="bold yellow"))
    for i, st in enumerate(answer, 1):
        line = Text.assemble((f"{i}. ", "bold"), (f"{VERDICT_MARK[st.verdict]} ", VERDICT_STYLE[st.verdict]))
        line.append(st.text)
        line.append(
            f" {refs(st)}" if refs(st) else "  (no verified source)", style="cyan" if refs(st) else "dim"
        )
        console.print(line)
    if apart:
        if answer:
            console.print(Text(UNCONFIRMED[lang], style="bold"))
        for st in apart:
            # A "supported" statement with no verified source is not shown with the supported mark.
            shown = "not_enough_info" if st.verdict == "supported" else st.verdict
            line = Text.assemble(("   ", ""), (f"{VERDICT_MARK[shown]} ", VERDICT_STYLE[shown]))
            line.append(st.text, style="dim strike" if st.verdict == "refuted" else "dim")
            line.append(f" — {BECAUSE[st.verdict][lang]}", style="italic")
            if refs(st):
                line.append(f" {refs(st)}", style="cyan")
            console.print(line)
    if cites:
        console.print(Text("Sources", style="bold"))
        console.print(
            numbered_sources(
                (n, evidence_text(ev, sentence_for(ev, result.retrieved))) for n, ev in enumerate(cites, 1)
            )
        )
    footer = f"{result.model} · {result.timings_ms.get('total', 0) / 1000:.1f} s"
    if result.dropped_citations:
        footer += f" · {result.dropped_citations} citation(s) dropped: they did not match the source text"
    console.print(Text(footer, style="dim"))


def numbered_sources(sources: Iterable[tuple[int, RenderableType]]) -> Table:
    """``[n]`` and the source beside it, one row each."""
    table = Table.grid(padding=(0, 1))
    for n, shown in sources:
        table.add_row(Text(f"[{n}]", style="cyan"), shown)
    return table


def statement_in_context(number: int, st: Statement, contexts: Sequence[RenderableType]) -> Group:
    """A statement and its verdict (and why it differs from the model's), each cited sentence in context."""
    parts: list[RenderableType] = [
        Text.assemble((f"{number}. ", "bold"), verdict_text(st.verdict, st.confidence), "\n   ", st.text)
    ]
    if st.note:
        parts.append(Text(f"   {st.note}", style="dim italic"))
    if not st.evidence:
        parts.append(Text("      no verified evidence", style="dim italic"))
    parts.extend(Padding(shown, (0, 0, 0, 6)) for shown in contexts)
    return Group(*parts)


def why_header(asked: str) -> Text:
    """The first line of "why?": what was asked."""
    return Text.assemble(("Why: ", "bold"), asked)


# ---- tables and lines ------------------------------------------------------------------------------


def documents_table(documents: Iterable[StoredDocument]) -> Table:
    """The indexed documents: id, title, language, sentences and the start of the SHA-256."""
    table = Table("id", "title", "lang", "sentences", "sha256")
    for d in documents:
        # Titles and ids are data: "[video]" or "[/b]" in them is text, not rich markup.
        table.add_row(*map(Text, (d.doc_id, d.title, d.lang, str(d.n_sentences), d.sha256[:12])))
    return table


def documents_json(documents: Iterable[StoredDocument]) -> str:
    """The indexed documents as one JSON list (``factcheck docs --json``)."""
    return json.dumps(
        [
            {
                "doc_id": d.doc_id,
                "path": d.path,
                "title": d.title,
                "lang": d.lang,
                "sha256": d.sha256,
                "sentences": d.n_sentences,
                "format": d.format,
                "characters": d.chars,
                "pages": d.pages,
            }
            for d in documents
        ]
    )


#: A verdict in the log's narrow table: its mark and a short word.
LOG_VERDICT = {"supported": "✔ supported", "refuted": "✘ refuted", "not_enough_info": "? not in sources"}


def log_table(entries: Iterable[LogEntry], *, wide: bool = False) -> Table:
    """Past checks, newest last; the claim column takes the width.

    At 80 columns only the claim may wrap: the time is shortened and the pipeline and origin are left out
    (``wide`` shows them, with the full date and the machine name of the verdict).
    """
    columns = ["#", "when (UTC)", "verdict", "conf.", "claim"] + (["pipeline", "from"] if wide else [])
    # Narrow: no vertical rules, so the claim gets the columns they would take.
    table = (
        Table(*columns)
        if wide
        else Table(*columns, box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1), collapse_padding=True)
    )
    for column in table.columns:  # the short columns stay on one line
        column.no_wrap = column.header != "claim"
    for e in entries:
        when = e.at.replace("T", " ")[:16] if wide else e.at.replace("T", " ")[5:16]
        verdict = e.verdict if wide else LOG_VERDICT.get(e.verdict, e.verdict)
        cells = [str(e.id), when, verdict, f"{e.confidence:.2f}", e.claim]
        table.add_row(*map(Text, cells + ([e.pipeline, e.source] if wide else [])))
    return table


def retrieved_table(retrieved: Iterable[Retrieved]) -> Table:
    """The sentences retrieved for a turn, with scores and character offsets."""
    table = Table("#", "score", "doc", "sentence", "chars", "text")
    for i, r in enumerate(retrieved, 1):
        cells = (str(i), f"{r.score:.3f}", r.doc_id, str(r.sentence_id), f"{r.start}–{r.end}", r.text)
        table.add_row(*map(Text, cells))  # source text is data: "[b]" in it is not markup
    return table


# ---- while a check runs (shown by assistant.progress, replaced by the result) ----------------------------


def retrieved_line(s: Sentence) -> Text:
    """A retrieved sentence on one line: score, document, sentence number and the start of its text."""
    line = Text.assemble(
        (f"{s.score:.3f}  ", "dim"), (f"{s.doc_id} #{s.sentence_id}  ", "cyan"), " ".join(s.text.split())
    )
    line.no_wrap, line.overflow = True, "ellipsis"
    return line


def provisional_line(st: StreamedStatement) -> Text:
    """A statement as the model wrote it, not yet verified: ``model: … — refuted, deciding…``."""
    verdict = st.verdict if st.verdict in VERDICT_STYLE else "not_enough_info"
    line = Text.assemble(
        ("model: ", "bold"),
        st.text,
        " — ",
        (st.verdict or "?", VERDICT_STYLE[verdict].removeprefix("bold ")),
        (", deciding…", "dim italic"),
    )
    return line


def commands_table(commands: Iterable[tuple[str, str]]) -> Table:
    """Usage and description of each chat command."""
    table = Table.grid(padding=(0, 2))
    for usage, text in commands:
        table.add_row(Text(usage, style="bold"), Text(text))
    return table


def ingest_outcome_lines(report: IngestReport) -> list[Text]:
    """One line per ingested file: what was done to it (added, replaced, unchanged) and its sentences."""
    return [Text(f"{o.action:>9}  {o.doc_id}  ({o.n_sentences} sentences)") for o in report.outcomes]


def skipped_line(message: str) -> Text:
    """A file ingest skipped, and why (any key masked)."""
    return Text.assemble(("skipped", "red"), "  ", scrub_line(message))


def error_line(message: str, label: str = "error: ") -> Text:
    """``error: …`` on one line, any key masked."""
    return Text.assemble((label, "bold red"), scrub_line(message))


def say(console: Console, message: str | Text, style: str | None = None) -> None:
    """Print one line as it is: no markup, no highlighting, no wrapping of long paths."""
    console.print(message, style=style, markup=False, highlight=False, soft_wrap=True)


def print_markdown(text: str, console: Console) -> None:
    """Markdown formatted on a terminal; the text as it is on a pipe (CI logs, files)."""
    if console.is_terminal:
        console.print(Markdown(text))
    else:
        print(text)


def print_json(text: str, console: Console, *, pretty: bool = False) -> None:
    """A JSON text as it is, for pipelines; indented and coloured with ``pretty``."""
    if pretty:
        console.print_json(text)
    else:
        print(text, flush=True)


def _page(ev: Evidence) -> str:
    """``  page N`` for evidence in a document with pages, else nothing."""
    return f"  page {ev.page}" if ev.page is not None else ""


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]
