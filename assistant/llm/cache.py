"""A cache of valid model replies, keyed on model, parameters, prompt version and the exact input.

Stored in SQLite under the state folder, so a repeated check or evaluation costs nothing. Only replies that
parsed are stored; the key is a sha256, so no prompt text or secret is readable from the key column.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from ..errors import ConfigError

#: Bump when the key layout changes so old entries are never misread.
CACHE_FORMAT = 1


class ReplyCache:
    """A small thread-safe key → reply-text store."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
            self._db.execute("CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, reply TEXT NOT NULL)")
            self._db.commit()
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"reply cache {path} cannot be used ({' '.join(str(exc).split())}): pass another --home, "
                "or FACTCHECK_CACHE=0"
            ) from None

    @staticmethod
    def key(**parts: Any) -> str:
        """A stable key from named parts (model, parameters, prompt version, messages, schema)."""
        blob = json.dumps({"format": CACHE_FORMAT, **parts}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def get(self, key: str) -> str | None:
        """The cached reply text, or None."""
        with self._lock:
            row = self._db.execute("SELECT reply FROM replies WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, reply: str) -> None:
        """Store a reply that parsed."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO replies (key, reply) VALUES (?, ?)", (key, reply))
            self._db.commit()
