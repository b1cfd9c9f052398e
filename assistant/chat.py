"""The chat REPL: questions get cited answers, claims get checked, follow-ups use the conversation.

The prompt appears before the LLM loads: the model loads in a background thread, and a turn that needs it
waits with a spinner. The prompt and the output are bound to the terminal before anything loads, on their own
copy of its file descriptor: llama-cpp-python points fds 1 and 2 (and ``sys.stdout``) at /dev/null while it
loads, and a prompt bound to those would show nothing. Each turn runs in a worker thread so Ctrl-C cancels
the answer, not the session. Slash commands live in :mod:`assistant.chat_commands`.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar

from langchain_core.callbacks import BaseCallbackHandler
from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.output import Output, create_output
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from .app import App
from .checklog import CheckLog
from .config import Settings
from .errors import FactCheckError, InputError
from .render import (
    VERDICT_MARK,
    VERDICT_STYLE,
    context_text,
    evidence_text,
    render_result,
    verdict_text,
)
from .schemas import CheckResult, Evidence, Retrieved, Statement
from .secrets import scrub_line

T = TypeVar("T")
Kind = Literal["claim", "question"]

PROMPT = "› "
#: Earlier turns sent with a follow-up question: enough to resolve "he"/"it", short enough for a 4k context.
HISTORY_TURNS = 3
#: A question this short that contains a pronoun is taken to refer to the previous turn.
FOLLOWUP_MAX_WORDS = 8

INTERROGATIVES = frozenset(
    "who what when where why how which whose is are was were do does did can could should will would "
    "wer was wann wo warum wieso weshalb wie welche welcher welches wem wen ist sind war waren kann können "
    "hat haben gibt".split()
)
FOLLOWUP_STARTS = ("and ", "und ", "what about", "und was", "but ", "aber ")
PRONOUNS = frozenset(
    "he she it they him her them his its their er sie es ihn ihm ihr ihre sein seine".split()
)
_GERMAN = frozenset(
    "der die das den dem des und ist sind nicht wer wie wann wo warum wieso weshalb welche welcher welches "
    "wem wen ein eine einen mit von für auf im er sie es hat haben gibt kann können waren zu über "
    "nach".split()
)
_ENGLISH = frozenset(
    "the a an and is are not who what when where why how which whose of to in on with for he she it they "
    "has have can could does did do was were".split()
)
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
    "refuted": {"en": "the cited source says otherwise", "de": "die zitierte Quelle sagt etwas anderes"},
    "not_enough_info": {"en": "the sources do not say", "de": "die Quellen sagen das nicht"},
}
#: Shown once per session, after the first result with verdict marks.
LEGEND = (
    f"{VERDICT_MARK['supported']} the cited source supports it · {VERDICT_MARK['refuted']} the cited source "
    f"contradicts it · {VERDICT_MARK['not_enough_info']} the sources do not say · why? or "
    "“show the source for N” shows a source in its context"
)
#: Sentences shown either side of a cited one by "why?" and "show the source for N".
NEIGHBOURS = 1
WHY_RE = re.compile(r"^\s*(why|warum)\s*\??\s*$", re.IGNORECASE)
SOURCE_RE = re.compile(
    r"^\s*(?:(?:show|zeige?)\s+(?:me\s+|mir\s+)?)?(?:the\s+|die\s+)?(?:source|quelle)\s*"
    r"(?:for|für|zu|nr\.?|number|#)?\s*(\d+)\s*[.?!]?\s*$",
    re.IGNORECASE,
)


# ---- reading the input line ----------------------------------------------------------------------


def words_of(text: str) -> list[str]:
    """Lower-case words of ``text``."""
    return re.findall(r"\w+", text.lower())


def is_question(text: str) -> bool:
    """Ends with "?" or starts (after a leading "and"/"und") with an English or German interrogative."""
    words = words_of(text)
    if words[:1] in (["and"], ["und"]):
        words = words[1:]
    return text.rstrip().endswith("?") or bool(words and words[0] in INTERROGATIVES)


def classify(text: str) -> Kind:
    """A question or a claim to check."""
    return "question" if is_question(text) else "claim"


def is_german(text: str) -> bool:
    """A cheap guess from umlauts and function words."""
    words = words_of(text)
    german = sum(w in _GERMAN for w in words) + 2 * bool(re.search("[äöüßÄÖÜ]", text))
    return german > sum(w in _ENGLISH for w in words)


def looks_like_followup(text: str) -> bool:
    """Starts like a follow-up ("and …", "what about …") or is short and refers back with a pronoun."""
    lowered = text.strip().lower()
    words = words_of(lowered)
    return lowered.startswith(FOLLOWUP_STARTS) or (
        len(words) <= FOLLOWUP_MAX_WORDS and any(w in PRONOUNS for w in words)
    )


def one_line(exc: BaseException) -> str:
    """An exception's message on one line, with any key masked."""
    return scrub_line(str(exc)) or type(exc).__name__


