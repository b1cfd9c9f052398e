"""Slash commands of the chat REPL: one function per command, looked up by name in :data:`COMMANDS`.

A command works on a :class:`Session`, what :class:`assistant.chat.Session` provides; this module does
not import the chat, so the chat imports it and not the other way round.
"""

from __future__ import annotations

import json
import shlex
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import Protocol, TypeVar

from rich.console import RenderableType
from rich.text import Text

from . import render
from .app import App
from .conversation import Command, Conversation, Turn, citations, sentence_for
from .defaults import DEFAULT_K, MAX_K
from .errors import InputError
from .html_report import check_report_html
from .ingest import ingest_paths
from .llm import BACKENDS
from .render import VERDICT_LABEL, VERDICT_MARK
from .schemas import Evidence, Retrieved, result_dict

T = TypeVar("T")


class Session(Protocol):
    """What a command reads and changes of the chat session."""

    app: App
    doc_id: str | None
    k: int
    json_mode: bool
    running: bool
    conversation: Conversation

    def say(self, message: str | Text, style: str | None = None) -> None:
        """Print one line as is."""

    def error(self, message: str | BaseException) -> None:
        """Print ``error: …`` on one line."""

    def show_renderable(self, shown: RenderableType) -> None:
        """Print a table or another renderable."""

    def status(self, message: str) -> AbstractContextManager[Callable[[str], None]]:
        """A spinner whose text the yielded function changes."""

    def wait_for_model(self) -> bool:
        """Wait for the model to load; False (error shown) when it failed."""

    def start_loading(self) -> None:
        """Load the app's chat model in the background."""

    def use_document(self, name: str | None) -> None:
        """Restrict retrieval to one document (None: all)."""

    def run_cancellable(self, fn: Callable[[], T], model_stage: str) -> T:
        """Run ``fn`` so that Ctrl-C abandons it."""


CommandFn = Callable[[Session, str], None]


def run_command(session: Session, command: Command) -> None:
    """Run ``/name args``; an unknown name gets a one-line hint."""
    entry = COMMANDS.get(command.name.lower())
    if entry is None:
        session.error(f"unknown command /{command.name}; /help lists the commands")
        return
    entry[0](session, command.arg)


def show_help(session: Session, arg: str) -> None:
    """List the commands and what plain input does."""
    session.show_renderable(
        render.commands_table(
            (f"/{name} {usage}".rstrip(), text) for name, (_, usage, text) in COMMANDS.items()
        )
    )
    session.say(
        "Anything else: a question (ends with ? or starts with who/what/wer/wie…) gets a cited answer, "
        "other text is checked as a claim. Then: why? · show the source for N · follow-ups like "
        "“and when?”. A line ending with \\ continues; Esc+Enter adds a newline; Ctrl-C cancels an answer.",
        style="dim",
    )


def ingest(session: Session, arg: str) -> None:
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
    for line in render.ingest_outcome_lines(report):
        session.say(line)
    for message in report.errors:
        session.error(message)


def docs(session: Session, arg: str) -> None:
    """Show the indexed documents as a table."""
    documents = session.app.store.list_documents()
    if not documents:
        session.say(f"no documents in {session.app.settings.index}; add some with /ingest PATH")
        return
    session.show_renderable(render.documents_table(documents))


def doc(session: Session, arg: str) -> None:
    """Restrict answers to one document; no argument: use all."""
    session.use_document(arg or None)
    session.say(f"using only {session.doc_id}" if session.doc_id else "using all documents")


def set_k(session: Session, arg: str) -> None:
    """Show or set how many sentences are retrieved."""
    if arg:
        if not arg.isdigit() or not 1 <= int(arg) <= MAX_K:
            raise InputError(f"k must be a whole number from 1 to {MAX_K}, got {arg!r}")
        session.k = int(arg)
    session.say(f"k = {session.k}")


def model(session: Session, arg: str) -> None:
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


