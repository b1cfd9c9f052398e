"""The sentence index in Chroma: embedded ``PersistentClient`` by default, ``HttpClient`` for a server.

Two collections:
- ``sentences``: one record per sentence, with its embedding and metadata
  (``doc_id``, ``doc_sha``, ``sentence_index``, ``start``, ``end``).
- ``documents``: one record per document (full text, path, title, language, sha256). Writing this record
  is the commit point of an ingest: sentences are written first under the new content hash, then the
  document record, then sentences of older versions are deleted. A reader only trusts sentences whose
  ``doc_sha`` equals the committed hash, so an interrupted ingest never shows a half-written document, and
  the next ingest of that file cleans up what was left.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from filelock import FileLock, Timeout

from .documents import SourceDocument
from .errors import ConfigError, EndpointError, InputError, StoreError
from .sentences import Sentence, split_sentences

SENTENCES = "sentences"
DOCUMENTS = "documents"
#: The documents collection stores no meaningful vector; Chroma requires one, so every record gets this.
_REGISTRY_VECTOR = [1.0]
#: Seconds a Chroma server may take to answer its heartbeat. The Chroma client itself waits forever.
CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class StoredDocument:
    """A committed document record."""

    doc_id: str
    path: str
    title: str
    lang: str
    sha256: str
    n_sentences: int
    text: str

    @property
    def name(self) -> str:
        """The file name."""
        return Path(self.path).name


@dataclass(frozen=True)
class SentenceHit:
    """A retrieved sentence with its cosine similarity to the query."""

    doc_id: str
    sentence_index: int
    start: int
    end: int
    text: str
    score: float


@dataclass(frozen=True)
class IngestOutcome:
    """What ingesting one document did: ``added``, ``replaced`` or ``unchanged``."""

    doc_id: str
    action: str
    n_sentences: int


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
    path.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(path), settings=_settings())
    except Exception as exc:
        raise StoreError(
            f"index at {path} cannot be opened (corrupt or from another Chroma version): {_one_line(exc)}"
        ) from None


def _probe(scheme: str, netloc: str) -> None:
    """Fail in bounded time on a server that accepts connections but never answers."""
    import httpx

    httpx.get(f"{scheme}://{netloc}/api/v2/heartbeat", timeout=CONNECT_TIMEOUT_S).raise_for_status()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:300] + "…") if len(text) > 300 else text or type(exc).__name__


class SentenceStore:
    """Sentences and documents of one index, embedded with one embedder."""

    def __init__(self, location: str, embedder_name: str, *, client: Any = None, namespace: str = "") -> None:
        """Open (or create) the index at ``location``; ``namespace`` prefixes collection names so several
        indexes (e.g. evaluation corpora) can share one Chroma server."""
        self.location = location
        self.embedder_name = embedder_name
        self.is_server = location.startswith(("http://", "https://"))
        self._client = client or open_client(location)
        self._lock_path = None if self.is_server else Path(location) / "write.lock"
        try:
            self._sentences = self._client.get_or_create_collection(
                f"{namespace}{SENTENCES}",
                metadata={"hnsw:space": "cosine", "embedder": embedder_name},
                embedding_function=None,
            )
            self._documents = self._client.get_or_create_collection(
                f"{namespace}{DOCUMENTS}", embedding_function=None
            )
        except Exception as exc:
            raise StoreError(f"index at {location} cannot be opened: {_one_line(exc)}") from None
        built_with = (self._sentences.metadata or {}).get("embedder")
        if built_with and built_with != embedder_name:
            raise StoreError(
                f"index at {location} was built with embedder {built_with!r}, not {embedder_name!r}: "
                f"pass --embedder {built_with} or use another --index"
            )

    # ---- writing -------------------------------------------------------------------------------

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold the index's write lock; fail at once when another process holds it."""
        if self._lock_path is None:
            yield
            return
        lock = FileLock(str(self._lock_path), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise StoreError(
                f"index at {self.location} is locked by another factcheck process; wait for it to finish"
            ) from None
        try:
            yield
        finally:
            lock.release()

    def ingest(
        self,
        doc: SourceDocument,
        embed: Callable[[list[str]], list[list[float]]],
        *,
        batch_size: int = 256,
        on_progress: Callable[[int], None] | None = None,
    ) -> IngestOutcome:
        """Add or replace one document; a document whose content hash is unchanged is left alone."""
        existing = self.get_document(doc.doc_id, with_text=False)
        if existing is not None and existing.sha256 == doc.sha256:
            return IngestOutcome(doc.doc_id, "unchanged", existing.n_sentences)
        sentences = split_sentences(doc.text)
        if not sentences:
            raise InputError(f"{doc.path}: no sentences found")
        for batch in _batches(sentences, batch_size):
            vectors = embed([s.text for s in batch])
            self._guard(
                lambda batch=batch, vectors=vectors: self._sentences.upsert(
                    ids=[self._sentence_id(doc, s) for s in batch],
                    embeddings=vectors,
                    documents=[s.text for s in batch],
                    metadatas=[
                        {
                            "doc_id": doc.doc_id,
                            "doc_sha": doc.sha256,
                            "sentence_index": s.index,
                            "start": s.start,
                            "end": s.end,
                        }
                        for s in batch
                    ],
                )
            )
            if on_progress:
                on_progress(len(batch))
        # Commit point: from here on readers see the new version.
        self._guard(
            lambda: self._documents.upsert(
                ids=[doc.doc_id],
                embeddings=[_REGISTRY_VECTOR],
                documents=[doc.text],
                metadatas=[
                    {
                        "path": doc.path,
                        "title": doc.title,
                        "lang": doc.lang,
                        "sha256": doc.sha256,
                        "n_sentences": len(sentences),
                        "ingested_at": time.time(),
                    }
                ],
            )
        )
        self._delete_stale(doc.doc_id, doc.sha256)
        return IngestOutcome(doc.doc_id, "replaced" if existing else "added", len(sentences))

    def delete_document(self, doc_id: str) -> bool:
        """Remove a document and its sentences; returns False when it was not indexed."""
        if self.get_document(doc_id, with_text=False) is None:
            return False
        self._guard(lambda: self._documents.delete(ids=[doc_id]))
        self._guard(lambda: self._sentences.delete(where={"doc_id": doc_id}))
        return True

    def _delete_stale(self, doc_id: str, keep_sha: str) -> None:
        self._guard(
            lambda: self._sentences.delete(
                where={"$and": [{"doc_id": doc_id}, {"doc_sha": {"$ne": keep_sha}}]}
            )
        )

    @staticmethod
    def _sentence_id(doc: SourceDocument, s: Sentence) -> str:
        return f"{doc.doc_id}#{doc.sha256[:16]}#{s.index}"

    # ---- reading -------------------------------------------------------------------------------

    def get_document(self, doc_id: str, *, with_text: bool = True) -> StoredDocument | None:
        """The committed record of ``doc_id``, or None."""
        include = ["metadatas", "documents"] if with_text else ["metadatas"]
        got = self._guard(lambda: self._documents.get(ids=[doc_id], include=include))
        if not got["ids"]:
            return None
        return _to_document(got["ids"][0], got["metadatas"][0], got["documents"][0] if with_text else "")

    def list_documents(self) -> list[StoredDocument]:
        """Every committed document (without its text), sorted by id."""
        got = self._guard(lambda: self._documents.get(include=["metadatas"]))
        docs = [_to_document(i, m, "") for i, m in zip(got["ids"], got["metadatas"], strict=True)]
        return sorted(docs, key=lambda d: d.doc_id)

    def find_document(self, name: str) -> StoredDocument | None:
        """A document by id, file name or path."""
        doc = self.get_document(name)
        if doc is not None:
            return doc
        for d in self.list_documents():
            if name in (d.name, d.path, Path(d.path).stem):
                return self.get_document(d.doc_id)
        return None

    def count_sentences(self) -> int:
        """Sentence records in the index (including any left by an interrupted ingest)."""
        return int(self._guard(self._sentences.count))

    def search(self, vector: Sequence[float], k: int, doc_id: str | None = None) -> list[SentenceHit]:
        """The ``k`` nearest committed sentences to ``vector``, best first."""
        if k <= 0:
            return []
        where = {"doc_id": doc_id} if doc_id else None
        fetch = k * 2 + 4
        while True:
            res = self._guard(
                lambda fetch=fetch: self._sentences.query(
                    query_embeddings=[list(vector)],
                    n_results=fetch,
                    where=where,
                    include=["metadatas", "documents", "distances"],
                )
            )
            ids, metas = res["ids"][0], res["metadatas"][0]
            committed = self._committed_shas({m["doc_id"] for m in metas})
            hits = [
                SentenceHit(
                    doc_id=m["doc_id"],
                    sentence_index=int(m["sentence_index"]),
                    start=int(m["start"]),
                    end=int(m["end"]),
                    text=text,
                    score=round(1.0 - float(dist), 6),
                )
                for m, text, dist in zip(metas, res["documents"][0], res["distances"][0], strict=True)
                if committed.get(m["doc_id"]) == m["doc_sha"]
            ]
            if len(hits) >= k or len(ids) < fetch:
                return hits[:k]
            fetch *= 4

    def sentences_of(self, doc_id: str) -> list[SentenceHit]:
        """All committed sentences of one document in reading order (score 0)."""
        doc = self.get_document(doc_id, with_text=False)
        if doc is None:
            return []
        got = self._guard(
            lambda: self._sentences.get(
                where={"$and": [{"doc_id": doc_id}, {"doc_sha": doc.sha256}]},
                include=["metadatas", "documents"],
            )
        )
        hits = [
            SentenceHit(doc_id, int(m["sentence_index"]), int(m["start"]), int(m["end"]), t, 0.0)
            for m, t in zip(got["metadatas"], got["documents"], strict=True)
        ]
        return sorted(hits, key=lambda h: h.sentence_index)

    def _committed_shas(self, doc_ids: set[str]) -> dict[str, str]:
        if not doc_ids:
            return {}
        got = self._guard(lambda: self._documents.get(ids=sorted(doc_ids), include=["metadatas"]))
        return {i: m["sha256"] for i, m in zip(got["ids"], got["metadatas"], strict=True)}

    def _guard(self, fn: Callable[[], Any]) -> Any:
        """Run a Chroma call, turning transport and storage failures into one-line errors."""
        try:
            return fn()
        except (StoreError, EndpointError):
            raise
        except Exception as exc:
            if self.is_server:
                raise EndpointError(f"Chroma server at {self.location} failed: {_one_line(exc)}") from None
            raise StoreError(f"index at {self.location}: {_one_line(exc)}") from None


def _to_document(doc_id: str, meta: dict[str, Any], text: str) -> StoredDocument:
    return StoredDocument(
        doc_id=doc_id,
        path=str(meta.get("path", doc_id)),
        title=str(meta.get("title", doc_id)),
        lang=str(meta.get("lang", "und")),
        sha256=str(meta["sha256"]),
        n_sentences=int(meta.get("n_sentences", 0)),
        text=text,
    )


def _batches(items: Sequence[Sentence], size: int) -> Iterator[Sequence[Sentence]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
