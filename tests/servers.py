"""Start and stop real servers for tests: a Chroma server and a llama.cpp OpenAI-compatible server.

Both listen on 127.0.0.1 only, on a free port, and log to a file; startup is bounded, and a server that
fails to start raises with the tail of its log.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

HOST = "127.0.0.1"
CHROMA_START_S = 60.0
LLAMA_START_S = 120.0
STOP_GRACE_S = 10.0
LOG_TAIL_CHARS = 3000


def free_port() -> int:
    """A port nothing listens on right now (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def chroma_executable() -> Path:
    """The ``chroma`` command installed next to this Python (the project's virtual environment)."""
    return Path(sys.executable).parent / "chroma"


class ServerProcess:
    """A server subprocess with a bounded start, a log file, and stop/restart on the same port."""

    name = "server"
    start_timeout_s = CHROMA_START_S

    def __init__(self, log_path: Path, port: int | None = None) -> None:
        self.log_path = log_path
        self.port = port or free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        """The command line that starts the server."""
        raise NotImplementedError

    def is_ready(self) -> bool:
        """True once the server answers."""
        raise NotImplementedError

    @property
    def pid(self) -> int | None:
        """The server process's id while it runs (e.g. to measure its memory), else None."""
        return self._proc.pid if self.running and self._proc is not None else None

    @property
    def running(self) -> bool:
        """True while the process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the server and wait until it answers; raise with the log tail if it does not."""
        if self.running:
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"\n--- {' '.join(self.command())}\n".encode())
            log.flush()
            self._proc = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self._proc.returncode} while starting; "
                    f"log:\n{self.log_tail()}"
                )
            if self.is_ready():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"{self.name} did not answer on port {self.port} within {self.start_timeout_s:.0f} s; "
            f"log:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """Terminate the server; kill it if it has not exited after a grace period."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_GRACE_S)

    def restart(self) -> None:
        """Stop (if running) and start again on the same port."""
        self.stop()
        self.start()

    def log_tail(self) -> str:
        """The end of the server's log."""
        try:
            return self.log_path.read_text("utf-8", errors="replace")[-LOG_TAIL_CHARS:]
        except OSError:
            return "(no log)"

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ChromaServer(ServerProcess):
    """``chroma run`` on a data folder."""

    name = "Chroma server"
    start_timeout_s = CHROMA_START_S

    def __init__(self, path: Path, *, port: int | None = None, log_path: Path | None = None) -> None:
        self.path = path
        super().__init__(log_path or path.parent / f"{path.name}-chroma-server.log", port)

    @property
    def url(self) -> str:
        """The server's URL, as ``--chroma-url`` takes it."""
        return f"http://{HOST}:{self.port}"

    def command(self) -> list[str]:
        """``chroma run --path PATH --host 127.0.0.1 --port N``."""
        exe = chroma_executable()
        return [str(exe), "run", "--path", str(self.path), "--host", HOST, "--port", str(self.port)]

    def is_ready(self) -> bool:
        """True once ``heartbeat()`` succeeds.

        The Chroma client waits without a timeout, so a bounded HTTP probe goes first: a port held by
        something that accepts but never answers must not hang the test run.
        """
        import chromadb
        from chromadb.config import Settings

        if not _http_ok(f"{self.url}/api/v2/heartbeat"):
            return False
        try:
            chromadb.HttpClient(
                host=HOST, port=self.port, settings=Settings(anonymized_telemetry=False)
            ).heartbeat()
        except Exception:  # the server is still setting up
            return False
        return True


class LlamaServer(ServerProcess):
    """``python -m llama_cpp.server`` serving one GGUF model under the alias ``model_alias``."""

    name = "llama.cpp server"
    start_timeout_s = LLAMA_START_S

    def __init__(
        self,
        model_path: Path,
        *,
        model_alias: str = "qwen",
        n_ctx: int = 4096,
        n_threads: int = 2,
        port: int | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.model_path = model_path
        self.model_alias = model_alias
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        log = log_path or Path(tempfile.mkdtemp(prefix="llama-server-")) / "llama-server.log"
        super().__init__(log, port)

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL (ends in ``/v1``)."""
        return f"http://{HOST}:{self.port}/v1"

    def command(self) -> list[str]:
        """The server command line (flag names as in llama-cpp-python 0.3.36)."""
        return [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(self.model_path),
            "--model_alias",
            self.model_alias,
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--n_ctx",
            str(self.n_ctx),
            "--n_threads",
            str(self.n_threads),
            "--n_threads_batch",
            str(self.n_threads),
            # mlock of 1 GB fails under the usual memlock limit; mmap is enough for a test
            "--use_mlock",
            "False",
        ]

    def is_ready(self) -> bool:
        """True once ``GET /v1/models`` answers 200."""
        return _http_ok(f"{self.base_url}/models")


def _http_ok(url: str, timeout_s: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def chroma_server(path: Path, *, log_path: Path | None = None) -> Iterator[str]:
    """A Chroma server on ``path`` for the duration of the block; yields its URL."""
    with ChromaServer(path, log_path=log_path) as server:
        yield server.url


@contextmanager
def llama_server(model_path: Path, *, n_threads: int = 2, log_path: Path | None = None) -> Iterator[str]:
    """A llama.cpp OpenAI-compatible server on ``model_path``; yields its ``/v1`` base URL."""
    with LlamaServer(model_path, n_threads=n_threads, log_path=log_path) as server:
        yield server.base_url


def closed_port_url(scheme: str = "http", path: str = "") -> str:
    """A URL on 127.0.0.1 where nothing listens (for unreachable-endpoint tests)."""
    return f"{scheme}://{HOST}:{free_port()}{path}"


def has_chroma() -> bool:
    """True when the ``chroma`` command is installed and executable."""
    exe = chroma_executable()
    return exe.is_file() and os.access(exe, os.X_OK)