# ---- answers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    """One exchange: what the user typed, how it was read, and what came back."""

    input: str
    kind: Kind
    result: CheckResult


def citations(result: CheckResult) -> list[Evidence]:
    """Every distinct evidence span of a result, numbered by first appearance (from 1)."""
    found: list[Evidence] = []
    for st in result.statements:
        found.extend(ev for ev in st.evidence if ev not in found)
    return found


def sentence_for(ev: Evidence, retrieved: list[Retrieved]) -> Retrieved | None:
    """The retrieved sentence an evidence span lies in."""
    return next((r for r in retrieved if (r.doc_id, r.sentence_id) == (ev.doc_id, ev.sentence_id)), None)


def sources_answer(result: CheckResult) -> bool:
    """False when the model found nothing: not enough info and no statement has evidence."""
    return result.verdict != "not_enough_info" or any(st.evidence for st in result.statements)


def distinct_statements(result: CheckResult) -> list[Statement]:
    """The statements without repeats (the model sometimes writes one statement two or three times, citing
    another sentence each time): a repeat with the same verdict adds its evidence to the first."""
    kept: dict[tuple[str, str], Statement] = {}
    for st in result.statements:
        key = (" ".join(st.text.lower().split()), st.verdict)
        if key not in kept:
            kept[key] = st
        else:
            first = kept[key]
            extra = [ev for ev in st.evidence if ev not in first.evidence]
            kept[key] = first.model_copy(update={"evidence": [*first.evidence, *extra]})
    return list(kept.values())


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
    answer = [st for st in statements if st.verdict == "supported"]
    apart = [st for st in statements if st.verdict != "supported"]

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
            line = Text.assemble(("   ", ""), (f"{VERDICT_MARK[st.verdict]} ", VERDICT_STYLE[st.verdict]))
            line.append(st.text, style="dim strike" if st.verdict == "refuted" else "dim")
            line.append(f" — {BECAUSE[st.verdict][lang]}", style="italic")
            if refs(st):
                line.append(f" {refs(st)}", style="cyan")
            console.print(line)
    if cites:
        console.print(Text("Sources", style="bold"))
        table = Table.grid(padding=(0, 1))
        for n, ev in enumerate(cites, 1):
            table.add_row(Text(f"[{n}]", style="cyan"), evidence_text(ev, sentence_for(ev, result.retrieved)))
        console.print(table)
    footer = f"{result.model} · {result.timings_ms.get('total', 0) / 1000:.1f} s"
    if result.dropped_citations:
        footer += f" · {result.dropped_citations} citation(s) dropped: they did not match the source text"
    console.print(Text(footer, style="dim"))


# ---- progress ------------------------------------------------------------------------------------

#: Set inside a turn's worker thread; LangChain adds it to every callback manager via the hook below.
_STAGE_HANDLER: ContextVar[BaseCallbackHandler | None] = ContextVar("factcheck_chat_stage", default=None)


class _StageHandler(BaseCallbackHandler):
    """Reports the pipeline stage (retrieving, then asking the model) to a spinner."""

    def __init__(self, update: Callable[[str], None], model_stage: str) -> None:
        self.update = update
        self.model_stage = model_stage

    def on_retriever_start(self, *args: Any, **kwargs: Any) -> None:
        """Retrieval began."""
        self.update("retrieving…")

    def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
        """The model call began."""
        self.update(self.model_stage)


@cache
def _register_stage_hook() -> None:
    from langchain_core.tracers.context import register_configure_hook

    register_configure_hook(_STAGE_HANDLER, inheritable=True)


def in_thread(fn: Callable[[], T], *, handler: BaseCallbackHandler | None = None) -> Future[T]:
    """Run ``fn`` in a daemon thread: an abandoned (cancelled) turn never delays leaving the program."""
    future: Future[T] = Future()

    def work() -> None:
        if handler is not None:
            _STAGE_HANDLER.set(handler)
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn())
        except BaseException as exc:  # handed to the waiting thread, which decides
            future.set_exception(exc)

    threading.Thread(target=work, daemon=True, name="factcheck-chat").start()
    return future


