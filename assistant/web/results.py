"""The web app's checks, kept under the state folder so every result has a permanent link.

One SQLite row per check asked in the browser or through the API (``HOME/web.sqlite``): what was asked, its
state (queued, running, done, failed), and then the result JSON (exactly what ``factcheck check --json``
prints) or the error. A check is written when it is asked, so one the server did not finish (it stopped)
is found again at the next start and run then: nothing asked is lost.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from typing import Any

from ..secrets import scrub
from .jobs import RESULTS_FILE, JobTable

__all__ = ["RESULTS_FILE", "CheckRequestRecord", "ResultStore", "StoredCheck"]


@dataclass(frozen=True)
class CheckRequestRecord:
    """A check as asked: the claim and the options of ``POST /api/check``."""

    claim: str
    doc: str | None = None
    k: int | None = None
    pipeline: str | None = None


@dataclass(frozen=True)
class StoredCheck:
    """One row: the request, its state and, once finished, the result JSON or the error."""

    id: str
    at: str
    request: CheckRequestRecord
    status: str
    result_json: str | None
    error: str | None
    error_status: int | None
    log_id: int | None
    #: Milliseconds the check waited for a worker, and then ran (None until known).
    queued_ms: float | None = None
    run_ms: float | None = None


class ResultStore(JobTable[StoredCheck]):
    """The ``checks`` table: one row per check asked."""

    table = "checks"
    schema = (
        "CREATE TABLE IF NOT EXISTS checks (id TEXT PRIMARY KEY, at TEXT NOT NULL,"
        " claim TEXT NOT NULL, doc TEXT, k INTEGER, pipeline TEXT, status TEXT NOT NULL, result TEXT,"
        " error TEXT, error_status INTEGER, log_id INTEGER, queued_ms REAL, run_ms REAL)",
        "CREATE INDEX IF NOT EXISTS checks_log ON checks (log_id)",
    )
    columns = (
        "id, at, claim, doc, k, pipeline, status, result, error, error_status, log_id, queued_ms, run_ms"
    )

    def add(self, check_id: str, at: str, request: CheckRequestRecord) -> None:
        """Record a check as asked (queued)."""
        self._write(
            "INSERT INTO checks (id, at, claim, doc, k, pipeline, status)"
            " VALUES (?, ?, ?, ?, ?, ?, 'queued')",
            (check_id, at, scrub(request.claim), request.doc, request.k, request.pipeline),
        )

    def finish(self, check_id: str, result_json: str, log_id: int | None, run_ms: float) -> None:
        """Store a check's result (any key that slipped into the text is masked)."""
        self._write(
            "UPDATE checks SET status = 'done', result = ?, log_id = ?, run_ms = ? WHERE id = ?",
            (scrub(result_json), log_id, run_ms, check_id),
        )

    def by_log_ids(self, log_ids: list[int]) -> dict[int, str]:
        """Check ids by the log row they were logged as."""
        if not log_ids:
            return {}
        marks = ",".join("?" * len(log_ids))
        with closing(self._db()) as db:
            rows = db.execute(f"SELECT log_id, id FROM checks WHERE log_id IN ({marks})", log_ids).fetchall()
        return {int(log_id): str(check_id) for log_id, check_id in rows}

    def _row(self, r: tuple[Any, ...]) -> StoredCheck:
        return StoredCheck(
            id=r[0],
            at=r[1],
            request=CheckRequestRecord(claim=r[2], doc=r[3], k=r[4], pipeline=r[5]),
            status=r[6],
            result_json=r[7],
            error=r[8],
            error_status=r[9],
            log_id=r[10],
            queued_ms=r[11],
            run_ms=r[12],
        )
