"""What the web app holds while it runs: the library's parts, the check queue and the stored results.

Routes only translate HTTP into calls on :class:`WebState` and back; every call here is a library call the
CLI makes too (the same ``Checker.check``, ``ingest_paths``, ``delete_document`` and check log), so the
JSON API answers exactly what the CLI prints.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from ..app import App
from ..check import Checker
from ..checklog import CheckLog
from ..cli import _check_log, _index_exists, _require_documents, _resolve_doc
from ..config import parse_k
from ..errors import FactCheckError, InputError
from ..ingest import IngestReport, ingest_paths
from ..pipelines import get_pipeline
from ..schemas import CheckResult, result_json
from ..secrets import scrub_line
from ..store import StoredDocument
from .results import CheckRequestRecord, ResultStore
from .security import path_inside, safe_upload_name
from .worker import FAILED, CheckJob, CheckQueue

log = logging.getLogger("factcheck.web")

#: Checks run at once with a server backend (an OpenAI-compatible endpoint takes requests in parallel).
SERVER_WORKERS = 4
LOADING = "loading the model…"
#: Bytes copied at a time from an upload to its file.
COPY_CHUNK = 1 << 20


class NothingIndexed(FactCheckError):
    """``factcheck remove`` with no index at all (the same message and exit code as the CLI's)."""


class WebState:
    """The running app's parts: one :class:`App`, one check queue, the results and the check log."""

    def __init__(self, app: App, *, workers: int | None = None) -> None:
        self.app = app
        self.settings = app.settings
        self.results = ResultStore(app.settings.home)
        self.log: CheckLog | None = _check_log(app.settings)
        #: Ingest and remove take the index's write lock (a file lock that fails at once when held): one at
        #: a time within this process, so two uploads wait for each other instead of failing.
        self.write_lock = threading.Lock()
        self._parts = threading.Lock()
        self._ready = False
        self._checkers: dict[str, Checker] = {}
        n = workers or (1 if app.settings.backend == "local" else SERVER_WORKERS)
        self.queue = CheckQueue(self._run, workers=n, on_start=self._started, on_finish=self._finished)
        for row in self.results.unfinished():  # asked before the server last stopped: run them now
            self.queue.submit(CheckJob(row.id, row.request))

    # ---- the model ------------------------------------------------------------------------------

    def start_loading(self) -> None:
        """Load the model in the background (as the chat does), so the first check does not wait for it.

        A load that fails is reported when a check needs the model (and tried again then).
        """

        def load() -> None:
            try:
                self.ready()
            except FactCheckError as exc:
                log.warning("the model could not be loaded yet: %s", scrub_line(str(exc)))

        threading.Thread(target=load, name="factcheck-web-load", daemon=True).start()

    def ready(self, stage: Callable[[str], None] | None = None) -> None:
        """Build the embedder and chat, load the model and have it read the prompt's fixed part (once)."""
        with self._parts:
            if self._ready:
                return
            if stage is not None:
                stage(LOADING)
            _ = self.app.embeddings, self.app.chat  # configuration errors first, as the CLI reports them
            self.app.chat.load()
            self.app.checker.warm()
            self._checkers[self.app.checker.pipeline.id] = self.app.checker
            self._ready = True

    def checker_for(self, pipeline: str | None) -> Checker:
        """The checker of ``pipeline`` (the configured one when None), built once."""
        wanted = get_pipeline(pipeline or self.settings.pipeline).id
        with self._parts:
            if wanted == self.settings.pipeline:
                return self.app.checker
            if wanted not in self._checkers:
                app = self.app
                self._checkers[wanted] = Checker(app.store, app.retriever, app.chat, pipeline=wanted)
            return self._checkers[wanted]

    # ---- checks ---------------------------------------------------------------------------------

    def submit_check(
        self, claim: str, *, doc: str | None = None, k: int | None = None, pipeline: str | None = None
    ) -> CheckJob:
        """Validate a check as ``factcheck check`` does, store it, and queue it.

        Bad input (an empty or over-long claim, an unknown document or pipeline, k out of range, nothing
        indexed) is refused here with the CLI's message, before the check waits in the queue.
        """
        if not claim.strip():
            raise InputError("the claim is empty")
        request = CheckRequestRecord(
            claim=claim.strip(),
            doc=(doc or "").strip() or None,
            k=parse_k(k) if k is not None else None,
            pipeline=get_pipeline(pipeline).id if pipeline else None,
        )
        _ = self.app.embeddings, self.app.chat
        _resolve_doc(self.app, request.doc)
        _require_documents(self.app)
        self.checker_for(request.pipeline).request(request.claim, "claim", k=request.k)  # refuses too long
        job = CheckJob(uuid.uuid4().hex, request)
        self.results.add(job.id, _now(), request)
        return self.queue.submit(job)

    def _run(self, job: CheckJob, stage: Callable[[str], None]) -> CheckResult:
        """One check in a worker thread: the same call as ``factcheck check``."""
        self.ready(stage)
        r = job.request
        doc_id = _resolve_doc(self.app, r.doc)  # removed while the check waited: the CLI's message
        return self.checker_for(r.pipeline).check(r.claim, doc_id=doc_id, k=r.k)

    def _started(self, job: CheckJob) -> None:
        self.results.set_running(job.id, round(job.queued_ms, 1))

    def _finished(self, job: CheckJob) -> None:
        if job.status == FAILED or job.result is None:
            self.results.fail(job.id, job.error or "the check failed", job.error_status, round(job.run_ms, 1))
            return
        log_id = self.log.add(job.result, "web") if self.log is not None else None
        self.results.finish(job.id, result_json(job.result), log_id, round(job.run_ms, 1))

    # ---- documents ------------------------------------------------------------------------------

    def documents(self) -> list[StoredDocument]:
        """The indexed documents (none when nothing was ever indexed), as ``factcheck docs``."""
        return self.app.store.list_documents() if _index_exists(self.settings) else []

    def document(self, name: str) -> StoredDocument:
        """One document with its text, by id or file name; the CLI's message when there is none."""
        doc_id = _resolve_doc(self.app, name)
        doc = self.app.store.get_document(doc_id or name)
        if doc is None:
            raise InputError(f"no document {name!r} in the index; `factcheck docs` lists them")
        return doc

    def remove(self, name: str) -> str:
        """Remove a document, as ``factcheck remove``; returns its id."""
        if not _index_exists(self.settings):
            raise NothingIndexed(f"no document {name!r}: nothing is indexed in {self.settings.index}")
        doc_id = _resolve_doc(self.app, name)
        assert doc_id is not None
        with self.write_lock, self.app.store.write_lock():
            self.app.store.delete_document(doc_id)
        return doc_id

    def ingest_uploads(self, uploads: Iterable[tuple[str | None, BinaryIO]]) -> IngestReport:
        """Ingest uploaded files with ``factcheck ingest``'s own function.

        Each upload is saved under its sanitized name in a fresh folder under ``HOME/uploads`` (so a
        document's id is its file name, as when the file is ingested from disk), ingested, and the folder
        removed. A file refused by name is reported like a file ``ingest`` refuses; the others still go in.
        """
        folder = self.settings.home / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        errors: list[str] = []
        with tempfile.TemporaryDirectory(dir=folder, prefix="upload-") as tmp:
            where = Path(tmp).resolve()
            paths: list[Path] = []
            for filename, data in uploads:
                try:
                    name = safe_upload_name(filename)
                    target = path_inside(where, name)
                    if target.exists():
                        raise InputError(f"{name}: the same file name is uploaded twice; rename one")
                    with target.open("xb") as out:
                        while chunk := data.read(COPY_CHUNK):
                            out.write(chunk)
                    paths.append(target)
                except InputError as exc:
                    errors.append(str(exc))
            report = IngestReport()
            if paths:
                with self.write_lock:
                    report = ingest_paths(self.app.store, self.app.embeddings, paths)
            # The temporary folder means nothing to the person who uploaded: messages name the file.
            prefix = str(where) + os.sep
            return IngestReport(report.outcomes, errors + [e.replace(prefix, "") for e in report.errors])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
