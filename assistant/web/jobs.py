"""One SQLite table of jobs asked in the browser or through the API (checks, drafts), under the state folder.

Each job is written when it is asked (queued), marked running, then done with its result JSON or failed
with its error, so one the server did not finish (it stopped) is found again at the next start. The tables
share ``HOME/web.sqlite``; a subclass says its table, its columns and how a row becomes its record.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import closing
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from ..errors import StoreError
from ..secrets import scrub

RESULTS_FILE = "web.sqlite"
R = TypeVar("R")


class JobTable(Generic[R]):
    """Reads and writes one job table; safe to share between threads (one connection per call)."""

    #: The table's name and the statements that create it (and its indexes).
    table: ClassVar[str]
    schema: ClassVar[tuple[str, ...]]
    #: The columns :meth:`_row` reads, in its order.
    columns: ClassVar[str]

    def __init__(self, home: Path) -> None:
        """Open (and create if needed) the table in ``HOME/web.sqlite``."""
        self.path = home / RESULTS_FILE
        self._lock = threading.Lock()
        with closing(self._db()) as db, db:
            for statement in self.schema:
                db.execute(statement)

    def _row(self, r: tuple[Any, ...]) -> R:
        raise NotImplementedError

    def _db(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return sqlite3.connect(str(self.path), timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the web app's results {self.path}: {exc}") from None

    def _write(self, sql: str, args: tuple[object, ...]) -> None:
        with self._lock, closing(self._db()) as db, db:
            db.execute(sql, args)

    def set_running(self, job_id: str, queued_ms: float) -> None:
        """Mark a job as running, after ``queued_ms`` in the queue."""
        self._write(
            f"UPDATE {self.table} SET status = 'running', queued_ms = ? WHERE id = ?", (queued_ms, job_id)
        )

    def fail(self, job_id: str, message: str, status: int, run_ms: float) -> None:
        """Store why a job failed (what was asked stays, so it can be asked again)."""
        self._write(
            f"UPDATE {self.table} SET status = 'failed', error = ?, error_status = ?, run_ms = ?"
            " WHERE id = ?",
            (scrub(message), status, run_ms, job_id),
        )

    def get(self, job_id: str) -> R | None:
        """One job by id."""
        rows = self._select("WHERE id = ?", (job_id,))
        return rows[0] if rows else None

    def unfinished(self) -> list[R]:
        """Jobs asked but not finished (the server stopped meanwhile), oldest first."""
        return self._select("WHERE status IN ('queued', 'running') ORDER BY rowid", ())

    def recent(self, limit: int) -> list[R]:
        """The last ``limit`` jobs, newest first."""
        return self._select("ORDER BY rowid DESC LIMIT ?", (limit,))

    def _select(self, where: str, args: tuple[object, ...]) -> list[R]:
        sql = f"SELECT {self.columns} FROM {self.table} {where}"
        try:
            with closing(self._db()) as db:
                rows = db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the web app's results {self.path}: {exc}") from None
        return [self._row(r) for r in rows]

    @staticmethod
    def result_dict(row: Any) -> dict[str, object] | None:
        """A stored job's result as a dict (None before it is done)."""
        return json.loads(row.result_json) if row.result_json else None