# ---- the session ---------------------------------------------------------------------------------


class ChatSession:
    """State of one chat: the app, the document filter, k, JSON mode and the turns so far."""

    def __init__(self, app: App, console: Console) -> None:
        self.app = app
        self.console = console
        self.doc_id: str | None = None
        self.k: int = app.settings.k
        self.json_mode = False
        self.turns: list[Turn] = []
        self.running = True
        self._loading: Future[None] | None = None
        self._legend_shown = False

    # ---- output

    def say(self, message: str | Text, style: str | None = None) -> None:
        """Print one line as is (no markup)."""
        self.console.print(message, style=style, markup=False, highlight=False, soft_wrap=True)

    def error(self, message: str | BaseException) -> None:
        """Print ``error: …`` on one line."""
        text = one_line(message) if isinstance(message, BaseException) else scrub_line(message)
        self.say(Text.assemble(("error: ", "bold red"), text))

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
        self._loading = in_thread(lambda: app.chat.load())

    def wait_for_model(self) -> bool:
        """Wait (with a spinner) for the background load; report a load error once and return False."""
        loading, self._loading = self._loading, None
        if loading is None:
            return True
        try:
            with self.status("loading model…") if not loading.done() else nullcontext():
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
        text = line.strip()
        if not text:
            return
        try:
            self._dispatch(text)
        except KeyboardInterrupt:
            self.say("cancelled", style="yellow")
        except FactCheckError as exc:
            self.error(exc)
        except Exception as exc:  # a bug must not end the session
            self.say(
                Text.assemble(("internal error: ", "bold red"), f"{type(exc).__name__}: {one_line(exc)}")
            )

    def _dispatch(self, text: str) -> None:
        from .chat_commands import run_command  # here, not at the top: chat_commands imports this module

        if text.startswith("/"):
            run_command(self, text)
        elif WHY_RE.match(text):
            self.explain_last()
        elif match := SOURCE_RE.match(text):
            self.show_source(int(match[1]))
        else:
            self.ask(text)

    def ask(self, text: str) -> None:
        """Check a claim or answer a question, and show the result."""
        if not self.app.store.list_documents():
            self.say(f"the index at {self.app.settings.index} is empty: add documents with /ingest PATH")
            return
        if not self.wait_for_model():
            return
        kind = classify(text)
        if kind == "claim":
            result = self.run_cancellable(
                lambda: self.app.checker.check(text, doc_id=self.doc_id, k=self.k), "checking…"
            )
        else:
            history, search_text = self.context_for(text)
            result = self.run_cancellable(
                lambda: self.app.checker.answer(
                    text, doc_id=self.doc_id, k=self.k, history=history, search_text=search_text
                ),
                "answering…",
            )
        turn = Turn(text, kind, result)
        self.turns.append(turn)
        if kind == "claim" and self.app.settings.log:
            s = self.app.settings
            CheckLog(s.home, secrets=[s.api_key]).add(result, "chat")
        self.show(turn)

    def context_for(self, question: str) -> tuple[list[dict[str, str]] | None, str | None]:
        """History and search text for a follow-up question; (None, None) for a fresh one."""
        if not self.turns or not looks_like_followup(question):
            return None, None
        history = [
            {"question": t.input, "answer": " ".join(s.text for s in t.result.statements)}
            for t in self.turns[-HISTORY_TURNS:]
        ]
        return history, f"{self.turns[-1].input} {question}"

    def run_cancellable(self, fn: Callable[[], T], model_stage: str) -> T:
        """Run a turn in a worker thread with a stage spinner; Ctrl-C abandons it (KeyboardInterrupt)."""
        _register_stage_hook()
        with self.status("retrieving…") as update:
            future = in_thread(fn, handler=_StageHandler(update, model_stage))
            try:
                return future.result()
            except KeyboardInterrupt:
                # Stop the abandoned generation too, or it keeps the CPU and the next turn waits for it.
                if "chat" in self.app.__dict__:
                    self.app.chat.cancel()
                raise

    # ---- showing turns

    def show(self, turn: Turn) -> None:
        """Print a turn's result: JSON, a checked claim, or an answer."""
        if self.json_mode:
            self.say(turn.result.model_dump_json(indent=2))
            return
        if turn.kind == "claim":
            render_result(turn.result, self.console)
        else:
            render_answer(turn.result, self.console, german=is_german(turn.input))
        if not self._legend_shown and turn.result.statements:
            self._legend_shown = True
            self.say(LEGEND, style="dim")

    def last_turn(self) -> Turn:
        """The previous turn; an InputError when there is none."""
        if not self.turns:
            raise InputError("nothing asked yet: type a question or a claim first")
        return self.turns[-1]

    def explain_last(self) -> None:
        """Each statement of the previous turn with its verdict, and its cited sentences in context."""
        turn = self.last_turn()
        self.say(Text.assemble(("Why: ", "bold"), turn.input))
        for i, st in enumerate(distinct_statements(turn.result), 1):
            self.show_statement(i, st)

    def show_statement(self, number: int, st: Statement) -> None:
        """A statement, its verdict (and why it differs from the model's) and its evidence in context."""
        self.console.print(
            Text.assemble((f"{number}. ", "bold"), verdict_text(st.verdict, st.confidence), "\n   ", st.text)
        )
        if st.note:
            self.say(f"   {st.note}", style="dim italic")
        if not st.evidence:
            self.say("      no verified evidence", style="dim italic")
        for ev in st.evidence:
            self.console.print(Padding(self.in_context(ev), (0, 0, 0, 6)))

    def in_context(self, ev: Evidence) -> Any:
        """The cited sentence with its neighbours in the document, the span highlighted."""
        around = [
            Retrieved(
                doc_id=h.doc_id, sentence_id=h.sentence_id, start=h.start, end=h.end, text=h.text, score=0
            )
            for h in self.app.store.sentences_of(ev.doc_id)
            if abs(h.sentence_id - ev.sentence_id) <= NEIGHBOURS
        ]
        if not any(r.sentence_id == ev.sentence_id for r in around):  # re-ingested since: the span alone
            return evidence_text(ev, None)
        return context_text(ev, around)

    def show_source(self, number: int) -> None:
        """Citation ``number`` of the previous answer (statement ``number`` of a checked claim) in context."""
        turn = self.last_turn()
        result = turn.result
        if turn.kind == "claim":
            if not 1 <= number <= len(result.statements):
                raise InputError(f"no statement {number}: the last check has {len(result.statements)}")
            self.show_statement(number, result.statements[number - 1])
            return
        cites = citations(result)
        if not 1 <= number <= len(cites):
            raise InputError(f"no source [{number}]: the last answer cites {len(cites)}")
        table = Table.grid(padding=(0, 1))
        table.add_row(Text(f"[{number}]", style="cyan"), self.in_context(cites[number - 1]))
        self.console.print(table)