def switch_backend(session: Session, backend: str) -> None:
    """Build an App with another backend that reuses the open index and embedder."""
    if backend not in BACKENDS:
        raise InputError(f"unknown backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
    old = session.app
    new = App(
        replace(old.settings, backend=backend),
        store=old.store,
        embeddings=old.embeddings,
        on_assemble_progress=old.on_assemble_progress,
    )
    chat = session.run_cancellable(lambda: new.chat, "loading the model…")
    session.app = new
    session.start_loading()
    session.say(f"switched to {chat.name}")


def toggle_json(session: Session, arg: str) -> None:
    """Toggle raw JSON output."""
    session.json_mode = not session.json_mode
    session.say(f"JSON output {'on' if session.json_mode else 'off'}")


def sources(session: Session, arg: str) -> None:
    """The sentences retrieved for the last turn, with scores and offsets."""
    session.show_renderable(render.retrieved_table(session.conversation.last_turn().result.retrieved))


def export(session: Session, arg: str) -> None:
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
    turns = session.conversation.turns
    writers: dict[str, Callable[[Session], str]] = {
        ".md": lambda s: session_markdown(turns),
        ".json": lambda s: session_json(turns),
        ".html": session_html,
    }
    writer = writers.get(path.suffix.lower())
    if writer is None:
        raise InputError(f"cannot export to {path.name}: use a .md, .json or .html file name")
    if not turns:
        raise InputError("nothing to export yet: type a question or a claim first")
    if path.exists() and not force:
        raise InputError(f"{path} exists; /export {names[0]} --force replaces it")
    try:
        path.write_text(writer(session), "utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    n = len(turns)
    session.say(f"exported {n} turn{'s' if n != 1 else ''} to {path}")


def draft(session: Session, arg: str) -> None:
    """Check a whole draft (.txt/.md) and show it with its claims marked; ``why N?`` explains claim N."""
    from .draft.command import progress_line
    from .draft.render import draft_renderables
    from .draft.run import ClaimProgress, check_plan, plan_draft
    from .draft.split import read_draft

    try:
        [name] = shlex.split(arg)
    except ValueError:
        raise InputError("usage: /draft FILE (a .txt or .md draft)") from None
    text = read_draft(Path(name).expanduser())
    plan = plan_draft(text.text, path=text.path)
    if plan.claims and not session.app.store.list_documents():
        raise InputError(
            f"the index at {session.app.settings.index} is empty: add documents with /ingest PATH"
        )
    if not session.wait_for_model():
        return
    session.say(f"{len(plan.claims)} claim(s) to check, {len(plan.skipped)} sentence(s) skipped", style="dim")
    stop = threading.Event()

    def on_claim(p: ClaimProgress) -> None:
        session.say(progress_line(p))
        if stop.is_set():  # Ctrl-C: the draft check stops after this claim and keeps what is done
            raise KeyboardInterrupt

    try:
        result = session.run_cancellable(
            lambda: check_plan(session.app.checker, plan, on_claim=on_claim, doc_id=session.doc_id),
            "checking the draft…",
        )
    except KeyboardInterrupt:
        stop.set()
        raise
    for shown in draft_renderables(result):
        session.show_renderable(shown)
    session.conversation.add_draft(result)
    if result.claims:
        session.say(
            f"why N? or “show the source for N” explains claim N (1–{len(result.claims)})", style="dim"
        )


def quit_chat(session: Session, arg: str) -> None:
    """Leave the chat."""
    session.running = False


# ---- export formats ------------------------------------------------------------------------------


def session_json(turns: list[Turn]) -> str:
    """The turns as a JSON list of ``{"input", "kind", "result"}``."""
    return json.dumps(
        [{"input": t.input, "kind": t.kind, "result": result_dict(t.result)} for t in turns],
        ensure_ascii=False,
        indent=2,
    )


def session_html(session: Session) -> str:
    """The turns as the HTML report: each answer or checked claim with its evidence in its paragraph."""
    store = session.app.store
    texts: dict[str, str | None] = {}

    def text_of(doc_id: str) -> str | None:
        if doc_id not in texts:
            doc = store.get_document(doc_id)
            texts[doc_id] = doc.text if doc is not None else None
        return texts[doc_id]

    turns = session.conversation.turns
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
        if result.uncertain:
            lines += [f"**Uncertain:** {result.uncertain}", ""]
        for c in result.corrections:
            lines += [f"**{'Correction' if c.confirmed else 'The model changed the claim'}:** {c.reason}", ""]
        for i, st in enumerate(result.statements, 1):
            refs = "".join(f" [{cites.index(ev) + 1}]" for ev in st.evidence)
            lines.append(f"{i}. {VERDICT_MARK[st.verdict]} {st.text}{refs}")
            if st.note:
                lines.append(f"   *{st.note}*")
        if result.set_aside:
            lines += ["", "Set aside (not part of the claim; not judged):", ""]
            lines += [f"- {a.text} — *{a.reason}*" for a in result.set_aside]
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
COMMANDS: dict[str, tuple[CommandFn, str, str]] = {
    "help": (show_help, "", "this list"),
    "ingest": (ingest, "PATH…", "add or update .txt/.md files or folders"),
    "docs": (docs, "", "list the indexed documents"),
    "doc": (doc, "[NAME]", "only use this document; without NAME: all"),
    "k": (set_k, "[N]", f"sentences to retrieve, 1–{MAX_K} (default {DEFAULT_K})"),
    "model": (model, "[local|openai]", "show the model and settings, or switch backend"),
    "json": (toggle_json, "", "toggle raw JSON output"),
    "sources": (sources, "", "the sentences retrieved for the last turn, with scores"),
    "draft": (draft, "FILE", "check a whole draft (.txt/.md): every claim marked in place"),
    "export": (
        export,
        "FILE [--force]",
        "save the session as Markdown (.md), JSON (.json) or a page (.html)",
    ),
    "quit": (quit_chat, "", "leave (or Ctrl-D)"),
}
