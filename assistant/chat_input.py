"""Reading the chat's input: line editing with history on a terminal, plain lines from a pipe."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.output import Output

from .config import Settings

PROMPT = "› "


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


def terminal_stream() -> Any:
    """A text stream on a copy of stdout's file descriptor: it stays on the terminal while a library points
    fd 1 and ``sys.stdout`` elsewhere (llama-cpp-python does, to /dev/null, while it loads a model)."""
    return os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding=sys.stdout.encoding or "utf-8", buffering=1)
