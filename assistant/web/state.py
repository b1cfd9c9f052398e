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
from ..config import parse_k
from ..documents import MAX_FILE_BYTES, doc_id_for
from ..draft import ClaimProgress, DraftResult, check_plan, plan_draft
from ..errors import FactCheckError, InputError
from ..ingest import IngestReport, ingest_paths
from ..pipelines import get_pipeline
from ..schemas import CheckResult, result_json
from ..secrets import scrub_line
from ..stages import reporting_stages
from ..store import StoredDocument
from .drafts import DraftRequestRecord, DraftStore, DraftTooLarge
from .results import CheckRequestRecord, ResultStore
from .security import path_inside, safe_upload_name
from .worker import FAILED, CheckJob, CheckQueue

log = logging.getLogger("factcheck.web")

#: Checks run at once with a server backend (an OpenAI-compatible endpoint takes requests in parallel).
SERVER_WORKERS = 4
LOADING = "loading the model…"
#: Bytes copied at a time from an upload to its file.
COPY_CHUNK = 1 << 20
#: Where uploaded sources are kept (under the state folder), so a document's path names a file that exists.
SOURCES_DIR = "sources"


class NothingIndexed(FactCheckError):
    """``factcheck remove`` with no index at all (the same message and exit code as the CLI's)."""


