"""The model worker: every check of every visitor goes through one queue.

The embedded llama.cpp model is not thread-safe and holds one KV cache, so with the ``local`` backend one
worker thread runs the checks, one at a time, in the order they were asked; each visitor's page shows its
place in the queue. With a server backend (an OpenAI-compatible endpoint) several workers run checks at
once, as ``factcheck check --file --concurrency N`` does.

A check belongs to the queue, not to the request that asked for it: a closed tab or a dropped connection
does not cancel it, and its result is stored (:mod:`assistant.web.results`) for its permanent link. A check
that fails records its error; the worker goes on with the next one.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from ..draft import DraftResult
from ..errors import FactCheckError
from ..schemas import CheckResult
from ..secrets import scrub_line
from ..stages import reporting_stages
from .drafts import DraftRequestRecord, DraftTooLarge
from .results import CheckRequestRecord

log = logging.getLogger("factcheck.web")

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


@dataclass
class CheckJob:
    """One check, or one whole draft, in the queue and what became of it."""

    id: str
    request: CheckRequestRecord | DraftRequestRecord
    status: str = QUEUED
    #: What the check is doing now ("retrieving…", "asking the model…", …), for the page.
    stage: str = ""
    result: CheckResult | DraftResult | None = None
    #: A draft's claims decided so far and its claims to check (0, 0 for a claim).
    progress: tuple[int, int] = (0, 0)
    #: The error message (keys masked) and its HTTP status, when the check failed.
    error: str | None = None
    error_status: int = 500
    error_code: int = 1
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    _done: threading.Event = field(default_factory=threading.Event, repr=False)
    _waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = field(
        default_factory=list, repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def queued_ms(self) -> float:
        """Milliseconds the check waited in the queue before a worker took it (so far, while queued)."""
        return ((self.started or time.monotonic()) - self.submitted) * 1000

    @property
    def run_ms(self) -> float:
        """Milliseconds a worker has spent on the check (so far, while running)."""
        return 0.0 if self.started is None else ((self.finished or time.monotonic()) - self.started) * 1000

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the check is finished (a thread's wait)."""
        return self._done.wait(timeout)

    async def finished_async(self) -> None:
        """Until the check is finished, without holding a thread (a request handler's wait)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self._done.is_set():
                return
            self._waiters.append((loop, future))
        await future

    def _finish(self) -> None:
        with self._lock:
            self._done.set()
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            loop.call_soon_threadsafe(_resolve, future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():  # the waiting request may have been cancelled (client gone)
        future.set_result(None)


#: Runs one check or draft (in a worker thread), reporting its stage; returns the result or raises.
RunCheck = Callable[[CheckJob, Callable[[str], None]], CheckResult | DraftResult]
#: Called in the worker thread when a check is finished (stores it); must not raise.
OnFinish = Callable[[CheckJob], None]


class CheckQueue:
    """A first-in, first-out queue of checks served by ``workers`` threads."""

    def __init__(self, run: RunCheck, *, workers: int = 1, on_start: OnFinish, on_finish: OnFinish) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self._run = run
        self._on_start = on_start
        self._on_finish = on_finish
        self._queue: deque[CheckJob] = deque()
        self._live: dict[str, CheckJob] = {}
        self._cond = threading.Condition()
        self._stopping = False
        self._threads = [
            threading.Thread(target=self._serve, name=f"factcheck-web-worker-{i}", daemon=True)
            for i in range(workers)
        ]
        for t in self._threads:
            t.start()

    def submit(self, job: CheckJob) -> CheckJob:
        """Queue a check; it runs whatever happens to the request that asked for it."""
        with self._cond:
            if self._stopping:
                raise FactCheckError("the server is shutting down; ask again when it is back")
            self._queue.append(job)
            self._live[job.id] = job
            self._cond.notify()
        return job

    def get(self, job_id: str) -> CheckJob | None:
        """A queued or running check (finished ones are in the result store)."""
        with self._cond:
            return self._live.get(job_id)

    def position(self, job: CheckJob) -> int:
        """The check's place in the queue: 1 is next; 0 once a worker runs it."""
        with self._cond:
            for i, queued in enumerate(self._queue):
                if queued is job:
                    return i + 1
        return 0

    def __len__(self) -> int:
        with self._cond:
            return len(self._queue)

    def close(self, timeout: float = 5.0) -> None:
        """Stop taking checks; workers finish the check they run. Queued checks stay stored for the next
        start (:meth:`assistant.web.results.ResultStore.unfinished`)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for t in self._threads:
            t.join(timeout)

    def _serve(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                job = self._queue.popleft()
                job.status, job.started = RUNNING, time.monotonic()
            self._one(job)

    def _one(self, job: CheckJob) -> None:
        def stage(text: str) -> None:
            job.stage = text

        try:
            self._on_start(job)
            with reporting_stages(stage):
                job.result = self._run(job, stage)
            job.status = DONE
        except FactCheckError as exc:
            job.error, job.error_status, job.error_code = scrub_line(str(exc)), status_of(exc), exc.exit_code
            job.status = FAILED
        except Exception as exc:  # a bug must not take the worker (and everyone's checks) down with it
            log.error("check %s failed: %s", job.id, scrub_line(f"{type(exc).__name__}: {exc}"))
            job.error = f"internal error ({type(exc).__name__}); the server log has the details"
            job.error_status, job.status = 500, FAILED
        job.finished = time.monotonic()
        try:
            self._on_finish(job)
        except Exception as exc:
            log.error("check %s could not be stored: %s", job.id, scrub_line(str(exc)))
        finally:
            with self._cond:
                self._live.pop(job.id, None)
            job._finish()


def status_of(exc: FactCheckError) -> int:
    """The HTTP status of a library error: the request's fault (4xx) or the server's side (5xx)."""
    from ..errors import ConfigError, EndpointError, InputError, ModelError, StoreError

    if isinstance(exc, DraftTooLarge):
        return 413
    if isinstance(exc, InputError):
        return 400
    if isinstance(exc, StoreError):
        return 503  # locked by another process (try again), or unusable until someone fixes it
    if isinstance(exc, EndpointError | ModelError):
        return 502  # the model or a server behind us failed
    if isinstance(exc, ConfigError):
        return 500
    return 409  # the request cannot be done in the index's current state (e.g. nothing indexed)
