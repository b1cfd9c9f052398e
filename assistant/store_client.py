"""Opening a Chroma client for the sentence index: an embedded ``PersistentClient`` for a folder, an
``HttpClient`` for a server URL, each failing with a one-line error (unreachable or silent server,
damaged or foreign index folder, another embedder) instead of a hang or a new, empty index; and running
a Chroma call so that its failures are one-line errors too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .errors import ConfigError, EndpointError, StoreError

#: Seconds a Chroma server may take to answer its heartbeat. The Chroma client itself waits forever.
CONNECT_TIMEOUT_S = 10.0


def _settings() -> Any:
    from chromadb.config import Settings

    # Telemetry off: the default mode must open no network connection.
    return Settings(anonymized_telemetry=False, allow_reset=False)


def open_client(location: str) -> Any:
    """A Chroma client for a folder path (embedded) or an ``http(s)://host:port`` URL (server)."""
    import chromadb

    if location.startswith(("http://", "https://")):
        url = urlparse(location)
        if not url.hostname:
            raise ConfigError(f"invalid Chroma server URL {location!r}")
        try:
            _probe(url.scheme, url.netloc)
            client = chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=_settings(),
            )
            client.heartbeat()
        except Exception as exc:  # chromadb raises several transport error types
            raise EndpointError(f"Chroma server at {location} is unreachable: {_one_line(exc)}") from None
        return client
    path = Path(location)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"index folder {path} cannot be created: {exc.strerror or _one_line(exc)}") from None
    _check_not_damaged(path)
    try:
        return chromadb.PersistentClient(path=str(path), settings=_settings())
    except Exception as exc:
        raise StoreError(
            f"index at {path} cannot be opened (corrupt or from another Chroma version): {_one_line(exc)}"
        ) from None


#: The file an embedded Chroma index keeps its records in, and how every SQLite file begins.
_SQLITE_FILE = "chroma.sqlite3"
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _check_not_damaged(path: Path) -> None:
    """Refuse an index whose database is empty, not SQLite, or gone while its vector files remain.

    Chroma would silently start a new, empty index over it, and the user's documents would be gone
    without a word.
    """
    db = path / _SQLITE_FILE
    try:
        if db.exists():
            with db.open("rb") as fh:
                head = fh.read(len(_SQLITE_MAGIC))
            if head != _SQLITE_MAGIC:
                what = "is empty (0 bytes)" if not head else "is not an SQLite database"
                raise StoreError(
                    f"index at {path} is damaged: {db.name} {what}; restore the folder from a backup, "
                    f"or remove it and ingest again"
                )
        elif any(p.is_dir() for p in path.iterdir()):
            raise StoreError(
                f"index at {path} is damaged: {db.name} is missing but the folder holds index data; "
                "restore the folder from a backup, or remove it and ingest again"
            )
    except OSError as exc:
        raise StoreError(f"index at {path} cannot be read: {exc.strerror or _one_line(exc)}") from None


def _probe(scheme: str, netloc: str) -> None:
    """Fail in bounded time on a server that accepts connections but never answers."""
    import httpx

    httpx.get(f"{scheme}://{netloc}/api/v2/heartbeat", timeout=CONNECT_TIMEOUT_S).raise_for_status()


def check_embedder(collection: Any, embedder_name: str, location: str) -> None:
    """Refuse a collection of the index at ``location`` that was built with another embedder than
    ``embedder_name``: its vectors would not be comparable with the new ones."""
    built_with = (getattr(collection, "metadata", None) or {}).get("embedder")
    if built_with and built_with != embedder_name:
        raise StoreError(
            f"index at {location} was built with embedder {built_with!r}, not "
            f"{embedder_name!r}: pass --embedder {built_with} or use another --index"
        )


def call_chroma(fn: Callable[[], Any], location: str, *, server: bool) -> Any:
    """Run a Chroma call on the index at ``location``, turning transport and storage failures into
    one-line errors (:class:`EndpointError` for a ``server``, :class:`StoreError` for a folder)."""
    try:
        return fn()
    except (StoreError, EndpointError):
        raise
    except Exception as exc:
        if server:
            raise EndpointError(f"Chroma server at {location} failed: {_one_line(exc)}") from None
        raise StoreError(f"index at {location}: {_one_line(exc)}") from None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:300] + "…") if len(text) > 300 else text or type(exc).__name__
