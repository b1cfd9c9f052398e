"""The web app's drafts, kept under the state folder so every checked draft has a permanent link.

A draft is one job on the same model queue as the checks (:mod:`assistant.web.worker`): the draft text and
its options are written when it is asked (``HOME/web.sqlite``, table ``drafts``), then its result (exactly
what ``factcheck draft --json`` prints) or its error. The text is kept because the annotated page is drawn
from it: every offset of the result indexes it. A draft the server did not finish runs at the next start.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, StoreError
from ..secrets import scrub
from .results import RESULTS_FILE


class DraftTooLarge(InputError):
    """A draft over the size ``factcheck draft`` reads (answered 413)."""


@dataclass(frozen=True)
class DraftRequestRecord:
    """A draft as asked: its text (BOM dropped), its file name (None: pasted), ``--doc`` and ``--limit``."""

    text: str
    name: str | None = None
    doc: str | None = None
    limit: int | None = None

    @property
    def claim(self) -> str:
        """A one-line label for lists and logs: the draft's first words."""
        first = " ".join(self.text.split())
        return self.name or (first if len(first) <= 80 else first[:79] + "…")


@dataclass(frozen=True)
class StoredDraft:
    """One row: the request, its state and, once finished, the result JSON or the error."""

    id: str
    at: str
    request: DraftRequestRecord
    status: str
    result_json: str | None
    error: str | None
    error_status: int | None
    queued_ms: float | None = None
    run_ms: float | None = None


class DraftStore:
    """Reads and writes the ``drafts`` table of ``HOME/web.sqlite``; one connection per call (threads)."""

    def __init__(self, home: Path) -> None:
        self.path = home / RESULTS_FILE
        self._lock = threading.Lock()
        with closing(self._db()) as db, db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS drafts (id TEXT PRIMARY KEY, at TEXT NOT NULL, name TEXT,"
                " text TEXT NOT NULL, doc TEXT, lim INTEGER, status TEXT NOT NULL, result TEXT, error TEXT,"
                " error_status INTEGER, queued_ms REAL, run_ms REAL)"
            )

    def _db(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return sqlite3.connect(str(self.path), timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the web app's results {self.path}: {exc}") from None

    def _write(self, sql: str, args: tuple[object, ...]) -> None:
        with self._lock, closing(self._db()) as db, db:
            db.execute(sql, args)

    def add(self, draft_id: str, at: str, request: DraftRequestRecord) -> None:
        """Record a draft as asked (queued). A key pasted into a draft is masked, as in every stored text."""
        r = request
        self._write(
            "INSERT INTO drafts (id, at, name, text, doc, lim, status) VALUES (?, ?, ?, ?, ?, ?, 'queued')",
            (draft_id, at, r.name, scrub(r.text), r.doc, r.limit),
        )

    def set_running(self, draft_id: str, queued_ms: float) -> None:
        """Mark a draft as running, after ``queued_ms`` in the queue."""
        self._write("UPDATE drafts SET status = 'running', queued_ms = ? WHERE id = ?", (queued_ms, draft_id))

    def finish(self, draft_id: str, result_json: str, run_ms: float) -> None:
        """Store a draft's result."""
        self._write(
            "UPDATE drafts SET status = 'done', result = ?, run_ms = ? WHERE id = ?",
            (scrub(result_json), run_ms, draft_id),
        )

    def fail(self, draft_id: str, message: str, status: int, run_ms: float) -> None:
        """Store why a draft failed (its text stays, so it can be asked again)."""
        self._write(
            "UPDATE drafts SET status = 'failed', error = ?, error_status = ?, run_ms = ? WHERE id = ?",
            (scrub(message), status, run_ms, draft_id),
        )

    def get(self, draft_id: str) -> StoredDraft | None:
        """One draft by id."""
        rows = self._select("WHERE id = ?", (draft_id,))
        return rows[0] if rows else None

    def unfinished(self) -> list[StoredDraft]:
        """Drafts asked but not finished (the server stopped meanwhile), oldest first."""
        return self._select("WHERE status IN ('queued', 'running') ORDER BY rowid", ())

    def recent(self, limit: int) -> list[StoredDraft]:
        """The last ``limit`` drafts, newest first."""
        return self._select("ORDER BY rowid DESC LIMIT ?", (limit,))

    def _select(self, where: str, args: tuple[object, ...]) -> list[StoredDraft]:
        sql = (
            "SELECT id, at, name, text, doc, lim, status, result, error, error_status, queued_ms, run_ms"
            " FROM drafts " + where
        )
        try:
            with closing(self._db()) as db:
                rows = db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the web app's results {self.path}: {exc}") from None
        return [
            StoredDraft(
                id=r[0],
                at=r[1],
                request=DraftRequestRecord(text=r[3], name=r[2], doc=r[4], limit=r[5]),
                status=r[6],
                result_json=r[7],
                error=r[8],
                error_status=r[9],
                queued_ms=r[10],
                run_ms=r[11],
            )  # fmt: skip
            for r in rows
        ]

    @staticmethod
    def result_dict(row: StoredDraft) -> dict[str, object] | None:
        """The stored result as a dict (None before it is done)."""
        return json.loads(row.result_json) if row.result_json else None
