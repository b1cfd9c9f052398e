"""The chat on a real (pseudo-)terminal while the model loads the way llama-cpp-python does: with fds 1 and 2
and ``sys.stdout`` pointed at /dev/null. The prompt must be there, and typing echoed, all the same."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from .conftest import ROOT

CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|[\x08\r]")

CHILD = r"""
import sys, time, pathlib
from assistant.ingest import ingest_document
from assistant.app import App
from assistant.chat import run_chat
from assistant.config import Settings
from assistant.documents import load_document
from assistant.llm import StructuredChat
from assistant.store import SentenceStore
from tests.conftest import SEED, FakeChatModel, FakeEmbeddings

tmp = pathlib.Path(sys.argv[1])
loading, release = tmp / "loading", tmp / "release"

def load():
    from llama_cpp._utils import suppress_stdout_stderr  # what Llama(verbose=False) does while it loads
    with suppress_stdout_stderr(disable=False):
        print("llama.cpp noise")
        loading.touch()
        while not release.exists():
            time.sleep(0.05)

settings = Settings(home=tmp / "home", index=str(tmp / "chroma"), embedder="fake", backend="local",
                    model_dir=tmp / "models", k=5, pipeline="check.v1")
store = SentenceStore(settings.index, "fake")
ingest_document(store, load_document(SEED), FakeEmbeddings().embed_documents)
chat = StructuredChat(chat_model=FakeChatModel(), name="fake", schema_kwargs=lambda s: {}, load_hook=load)
app = App(settings, chat=chat, embeddings=FakeEmbeddings(), store=store)
sys.exit(run_chat(settings, app=app))
"""


class Terminal:
    """A child process on a pseudo-terminal: what it shows, and keys typed into it."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
        os.close(slave)
        self.screen = b""

    def read_until(self, text: str, *, after: str = "", timeout: float = 60) -> str:
        """Read until ``text`` is shown (after the first ``after``); returns what was shown after it."""
        deadline = time.monotonic() + timeout
        while text not in self._after(after) and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.screen += os.read(self.master, 65536)
                except OSError:
                    break
        shown = self._after(after)
        assert text in shown, f"{text!r} never appeared; the terminal showed: {self.text[-2000:]!r}"
        return shown

    def _after(self, marker: str) -> str:
        return self.text.partition(marker)[2] if marker else self.text

    @property
    def text(self) -> str:
        """What was written, without terminal control sequences."""
        return CONTROL.sub("", self.screen.decode("utf-8", "replace"))

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        os.close(self.master)


def _wait_for(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


def test_prompt_and_echo_stay_on_the_terminal_while_the_model_loads(tmp_path):
    pytest.importorskip("llama_cpp")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}
    term = Terminal([sys.executable, "-c", CHILD, str(tmp_path)], env)
    try:
        term.read_until("/help for commands")
        _wait_for(tmp_path / "loading")  # fds 1 and 2 now point at /dev/null
        term.read_until("›")
        term.type("/k 3")
        term.read_until("/k 3")  # echoed as it is typed
        term.type("\r")
        term.read_until("k = 3")
        term.read_until("›", after="k = 3")  # and the next prompt is there
        assert "llama.cpp noise" not in term.text
        (tmp_path / "release").touch()
        term.type("/quit\r")
        assert term.proc.wait(30) == 0
    finally:
        term.close()
