"""The chat REPL: questions get cited answers, claims get checked, follow-ups use the conversation.

The prompt appears before the LLM loads: the model loads in a background thread, and a turn that needs it
waits with a spinner. The prompt and the output are bound to the terminal before anything loads, on their own
copy of its file descriptor: llama-cpp-python points fds 1 and 2 (and ``sys.stdout``) at /dev/null while it
loads, and a prompt bound to those would show nothing. Each turn runs in a worker thread so Ctrl-C cancels
the answer, not the session. What a line means is decided in :mod:`assistant.conversation`, slash commands
live in :mod:`assistant.chat_commands`, and everything shown is drawn by :mod:`assistant.render`.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager, nullcontext
from typing import TypeVar

from langchain_core.callbacks import BaseCallbackHandler
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output, create_output
from rich.console import Console, RenderableType
from rich.text import Text

from . import render
from .app import App
from .chat_commands import run_command
from .chat_input import plain_reader, prompt_reader, terminal_stream
from .checklog import CheckLog
from .config import Settings
from .conversation import Ask, Command, Conversation, Hint, ShowSource, Turn, Why, is_german, read_line
from .errors import FactCheckError, InputError
from .progress import live_check
from .schemas import Evidence, Retrieved, Statement, result_json
from .secrets import scrub_line
from .stages import STAGE_HANDLER, StageHandler, register_stage_hook

T = TypeVar("T")

#: Sentences shown either side of a cited one by "why?" and "show the source for N".
NEIGHBOURS = 1


def one_line(exc: BaseException) -> str:
    """An exception's message on one line, with any key masked."""
    return scrub_line(str(exc)) or type(exc).__name__


def in_thread(fn: Callable[[], T], *, handler: BaseCallbackHandler | None = None) -> Future[T]:
    """Run ``fn`` in a daemon thread: an abandoned (cancelled) turn never delays leaving the program.

    ``handler`` gets the stage events of the LangChain runs in that thread (see :mod:`assistant.stages`).
    """
    future: Future[T] = Future()

    def work() -> None:
        if handler is not None:
            STAGE_HANDLER.set(handler)
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn())
        except BaseException as exc:  # handed to the waiting thread, which decides
            future.set_exception(exc)

    threading.Thread(target=work, daemon=True, name="factcheck-chat").start()
    return future


# ---- the session ---------------------------------------------------------------------------------