class WebState:
    """The running app's parts: one :class:`App`, one check queue, the results and the check log."""

    def __init__(self, app: App, *, workers: int | None = None) -> None:
        self.app = app
        self.settings = app.settings
        self.results = ResultStore(app.settings.home)
        self.drafts = DraftStore(app.settings.home)
        self.log: CheckLog | None = app.check_log()
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
        for draft in self.drafts.unfinished():
            self.queue.submit(CheckJob(draft.id, draft.request))

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
        self.app.resolve_doc(request.doc)
        self.app.require_documents()
        self.checker_for(request.pipeline).request(request.claim, "claim", k=request.k)  # refuses too long
        job = CheckJob(uuid.uuid4().hex, request)
        self.results.add(job.id, _now(), request)
        return self.queue.submit(job)

    def _run(self, job: CheckJob, stage: Callable[[str], None]) -> CheckResult | DraftResult:
        """One check or draft in a worker thread: the same call as ``factcheck check`` / ``draft``."""
        self.ready(stage)
        r = job.request
        doc_id = self.app.resolve_doc(r.doc)  # removed while the check waited: the CLI's message
        if isinstance(r, DraftRequestRecord):
            return self._run_draft(job, r, doc_id, stage)
        return self.checker_for(r.pipeline).check(r.claim, doc_id=doc_id, k=r.k)

    def _started(self, job: CheckJob) -> None:
        store = self.drafts if isinstance(job.request, DraftRequestRecord) else self.results
        store.set_running(job.id, round(job.queued_ms, 1))

    def _finished(self, job: CheckJob) -> None:
        store = self.drafts if isinstance(job.request, DraftRequestRecord) else self.results
        if job.status == FAILED or job.result is None:
            store.fail(job.id, job.error or "the check failed", job.error_status, round(job.run_ms, 1))
            return
        if isinstance(job.result, DraftResult):
            if self.log is not None:  # as `factcheck draft` logs each claim
                for claim in job.result.claims:
                    if claim.result is not None:
                        self.log.add(claim.result, "draft")
            self.drafts.finish(job.id, job.result.model_dump_json(), round(job.run_ms, 1))
            return
        log_id = self.log.add(job.result, "web") if self.log is not None else None
        self.results.finish(job.id, result_json(job.result), log_id, round(job.run_ms, 1))

    # ---- drafts ---------------------------------------------------------------------------------

    def submit_draft(
        self, text: str, *, name: str | None = None, doc: str | None = None, limit: int | None = None
    ) -> CheckJob:
        """Validate a draft as ``factcheck draft`` does, store it, and queue it as one job.

        Refused here, before it waits in the queue, with the CLI's message: a draft over the size the CLI
        reads (413), an empty draft or one with more claims than are checked without ``limit`` (400), an
        unknown document (400), nothing indexed (409).
        """
        where = name or "the draft"
        if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
            raise DraftTooLarge(f"{where}: larger than {MAX_FILE_BYTES // 2**20} MiB; a draft is a few kB")
        text = text.removeprefix("\ufeff")  # as read_draft drops it: offsets index the text without it
        plan_draft(text, path=name, limit=limit)  # no model: bad input fails before the queue
        request = DraftRequestRecord(text=text, name=name, doc=(doc or "").strip() or None, limit=limit)
        _ = self.app.embeddings, self.app.chat
        if not self.documents():
            raise FactCheckError(
                f"the index at {self.settings.index} is empty: run `factcheck ingest PATH` first"
            )
        self.app.resolve_doc(request.doc)
        job = CheckJob(uuid.uuid4().hex, request)
        self.drafts.add(job.id, _now(), request)
        return self.queue.submit(job)

    def _run_draft(
        self, job: CheckJob, r: DraftRequestRecord, doc_id: str | None, stage: Callable[[str], None]
    ) -> DraftResult:
        """A whole draft, claim after claim (``factcheck draft``'s own calls), its progress on the job."""
        plan = plan_draft(r.text, path=r.name, limit=r.limit)
        job.progress = (0, len(plan.claims))

        def claim_stage(text: str) -> None:
            done, total = job.progress
            stage(f"claim {min(done + 1, total)} of {total}: {text}")

        def decided(p: ClaimProgress) -> None:
            job.progress = (p.n, p.total)

        claim_stage("starting…")
        with reporting_stages(claim_stage):
            return check_plan(self.app.checker, plan, on_claim=decided, doc_id=doc_id)

    # ---- documents ------------------------------------------------------------------------------

    def documents(self) -> list[StoredDocument]:
        """The indexed documents (none when nothing was ever indexed), as ``factcheck docs``."""
        return self.app.store.list_documents() if self.app.index_exists else []

    def document(self, name: str) -> StoredDocument:
        """One document with its text, by id or file name; the CLI's message when there is none."""
        doc_id = self.app.resolve_doc(name)
        doc = self.app.store.get_document(doc_id or name)
        if doc is None:
            raise InputError(f"no document {name!r} in the index; `factcheck docs` lists them")
        return doc

    def remove(self, name: str) -> str:
        """Remove a document, as ``factcheck remove``; returns its id."""
        if not self.app.index_exists:
            raise NothingIndexed(f"no document {name!r}: nothing is indexed in {self.settings.index}")
        doc_id = self.app.resolve_doc(name)
        assert doc_id is not None
        with self.write_lock:
            doc = self.app.store.get_document(doc_id)
            with self.app.store.write_lock():
                self.app.store.delete_document(doc_id)
            if doc is not None:
                self.forget_upload(doc)
        return doc_id

    def ingest_uploads(self, uploads: Iterable[tuple[str | None, BinaryIO]]) -> IngestReport:
        """Ingest uploaded files with ``factcheck ingest``'s function, keeping each under ``HOME/sources``.

        Each upload is first written under its sanitized name to a fresh folder under ``HOME/uploads``, then
        moved to ``HOME/sources/<name>`` and ingested from there, so a document's stored path (and every
        evidence's ``doc_path``) names a file that exists, and its id is its file name as when ingested from
        disk. A file of the same name replaces the kept one, as it replaces the document; if the new file is
        refused, the kept one is put back, so a failed upload loses nothing. A file refused by name is
        reported like a file ``ingest`` refuses; the others still go in.
        """
        home = self.settings.home
        (home / "uploads").mkdir(parents=True, exist_ok=True)
        sources = self.sources_folder()
        errors: list[str] = []
        with tempfile.TemporaryDirectory(dir=home / "uploads", prefix="upload-") as tmp:
            where = Path(tmp).resolve()
            staged: list[Path] = []
            for filename, data in uploads:
                try:
                    name = safe_upload_name(filename)
                    target = path_inside(where, name)
                    if target.exists():
                        raise InputError(f"{name}: the same file name is uploaded twice; rename one")
                    with target.open("xb") as out:
                        while chunk := data.read(COPY_CHUNK):
                            out.write(chunk)
                    staged.append(target)
                except InputError as exc:
                    errors.append(str(exc))
            report = IngestReport()
            if staged:
                with self.write_lock:
                    report = self._ingest_kept(staged, sources, where / ".previous")
            # Neither folder means anything to the person who uploaded: messages name the file.
            cleaned = [
                e.replace(str(where) + os.sep, "").replace(str(sources) + os.sep, "") for e in report.errors
            ]
            return IngestReport(report.outcomes, errors + cleaned)

    def sources_folder(self) -> Path:
        """``HOME/sources``, where uploaded files are kept (created when missing)."""
        folder = self.settings.home / SOURCES_DIR
        folder.mkdir(parents=True, exist_ok=True)
        return folder.resolve()

    def _ingest_kept(self, staged: list[Path], sources: Path, previous: Path) -> IngestReport:
        """Move the staged files into ``sources`` (the kept ones they replace aside), ingest them from there,
        and undo the move for every file ingest refused."""
        previous.mkdir()
        kept: list[tuple[Path, Path | None]] = []
        for path in staged:
            target = path_inside(sources, path.name)
            if target.is_dir() or target.is_symlink():  # not ours to replace; never follow a link out
                raise InputError(f"{path.name}: {SOURCES_DIR}/{path.name} is in the way; rename the file")
            old = None
            if target.exists():
                old = previous / path.name
                os.replace(target, old)
            os.replace(path, target)
            kept.append((target, old))
        report: IngestReport | None = None
        try:
            report = ingest_paths(self.app.store, self.app.embeddings, [t for t, _ in kept])
        finally:  # also when ingest raised (every file refused, index locked): nothing is kept for nothing
            ingested = {o.doc_id for o in report.outcomes} if report is not None else set()
            for target, old in kept:
                if doc_id_for(target) in ingested:
                    continue
                if old is not None:
                    os.replace(old, target)  # the document still is the old file: keep it
                else:
                    target.unlink(missing_ok=True)
        return report

    def forget_upload(self, doc: StoredDocument) -> None:
        """Delete the kept upload of a removed document (a file ingested from elsewhere is never touched)."""
        sources = self.sources_folder()
        for candidate in (Path(doc.path), sources / doc.name):
            try:
                path = path_inside(sources, candidate.name)
            except InputError:
                continue
            if candidate.resolve() == path and path.is_file() and not path.is_symlink():
                path.unlink(missing_ok=True)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
