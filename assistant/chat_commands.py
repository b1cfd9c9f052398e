"""Slash commands of the chat REPL: one function per command, looked up by name in :data:`COMMANDS`."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rich.table import Table
from rich.text import Text

from .app import App
from .chat import ChatSession, Turn, citations, sentence_for
from .errors import InputError
from .html_report import check_report_html
from .ingest import ingest_paths
from .llm import BACKENDS
from .render import VERDICT_LABEL, VERDICT_MARK
from .retrieve import DEFAULT_K
from .schemas import Evidence, Retrieved

MAX_K = 50

Command = Callable[[ChatSession, str], None]


def run_command(session: ChatSession, line: str) -> None:
    """Run ``/name args``; an unknown name gets a one-line hint."""
    name, _, arg = line[1:].partition(" ")
    entry = COMMANDS.get(name.lower())
    if entry is None:
        session.error(f"unknown command /{name}; /help lists the commands")
        return
    entry[0](session, arg.strip())


def show_help(session: ChatSession, arg: str) -> None:
    """List the commands and what plain input does."""
    table = Table.grid(padding=(0, 2))
    for name, (_, usage, text) in COMMANDS.items():
        table.add_row(Text(f"/{name} {usage}".rstrip(), style="bold"), Text(text))
    session.console.print(table)
    session.say(
        "Anything else: a question (ends with ? or starts with who/what/wer/wie…) gets a cited answer, "
        "other text is checked as a claim. Then: why? · show the source for N · follow-ups like "
        "“and when?”. A line ending with \\ continues; Esc+Enter adds a newline; Ctrl-C cancels an answer.",
        style="dim",
    )


def ingest(session: ChatSession, arg: str) -> None:
    """Ingest files or folders into the index; one line per file."""
    try:
        paths = [Path(p).expanduser() for p in shlex.split(arg)]
    except ValueError as exc:
        raise InputError(f"/ingest: {exc}") from None
    if not paths:
        raise InputError("usage: /ingest PATH")
    app = session.app
    with session.status("ingesting…") as update:
        report = ingest_paths(app.store, app.embeddings, paths, on_start=lambda name, _n: update(name))
    for o in report.outcomes:
        session.say(f"{o.action:>9}  {o.doc_id}  ({o.n_sentences} sentences)")
    for message in report.errors:
        session.error(message)


def docs(session: ChatSession, arg: str) -> None:
    """Show the indexed documents as a table."""
    documents = session.app.store.list_documents()
    if not documents:
        session.say(f"no documents in {session.app.settings.index}; add some with /ingest PATH")
        return
    table = Table("id", "title", "lang", "sentences", "sha256")
    for d in documents:
        table.add_row(*map(Text, (d.doc_id, d.title, d.lang, str(d.n_sentences), d.sha256[:12])))
    session.console.print(table)


def doc(session: ChatSession, arg: str) -> None:
    """Restrict answers to one document; no argument: use all."""
    session.use_document(arg or None)
    session.say(f"using only {session.doc_id}" if session.doc_id else "using all documents")


def set_k(session: ChatSession, arg: str) -> None:
    """Show or set how many sentences are retrieved."""
    if arg:
        if not arg.isdigit() or not 1 <= int(arg) <= MAX_K:
            raise InputError(f"k must be a whole number from 1 to {MAX_K}, got {arg!r}")
        session.k = int(arg)
    session.say(f"k = {session.k}")


def model(session: ChatSession, arg: str) -> None:
    """Show the backend and settings; ``/model local|openai`` switches the backend."""
    if arg:
        switch_backend(session, arg)
        return
    if session.wait_for_model():
        session.say(f"model: {session.app.chat.name}")
    s = session.app.settings
    for key, value in (
        ("backend", s.backend),
        ("openai model", s.model),
        ("base url", s.base_url),
        ("embedder", s.embedder),
        ("index", s.index),
        ("pipeline", s.pipeline),
        ("k", session.k),
    ):
        if value is not None:
            session.say(f"{key}: {value}", style="dim")


def switch_backend(session: ChatSession, backend: str) -> None:
    """Build an App with another backend that reuses the open index and embedder."""
    if backend not in BACKENDS:
        raise InputError(f"unknown backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
    old = session.app
    new = App(replace(old.settings, backend=backend), on_assemble_progress=old.on_assemble_progress)
    new.__dict__["store"] = old.store
    new.__dict__["embeddings"] = old.embeddings
    chat = session.run_cancellable(lambda: new.chat, "loading model…")
    session.app = new
    session.start_loading()
    session.say(f"switched to {chat.name}")


def toggle_json(session: ChatSession, arg: str) -> None:
    """Toggle raw JSON output."""
    session.json_mode = not session.json_mode
    session.say(f"JSON output {'on' if session.json_mode else 'off'}")


def sources(session: ChatSession, arg: str) -> None:
    """The sentences retrieved for the last turn, with scores and offsets."""
    result = session.last_turn().result
    table = Table("#", "score", "doc", "sentence", "chars", "text")
    for i, r in enumerate(result.retrieved, 1):
        cells = (str(i), f"{r.score:.3f}", r.doc_id, str(r.sentence_id), f"{r.start}–{r.end}", r.text)
        table.add_row(*map(Text, cells))  # source text is data: "[b]" in it is not markup
    session.console.print(table)


def export(session: ChatSession, arg: str) -> None:
    """Write the session to FILE: Markdown for .md, JSON for .json, a self-contained page for .html.

    An existing file is kept unless ``--force`` is given.
    """
    try:
        words = shlex.split(arg)
    except ValueError as exc:
        raise InputError(f"/export: {exc}") from None
    force = "--force" in words
    names = [w for w in words if w != "--force"]
    if len(names) != 1:
        raise InputError("usage: /export FILE.md|FILE.json|FILE.html [--force]")
    path = Path(names[0]).expanduser()
    writers: dict[str, Callable[[ChatSession], str]] = {
        ".md": lambda s: session_markdown(s.turns),
        ".json": lambda s: session_json(s.turns),
        ".html": session_html,
    }
    writer = writers.get(path.suffix.lower())
    if writer is None:
        raise InputError(f"cannot export to {path.name}: use a .md, .json or .html file name")
    if not session.turns:
        raise InputError("nothing to export yet: type a question or a claim first")
    if path.exists() and not force:
        raise InputError(f"{path} exists; /export {names[0]} --force replaces it")
    try:
        path.write_text(writer(session), "utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    n = len(session.turns)
    session.say(f"exported {n} turn{'s' if n != 1 else ''} to {path}")


def quit_chat(session: ChatSession, arg: str) -> None:
    """Leave the chat."""
    session.running = False


# ---- export formats ------------------------------------------------------------------------------


def session_json(turns: list[Turn]) -> str:
    """The turns as a JSON list of ``{"input", "kind", "result"}``."""
    return json.dumps(
        [{"input": t.input, "kind": t.kind, "result": t.result.model_dump(mode="json")} for t in turns],
        ensure_ascii=False,
        indent=2,
    )


def session_html(session: ChatSession) -> str:
    """The turns as the HTML report: each answer or checked claim with its evidence in its paragraph."""
    store = session.app.store
    texts: dict[str, str | None] = {}

    def text_of(doc_id: str) -> str | None:
        if doc_id not in texts:
            doc = store.get_document(doc_id)
            texts[doc_id] = doc.text if doc is not None else None
        return texts[doc_id]

    turns = session.turns
    return check_report_html(
        [t.result for t in turns], text_of, title="factcheck chat", kinds=[t.kind for t in turns]
    )


def session_markdown(turns: list[Turn]) -> str:
    """The turns as Markdown: verdicts, statements with citations, and the cited sentences."""
    lines = ["# factcheck chat", ""]
    for n, turn in enumerate(turns, 1):
        result = turn.result
        cites = citations(result)
        lines += [f"## {n}. {turn.kind.capitalize()}: {turn.input}", ""]
        lines += [f"**Verdict:** {VERDICT_LABEL[result.verdict]} ({result.confidence:.2f})", ""]
        for i, st in enumerate(result.statements, 1):
            refs = "".join(f" [{cites.index(ev) + 1}]" for ev in st.evidence)
            lines.append(f"{i}. {VERDICT_MARK[st.verdict]} {st.text}{refs}")
        if cites:
            lines += ["", "Sources:", ""]
            for i, ev in enumerate(cites, 1):
                lines.append(f"[{i}] {_markdown_source(ev, sentence_for(ev, result.retrieved))}")
        lines.append("")
    return "\n".join(lines)


def _markdown_source(ev: Evidence, sentence: Retrieved | None) -> str:
    where = f"`{ev.doc_id}` sentence {ev.sentence_id}, chars {ev.start}–{ev.end}"
    if sentence is not None and sentence.start <= ev.start and ev.end <= sentence.end:
        a, b = ev.start - sentence.start, ev.end - sentence.start
        quote = f"{sentence.text[:a]}**{sentence.text[a:b]}**{sentence.text[b:]}"
    else:
        quote = f"**{ev.text}**"
    return f"{where}: “{quote}”"


#: name → (function, usage, description); /help lists them in this order.
COMMANDS: dict[str, tuple[Command, str, str]] = {
    "help": (show_help, "", "this list"),
    "ingest": (ingest, "PATH…", "add or update .txt/.md files or folders"),
    "docs": (docs, "", "list the indexed documents"),
    "doc": (doc, "[NAME]", "only use this document; without NAME: all"),
    "k": (set_k, "[N]", f"sentences to retrieve, 1–{MAX_K} (default {DEFAULT_K})"),
    "model": (model, "[local|openai]", "show the model and settings, or switch backend"),
    "json": (toggle_json, "", "toggle raw JSON output"),
    "sources": (sources, "", "the sentences retrieved for the last turn, with scores"),
    "export": (
        export,
        "FILE [--force]",
        "save the session as Markdown (.md), JSON (.json) or a page (.html)",
    ),
    "quit": (quit_chat, "", "leave (or Ctrl-D)"),
}