class ChatSession:
    """One chat on a console: the app, the document filter, k, JSON mode and the conversation so far."""

    def __init__(self, app: App, console: Console) -> None:
        self.app = app
        self.console = console
        self.doc_id: str | None = None
        self.k: int = app.settings.k
        self.json_mode = False
        self.conversation = Conversation()
        self.running = True
        self._loading: Future[None] | None = None
        self._legend_shown = False

    @property
    def turns(self) -> list[Turn]:
        """The turns so far."""
        return self.conversation.turns

    # ---- output

    def say(self, message: str | Text, style: str | None = None) -> None:
        """Print one line as is (no markup)."""
        render.say(self.console, message, style)

    def error(self, message: str | BaseException) -> None:
        """Print ``error: …`` on one line."""
        self.say(render.error_line(one_line(message) if isinstance(message, BaseException) else message))

    def show_renderable(self, shown: RenderableType) -> None:
        """Print a table or another rich renderable."""
        self.console.print(shown)

    @contextmanager
    def status(self, message: str) -> Iterator[Callable[[str], None]]:
        """A spinner on a terminal (yields a function that changes its text); nothing otherwise."""
        if not self.console.is_terminal:
            yield lambda _message: None
            return
        with self.console.status(message) as spinner:
            yield lambda new: spinner.update(new)

    # ---- lifecycle

    def start(self, doc: str | None = None) -> None:
        """Open the index, apply ``doc``, print the welcome line and start loading the model."""
        if doc:
            self.use_document(doc)
        n = len(self.app.store.list_documents())
        where = f" · only {self.doc_id}" if self.doc_id else ""
        self.say(
            f"{n} document{'s' if n != 1 else ''} indexed · backend {self.app.settings.backend}{where} · "
            "/help for commands",
            style="dim",
        )
        self.start_loading()

    def start_loading(self) -> None:
        """Build and load the chat model in the background."""
        app = self.app

        def load_and_warm() -> None:
            app.chat.load()
            app.checker.warm()  # the prompt's fixed part is read before the first question comes

        self._loading = in_thread(load_and_warm)

    def wait_for_model(self) -> bool:
        """Wait (with a spinner) for the background load; report a load error once and return False."""
        loading, self._loading = self._loading, None
        if loading is None:
            return True
        try:
            with self.status("loading the model…") if not loading.done() else nullcontext():
                loading.result()
        except KeyboardInterrupt:
            self._loading = loading  # still loading; the next turn waits again
            raise
        except FactCheckError as exc:
            self.error(exc)
            return False
        return True

    def use_document(self, name: str | None) -> None:
        """Restrict retrieval to one document (None: all)."""
        if not name:
            self.doc_id = None
            return
        found = self.app.store.find_document(name)
        if found is None:
            raise InputError(f"no document {name!r} in the index; /docs lists them")
        self.doc_id = found.doc_id

    def last_turn(self) -> Turn:
        """The previous turn; an InputError when there is none."""
        return self.conversation.last_turn()

    def loop(self, read_line: Callable[[], str]) -> int:
        """Read and handle lines until /quit or end of input."""
        while self.running:
            try:
                line = read_line()
            except KeyboardInterrupt:
                continue  # Ctrl-C while typing clears the line
            except EOFError:
                break
            self.handle(line)
        return 0

    # ---- one line

    def handle(self, line: str) -> None:
        """Handle one input line; every failure becomes one line and the session goes on."""
        intent = read_line(line)
        if intent is None:
            return
        try:
            self._dispatch(intent)
        except KeyboardInterrupt:
            self.say("cancelled", style="yellow")
        except FactCheckError as exc:
            self.error(exc)
        except Exception as exc:  # a bug must not end the session
            self.say(render.error_line(f"{type(exc).__name__}: {one_line(exc)}", "internal error: "))

    def _dispatch(self, intent: Command | Why | ShowSource | Hint | Ask) -> None:
        match intent:
            case Command():
                run_command(self, intent)
            case Why(number=number) if number is not None or self.conversation.draft is not None:
                self.explain_draft_claim(number)
            case Hint(text=text):
                self.say(
                    f"“{text}” is not a claim or a question: type a sentence to check it, a question to get "
                    "an answer, or /help for the commands",
                    style="dim",
                )
            case Why():
                self.explain_last()
            case ShowSource(number=number) if self.conversation.draft is not None:
                self.explain_draft_claim(number)
            case ShowSource(number=number):
                self.show_source(number)
            case Ask():
                self.ask(intent)

    def ask(self, intent: Ask) -> None:
        """Check a claim or answer a question, and show the result."""
        if not self.app.store.list_documents():
            self.say(f"the index at {self.app.settings.index} is empty: add documents with /ingest PATH")
            return
        if not self.wait_for_model():
            return
        text = intent.text
        if intent.kind == "claim":
            result = self.run_cancellable(
                lambda: self.app.checker.check(text, doc_id=self.doc_id, k=self.k), "checking…"
            )
        else:
            history, search_text = self.conversation.context_for(text)
            result = self.run_cancellable(
                lambda: self.app.checker.answer(
                    text, doc_id=self.doc_id, k=self.k, history=history, search_text=search_text
                ),
                "answering…",
            )
        turn = Turn(text, intent.kind, result)
        self.conversation.add(turn)
        if intent.kind == "claim" and self.app.settings.log:
            s = self.app.settings
            CheckLog(s.home, secrets=[s.api_key]).add(result, "chat")
        self.show(turn)

    @contextmanager
    def progress(self, model_stage: str) -> Iterator[BaseCallbackHandler]:
        """On a terminal, the live display of a turn (the sentences retrieved, the statements as the model
        writes them, the stage); yields the handler that feeds it. Nothing shown otherwise."""
        if not self.console.is_terminal:
            yield StageHandler(lambda _stage: None, model_stage)
            return
        with live_check(self.console) as shown:
            yield shown.handler(model_stage)

    def run_cancellable(self, fn: Callable[[], T], model_stage: str) -> T:
        """Run a turn in a worker thread with its live progress; Ctrl-C abandons it (KeyboardInterrupt)."""
        register_stage_hook()
        with self.progress(model_stage) as handler:
            future = in_thread(fn, handler=handler)
            try:
                return future.result()
            except KeyboardInterrupt:
                # Stop the abandoned generation too, or it keeps the CPU and the next turn waits for it.
                # Only a chat model already built (cached on the app) can be running.
                if self.app.chat_loaded:
                    self.app.chat.cancel()
                raise

    # ---- showing turns

    def show(self, turn: Turn) -> None:
        """Print a turn's result: JSON, a checked claim, or an answer."""
        if self.json_mode:
            self.say(result_json(turn.result, indent=2))
            return
        if turn.kind == "claim":
            render.render_result(turn.result, self.console)
        else:
            render.render_answer(turn.result, self.console, german=is_german(turn.input))
        if not self._legend_shown and turn.result.statements:
            self._legend_shown = True
            self.say(render.LEGEND, style="dim")

    def explain_last(self) -> None:
        """Each statement of the previous turn with its verdict, and its cited sentences in context."""
        turn, statements = self.conversation.why()
        self.say(render.why_header(turn.input))
        for i, st in enumerate(statements, 1):
            self.show_statement(i, st)

    def explain_draft_claim(self, number: int | None) -> None:
        """Claim ``number`` of the checked draft: its statements, verdicts and evidence in context."""
        claim = self.conversation.draft_claim(number)
        self.say(render.why_header(f"claim {number}: {claim.text}"))
        if claim.standalone != claim.text:
            self.say(f"checked as: {claim.standalone}", style="dim")
        for i, st in enumerate(claim.statements, 1):
            self.show_statement(i, st)

    def show_statement(self, number: int, st: Statement) -> None:
        """A statement, its verdict (and why it differs from the model's) and its evidence in context."""
        contexts = [self.in_context(ev) for ev in st.evidence]
        self.console.print(render.statement_in_context(number, st, contexts))

    def in_context(self, ev: Evidence) -> RenderableType:
        """The cited sentence with its neighbours in the document, the span highlighted."""
        around = [
            Retrieved(
                doc_id=h.doc_id, sentence_id=h.sentence_id, start=h.start, end=h.end, text=h.text, score=0
            )
            for h in self.app.store.sentences_of(ev.doc_id)
            if abs(h.sentence_id - ev.sentence_id) <= NEIGHBOURS
        ]
        if not any(r.sentence_id == ev.sentence_id for r in around):  # re-ingested since: the span alone
            return render.evidence_text(ev, None)
        return render.context_text(ev, around)

    def show_source(self, number: int) -> None:
        """Citation ``number`` of the previous answer (statement ``number`` of a checked claim) in context."""
        found = self.conversation.source(number)
        if isinstance(found, Statement):
            self.show_statement(number, found)
        else:
            self.console.print(render.numbered_sources([(number, self.in_context(found))]))


