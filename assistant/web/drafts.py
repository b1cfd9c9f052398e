"""The web app's drafts, kept under the state folder so every checked draft has a permanent link.

A draft is one job on the same model queue as the checks (:mod:`assistant.web.worker`): the draft text and
its options are written when it is asked (``HOME/web.sqlite``, table ``drafts``), then its result (exactly
what ``factcheck draft --json`` prints) or its error. The text is kept because the annotated page is drawn
from it: every offset of the result indexes it. A draft the server did not finish runs at the next start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..secrets import scrub
from .jobs import JobTable


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


class DraftStore(JobTable[StoredDraft]):
    """The ``drafts`` table: one row per draft asked, with its text."""

    table = "drafts"
    schema = (
        "CREATE TABLE IF NOT EXISTS drafts (id TEXT PRIMARY KEY, at TEXT NOT NULL, name TEXT,"
        " text TEXT NOT NULL, doc TEXT, lim INTEGER, status TEXT NOT NULL, result TEXT, error TEXT,"
        " error_status INTEGER, queued_ms REAL, run_ms REAL)",
    )
    columns = "id, at, name, text, doc, lim, status, result, error, error_status, queued_ms, run_ms"

    def add(self, draft_id: str, at: str, request: DraftRequestRecord) -> None:
        """Record a draft as asked (queued). A key pasted into a draft is masked, as in every stored text."""
        r = request
        self._write(
            "INSERT INTO drafts (id, at, name, text, doc, lim, status) VALUES (?, ?, ?, ?, ?, ?, 'queued')",
            (draft_id, at, r.name, scrub(r.text), r.doc, r.limit),
        )

    def finish(self, draft_id: str, result_json: str, run_ms: float) -> None:
        """Store a draft's result."""
        self._write(
            "UPDATE drafts SET status = 'done', result = ?, run_ms = ? WHERE id = ?",
            (scrub(result_json), run_ms, draft_id),
        )

    def _row(self, r: tuple[Any, ...]) -> StoredDraft:
        return StoredDraft(
            id=r[0],
            at=r[1],
            request=DraftRequestRecord(text=r[3], name=r[2], doc=r[4], limit=r[5]),
            status=r[6],
            result_json=r[7],
            error=r[8],
            error_status=r[9],
            queued_ms=r[10],
            run_ms=r[11],
        )
