"""The local log of past checks (``factcheck log``): one SQLite row per checked claim, under the state folder.

It holds what a reporter needs to find a check again (when, the claim, the verdict and confidence, the
pipeline and model), never settings: an API key given to the command is masked in every stored field, and a
URL's user name and password are masked. Off with ``FACTCHECK_LOG=0``, ``log = false`` in the config file or
``--no-log``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .errors import StoreError
from .schemas import CheckResult
from .secrets import register_secret, scrub

LOG_FILE = "log.sqlite"


@dataclass(frozen=True)
class LogEntry:
    """One past check."""

    id: int
    at: str
    claim: str
    verdict: str
    confidence: float
    statements: int
    pipeline: str
    model: str
    source: str


class CheckLog:
    """Appends checks to, and lists them from, ``HOME/log.sqlite``."""

    def __init__(self, home: Path, secrets: Iterable[str | None] = ()) -> None:
        self.path = home / LOG_FILE
        for secret in secrets:  # masked by the one scrubbing function of every output path
            register_secret(secret)

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(self.path), timeout=30)
            db.execute(
                "CREATE TABLE IF NOT EXISTS checks (id INTEGER PRIMARY KEY, at TEXT NOT NULL,"
                " claim TEXT NOT NULL, verdict TEXT NOT NULL, confidence REAL NOT NULL,"
                " statements INTEGER NOT NULL,"
                " pipeline TEXT NOT NULL, model TEXT NOT NULL, source TEXT NOT NULL)"
            )
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the check log {self.path}: {exc}") from None
        return db

    def add(self, result: CheckResult, source: str) -> int:
        """Log one check; ``source`` says where it ran (``check``, ``chat``, ``web``). Returns its id."""
        row = (
            datetime.now(UTC).isoformat(timespec="seconds"),
            scrub(result.claim),
            result.verdict,
            result.confidence,
            len(result.statements),
            result.pipeline,
            scrub(result.model),
            source,
        )
        with closing(self._connect()) as db, db:
            cursor = db.execute(
                "INSERT INTO checks (at, claim, verdict, confidence, statements, pipeline, model, source)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
        return int(cursor.lastrowid or 0)

    def recent(self, limit: int | None = None) -> list[LogEntry]:
        """The last ``limit`` checks (all when None), oldest first; none when nothing was logged."""
        if not self.path.exists():
            return []
        with closing(self._connect()) as db:
            try:
                rows = db.execute(
                    "SELECT id, at, claim, verdict, confidence, statements, pipeline, model, source"
                    " FROM checks ORDER BY id DESC LIMIT ?",
                    (-1 if limit is None else limit,),
                ).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read the check log {self.path}: {exc}") from None
        return [LogEntry(*row) for row in reversed(rows)]