# ---- entry point ---------------------------------------------------------------------------------


def run_chat(
    settings: Settings,
    *,
    doc: str | None = None,
    app: App | None = None,
    input: Input | None = None,
    output: Output | None = None,
    console: Console | None = None,
    session: ChatSession | None = None,
) -> int:
    """Run the chat until /quit or Ctrl-D and return the exit code.

    Pass ``session`` (which brings its own app and console) to inspect the turns afterwards. Without
    ``input``, a stdin that is not a terminal is read line by line, without prompt or line editing.
    """
    if session is not None and (app is not None or console is not None):
        raise ValueError("pass either session or app/console, not both: a session brings its own")
    piped = input is None and not sys.stdin.isatty()
    terminal = None
    if not piped and output is None and session is None and console is None and sys.stdout.isatty():
        terminal = terminal_stream()
        output, console = create_output(stdout=terminal), Console(file=terminal)
    session = session or ChatSession(app or App(settings), console or Console())
    # The prompt exists before anything loads (start() begins loading the model in the background).
    reader = plain_reader() if piped else prompt_reader(settings, input, output)
    try:
        session.start(doc)
    except FactCheckError as exc:
        session.error(exc)
        return exc.exit_code
    try:
        return session.loop(reader)
    finally:
        if terminal is not None:
            terminal.close()
