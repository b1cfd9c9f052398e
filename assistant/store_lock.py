"""The index's write lock: one factcheck process writes to an embedded index at a time, and a second one
fails at once with a one-line error instead of waiting or interleaving its writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import StoreError


@contextmanager
def write_lock(lock_path: Path | None, location: str) -> Iterator[None]:
    """Hold the write lock file ``lock_path`` of the index at ``location``; fail at once when another
    process holds it. ``None`` (an index on a Chroma server, which has no folder here) holds nothing."""
    if lock_path is None:
        yield
        return
    lock = FileLock(str(lock_path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise StoreError(
            f"index at {location} is locked by another factcheck process; wait for it to finish"
        ) from None
    try:
        yield
    finally:
        lock.release()