# ---- entry point ---------------------------------------------------------------------------------


def _key_bindings() -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add("enter")
    def _enter(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.document.is_cursor_at_the_end and buffer.text.endswith("\\"):
            buffer.delete_before_cursor(1)  # a trailing backslash continues the input on the next line
            buffer.insert_text("\n")
        else:
            buffer.validate_and_handle()

    @bindings.add("escape", "enter")
    def _newline(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    return bindings


def _history(home: Path) -> History:
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError:
        return InMemoryHistory()
    return FileHistory(str(home / "chat_history"))


def prompt_reader(settings: Settings, input: Input | None, output: Output | None) -> Callable[[], str]:
    """Line editing with persistent history, backslash continuation and Esc+Enter for a newline."""
    session: PromptSession[str] = PromptSession(
        history=_history(settings.home),
        key_bindings=_key_bindings(),
        prompt_continuation="… ",
        input=input,
        output=output,
    )
    return lambda: session.prompt(PROMPT)


def plain_reader(stream: Any = None) -> Callable[[], str]:
    """Lines from a pipe (stdin by default); a line ending with a backslash continues on the next."""

    def read() -> str:
        parts: list[str] = []
        while True:
            line = (stream or sys.stdin).readline()
            if not line:
                if parts:
                    return "\n".join(parts)
                raise EOFError
            line = line.rstrip("\r\n")
            if not line.endswith("\\"):
                return "\n".join([*parts, line])
            parts.append(line[:-1])

    return read


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


def terminal_stream() -> Any:
    """A text stream on a copy of stdout's file descriptor: it stays on the terminal while a library points
    fd 1 and ``sys.stdout`` elsewhere (llama-cpp-python does, to /dev/null, while it loads a model)."""
    return os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding=sys.stdout.encoding or "utf-8", buffering=1)
