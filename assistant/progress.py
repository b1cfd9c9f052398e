"""Live progress on stderr: bars for long runs, what a check is doing (its stage, the sentences it retrieved,
the statements the model has written so far), the model assembly.

On a terminal these are rich's live displays; on a pipe (CI logs) a long run prints a line every 10% and a
check shows nothing, so a log keeps only what a reader needs.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.spinner import Spinner
from rich.text import Text

from . import render
from .stages import ASKING, RETRIEVING, ProgressHandler, StreamedStatement, reporting_stages

if TYPE_CHECKING:
    from .records import Sentence

#: Retrieved sentences listed while a check runs (k may be up to 50); the rest are counted.
SHOWN_RETRIEVED = 8


def assembly_progress(console: Console) -> Callable[[int, int], None]:
    """A transient bar of the bytes assembled while the model file is put together (first use only)."""
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            bar = Progress(
                TextColumn("assembling model"), BarColumn(), DownloadColumn(), console=console, transient=True
            )
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task("model", total=total)
        state["bar"].update(state["task"], completed=done)
        if done >= total:
            state.pop("bar").stop()

    return update


class EtaColumn(ProgressColumn):
    """Time left, from the stage's mean time per finished step.

    rich's own ``TimeRemainingColumn`` estimates speed from the last 30 s only, so with 15-30 s per claim it
    mostly has one sample and shows ``-:--:--`` for the whole run.
    """

    def render(self, task: Task) -> Text:
        """``eta 0:04:10`` once a step is done; ``eta –`` before."""
        if not task.completed or not task.total or task.elapsed is None:
            return Text("eta –", style="progress.remaining")
        left = int(task.elapsed / task.completed * max(0.0, task.total - task.completed))
        return Text(f"eta {left // 3600}:{left // 60 % 60:02d}:{left % 60:02d}", style="progress.remaining")


class StageProgress:
    """A progress bar on a terminal; on a pipe (CI logs), a line every 10% of each stage."""

    def __init__(self, console: Console) -> None:
        self._bar = (
            Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                EtaColumn(),
                console=console,
            )
            if console.is_terminal
            else None
        )
        self._task: Any = None
        self._name, self._total, self._done, self._next = "", 0, 0, 0

    def __enter__(self) -> StageProgress:
        if self._bar:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar:
            self._bar.stop()

    def stage(self, name: str, total: int) -> None:
        """Start a stage of ``total`` steps."""
        self._name, self._total, self._done = name, total, 0
        self._next = max(1, total // 10)
        if self._bar:
            if self._task is None:
                self._task = self._bar.add_task(name, total=total)
            self._bar.reset(self._task, total=total, description=name)
        else:
            print(f"{name}: 0/{total}", file=sys.stderr, flush=True)

    def advance(self, n: int = 1) -> None:
        """Record ``n`` finished steps."""
        self._done += n
        if self._bar and self._task is not None:
            self._bar.advance(self._task, n)
        elif not self._bar and (self._done >= self._next or self._done == self._total):
            print(f"{self._name}: {self._done}/{self._total}", file=sys.stderr, flush=True)
            self._next = self._done + max(1, self._total // 10)


def ingest_bar(console: Console) -> Progress:
    """A transient bar of the sentences ingested, named after the file at hand; off on a pipe."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} sentences"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


@contextmanager
def status(message: str, console: Console) -> Iterator[None]:
    """A spinner with ``message`` on a terminal; nothing on a pipe."""
    if console.is_terminal:
        with console.status(message):
            yield
    else:
        yield


class Elapsed:
    """A status text with the seconds since it was set, re-rendered on every refresh of the status line."""

    def __init__(self, text: str) -> None:
        self.started = time.monotonic()
        self.set(text)

    def set(self, text: str) -> None:
        """Show ``text`` and restart its clock."""
        self.text, self.since = text, time.monotonic()

    def __rich__(self) -> Text:
        now = time.monotonic()
        return Text.assemble(
            self.text,
            (f" {now - self.since:.0f} s", "bold"),
            (f" · {now - self.started:.0f} s in all", "dim"),
        )


class CheckProgress:
    """What a running check shows: the sentences retrieved, each statement the model has written so far
    (provisional, before its citations are verified) and a spinner with the stage and its seconds.

    ``refresh`` redraws at once; the handler's events come from the thread that runs the check.
    """

    def __init__(self, prefix: str = "", refresh: Callable[[], None] = lambda: None) -> None:
        self.prefix = prefix
        self.refresh = refresh
        self.label = Elapsed(prefix + RETRIEVING)
        self.retrieved: list[Sentence] = []
        self.statements: list[StreamedStatement] = []
        self._spinner = Spinner("dots", text=self.label, style="status.spinner")

    def handler(self, model_stage: str = ASKING) -> ProgressHandler:
        """The LangChain handler that feeds this display."""
        return ProgressHandler(
            self.stage,
            model_stage,
            on_evidence=self.evidence,
            on_statement=self.statement,
            on_reply=self.reply,
        )

    def stage(self, stage: str) -> None:
        """The check entered ``stage``."""
        self.label.set(self.prefix + stage)
        self.refresh()  # show a new stage at once, not at the next tick

    def evidence(self, sentences: list[Sentence]) -> None:
        """Retrieval returned ``sentences``."""
        self.retrieved = list(sentences)
        self.refresh()

    def reply(self) -> None:
        """A model call started: statements of an earlier (malformed) reply are dropped."""
        self.statements = []
        self.refresh()

    def statement(self, st: StreamedStatement) -> None:
        """The model finished writing a statement."""
        self.statements = [*self.statements, st]
        self.refresh()

    def __rich__(self) -> Group:
        retrieved, statements = self.retrieved, self.statements  # replaced, never changed in place
        lines: list[RenderableType] = [render.retrieved_line(s) for s in retrieved[:SHOWN_RETRIEVED]]
        if len(retrieved) > SHOWN_RETRIEVED:
            lines.append(Text(f"… and {len(retrieved) - SHOWN_RETRIEVED} more", style="dim"))
        lines.extend(render.provisional_line(st) for st in statements)
        return Group(*lines, self._spinner)


@contextmanager
def live_check(console: Console, prefix: str = "") -> Iterator[CheckProgress]:
    """A transient :class:`CheckProgress` on a terminal console, fed by its :meth:`~CheckProgress.handler`."""
    progress = CheckProgress(prefix)
    with Live(progress, console=console, transient=True) as live:
        progress.refresh = live.refresh
        yield progress


@contextmanager
def check_status(console: Console, n: int, of: int) -> Iterator[None]:
    """On a terminal, a transient display of claim ``n`` of ``of``: the sentences retrieved, the statements as
    the model writes them and the stage with its seconds; it vanishes when the result is printed. Nothing on
    a pipe, so stdout keeps only the result."""
    if not console.is_terminal:
        yield
        return
    with (
        live_check(console, f"[{n}/{of}] " if of > 1 else "") as progress,
        reporting_stages(progress.handler()),
    ):
        yield
