"""The sentence index in Chroma: embedded ``PersistentClient`` by default, ``HttpClient`` for a server.

Three collections (index format 2):
- ``vectors``: one record per *distinct* sentence text (normalized: NFC, whitespace collapsed), keyed by its
  hash, with its embedding. A line that every article of a newsroom repeats ("Alle Rechte vorbehalten.")
  is stored and searched once: many identical vectors degrade an HNSW search (an exact match was missed
  until n_results=400), and its copies would fill every top-k.
- ``locations``: one record per sentence of a document (``doc_id``, ``doc_sha``, ``sentence_index``,
  ``start``, ``end`` and the text's ``key``), without a vector. A search hit is a vector; it maps to all
  the committed locations of that text.
- ``documents``: one record per document (full text, path, title, language, sha256; the reader's
  format, its characters and, for a PDF, where each page starts: a record without them reads as text).
  Writing this record is the commit point of an ingest: vectors and locations are written first under
  the new content hash, then the document record, then every other location of that document is
  deleted (and vectors no location uses any more). A reader only trusts locations whose ``doc_sha``
  equals the committed hash, so an interrupted ingest never shows a half-written document, and the next
  ingest of that file cleans up.

What to write is planned by the ingest stage (``assistant/ingest.py``); this module only writes
(:meth:`SentenceStore.write_vectors`, :meth:`~SentenceStore.write_locations`), commits
(:meth:`~SentenceStore.commit_documents`) and reads.

An index of format 1 (one ``sentences`` record with a vector per sentence) is migrated on first open,
under the write lock, reusing its stored vectors: the new collections are written first, the old one is
deleted last, so an interrupted migration is simply done again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlparse

from filelock import FileLock, Timeout

from .documents import SourceDocument, page_at
from .errors import ConfigError, EndpointError, StoreError
from .records import Location, Sentence
from .sentences import SPLITTER_VERSION, split_sentences

if TYPE_CHECKING:
    pass

#: Format 1's collection of sentences with their vectors; read only to migrate it.
LEGACY_SENTENCES = "sentences"
VECTORS = "vectors"
LOCATIONS = "locations"
DOCUMENTS = "documents"
INDEX_FORMAT = 2
#: HNSW's candidate list when building and searching the vectors (Chroma's default search_ef is 10, which
#: misses exact matches among many near-identical sentences in tests/test_duplicates.py; 128 does not).
HNSW_EF = 128
#: The documents collection stores no meaningful vector; Chroma requires one, so every record gets this.
_REGISTRY_VECTOR = [1.0]
#: Document texts kept in memory to cut sentence texts from (by content hash).
TEXT_CACHE = 256
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
    #: The reader that extracted the text (``text`` for a record written before formats were recorded).
    format: str = "text"
    #: Offset where each page begins (PDF); empty when the format has no pages.
    page_starts: tuple[int, ...] = ()
    #: Characters of the stored text (None: an older record read without its text).
    chars: int | None = None

    @property
    def name(self) -> str:
        """The file name."""
        return Path(self.path).name

    @property
    def pages(self) -> int | None:
        """The number of pages (PDF), None for a format without pages."""
        return len(self.page_starts) or None

    def page_at(self, offset: int) -> int | None:
        """The page (1-based) that the character at ``offset`` stands on; None without pages."""
        return page_at(self.page_starts, offset)


def sentence_key(text: str) -> str:
    """The key of a sentence's text: equal for texts that differ only in Unicode form or whitespace."""
    normalized = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:32]


def search_fetch_size(k: int) -> int:
    """How many nearest vectors ``SentenceStore.search(vector, k)`` asks for first (more only when fewer
    than ``k`` of them have a committed location)."""
    return k * 2 + 4


def normalized_text(text: str) -> str:
    """What is embedded for a sentence (the text its key is computed from)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def location_id(doc_id: str, doc_sha: str, sentence_id: int) -> str:
    """The id of a location record: one per sentence of one version (content hash) of a document."""
    return f"{doc_id}#{doc_sha[:16]}#{sentence_id}"


@dataclass(frozen=True)
class CommittedDocument:
    """What the index holds of a document's committed version, as an ingest needs it."""

    sha256: str
    n_sentences: int
    path: str


class NewLocation(NamedTuple):
    """A sentence of a document version to write (:meth:`SentenceStore.write_locations`)."""

    doc_id: str
    doc_sha: str
    sentence_id: int
    start: int
    end: int
    #: :func:`sentence_key` of the sentence's text: the vector it maps to.
    key: str


class TextCache:
    """Document texts by content hash, least recently used dropped first; safe to share between threads."""

    def __init__(self, size: int) -> None:
        self._size = max(0, size)
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, shas: Iterable[str]) -> dict[str, str]:
        """The cached texts among ``shas``, each marked as just used."""
        out: dict[str, str] = {}
        with self._lock:
            for sha in shas:
                text = self._texts.get(sha)
                if text is not None:
                    self._texts.move_to_end(sha)
                    out[sha] = text
        return out

    def put(self, sha: str, text: str) -> None:
        """Keep ``text``, dropping the least recently used beyond the size."""
        with self._lock:
            self._texts[sha] = text
            self._texts.move_to_end(sha)
            while len(self._texts) > self._size:
                self._texts.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._texts)


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


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:300] + "…") if len(text) > 300 else text or type(exc).__name__


class SentenceStore:
    """Sentences and documents of one index, embedded with one embedder."""

    def __init__(
        self,
        location: str,
        embedder_name: str,
        *,
        client: Any = None,
        namespace: str = "",
        text_cache: int = TEXT_CACHE,
    ) -> None:
        """Open (or create) the index at ``location``; ``namespace`` prefixes collection names so several
        indexes (e.g. evaluation corpora) can share one Chroma server. ``text_cache`` is how many document
        texts are kept in memory to cut sentence texts from.

        One store may be shared by threads (``factcheck batch --concurrency``): it keeps no per-call state,
        and its text cache has a lock.
        """
        self.location = location
        self.embedder_name = embedder_name
        self.is_server = location.startswith(("http://", "https://"))
        self._owns_client = client is None
        self._client = client or open_client(location)
        self._lock_path = None if self.is_server else Path(location) / "write.lock"
        self._texts = TextCache(text_cache)  # sha256 -> document text
        try:
            # The format-1 collection first: its embedder is checked before anything new is created.
            legacy = self._legacy_collection(f"{namespace}{LEGACY_SENTENCES}")
            self._check_embedder(legacy)
            self._vectors = self._client.get_or_create_collection(
                f"{namespace}{VECTORS}",
                metadata={
                    "hnsw:space": "cosine",
                    "hnsw:construction_ef": HNSW_EF,
                    "hnsw:search_ef": HNSW_EF,
                    "embedder": embedder_name,
                    "format": INDEX_FORMAT,
                },
                embedding_function=None,
            )
            self._check_embedder(self._vectors)
            self._locations = self._client.get_or_create_collection(
                f"{namespace}{LOCATIONS}", embedding_function=None
            )
            self._documents = self._client.get_or_create_collection(
                f"{namespace}{DOCUMENTS}", embedding_function=None
            )
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"index at {location} cannot be opened: {_one_line(exc)}") from None
        if legacy is not None:
            self._migrate(legacy)

    def close(self) -> None:
        """Release the index's connections and files (an embedded index holds its SQLite database and vector
        files open); a client given to the store stays open, its owner's to close. Idempotent."""
        if self._owns_client:
            close = getattr(self._client, "close", None)
            if callable(close):
                close()

    def _check_embedder(self, collection: Any) -> None:
        built_with = (getattr(collection, "metadata", None) or {}).get("embedder")
        if built_with and built_with != self.embedder_name:
            raise StoreError(
                f"index at {self.location} was built with embedder {built_with!r}, not "
                f"{self.embedder_name!r}: pass --embedder {built_with} or use another --index"
            )

    def _migrate_page(self, ids: list[str], metas: list[dict[str, Any]], embeddings: Any) -> None:
        """Write one page of format-1 sentence records as locations and (first-seen) vectors."""
        live = self._committed_hashes(sorted({m["doc_id"] for m in metas}))
        texts = self._committed_texts(live)
        loc_ids: list[str] = []
        loc_metas: list[dict[str, Any]] = []
        vectors: dict[str, list[float]] = {}
        for sid, m, vec in zip(ids, metas, embeddings, strict=True):
            if live.get(m["doc_id"]) != m["doc_sha"] or m["doc_sha"] not in texts:
                continue  # left by an interrupted ingest: nothing to keep
            key = sentence_key(texts[m["doc_sha"]][int(m["start"]) : int(m["end"])])
            loc_ids.append(sid)
            loc_metas.append({**m, "key": key})
            vectors.setdefault(key, [float(x) for x in vec])
        if vectors:
            self._guard(lambda: self._vectors.upsert(ids=list(vectors), embeddings=list(vectors.values())))
        if loc_ids:
            self._guard(
                lambda: self._locations.upsert(
                    ids=loc_ids, embeddings=[_REGISTRY_VECTOR] * len(loc_ids), metadatas=loc_metas
                )
            )

    def _legacy_collection(self, name: str) -> Any:
        names = [getattr(c, "name", c) for c in self._client.list_collections()]
        return self._client.get_collection(name, embedding_function=None) if name in names else None

    def _migrate(self, legacy: Any, page: int = 2048) -> None:
        """Rewrite a format-1 index as format 2, reusing its stored vectors (see the module docstring)."""
        with self.write_lock():
            total = int(self._guard(legacy.count))
            if total:
                print(
                    f"factcheck: migrating the index at {self.location} to format {INDEX_FORMAT} "
                    f"(one vector per distinct sentence): {total} sentence records",
                    file=sys.stderr,
                )
            offset = 0
            while offset < total:
                got = self._guard(
                    partial(legacy.get, include=["embeddings", "metadatas"], limit=page, offset=offset)
                )
                if not got["ids"]:
                    break
                self._migrate_page(got["ids"], got["metadatas"], got["embeddings"])
                offset += len(got["ids"])
            # Last: from here on the index is format 2.
            self._guard(lambda: self._client.delete_collection(legacy.name))

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

    def committed(self, doc_ids: Sequence[str]) -> dict[str, CommittedDocument]:
        """The committed version (hash, sentence count, path) of each of ``doc_ids`` that is indexed."""
        if not doc_ids:
            return {}
        got = self._guard(lambda: self._documents.get(ids=list(doc_ids), include=["metadatas"]))
        return {
            i: CommittedDocument(str(m["sha256"]), int(m.get("n_sentences", 0)), str(m.get("path", "")))
            for i, m in zip(got["ids"], got["metadatas"], strict=True)
        }

    def stored_vector_keys(self, keys: Sequence[str]) -> set[str]:
        """Those of ``keys`` (:func:`sentence_key` values) that have a stored vector."""
        if not keys:
            return set()
        return set(self._guard(lambda: self._vectors.get(ids=list(keys), include=[]))["ids"])

    def write_vectors(self, keys: Sequence[str], vectors: Sequence[Sequence[float]]) -> None:
        """Store the vector of each distinct text, keyed by its :func:`sentence_key`.

        Invisible on its own: a vector is found only through a committed location.
        """
        if len(keys) != len(vectors):
            raise StoreError(f"embedder returned {len(vectors)} vectors for {len(keys)} sentences")
        if keys:
            self._guard(lambda: self._vectors.upsert(ids=list(keys), embeddings=[list(v) for v in vectors]))

    def write_locations(self, rows: Sequence[NewLocation]) -> None:
        """Store the location records of sentences of not-yet-committed document versions.

        They stay invisible until :meth:`commit_documents` commits their document's hash.
        """
        if not rows:
            return
        self._guard(
            lambda: self._locations.upsert(
                ids=[location_id(r.doc_id, r.doc_sha, r.sentence_id) for r in rows],
                embeddings=[_REGISTRY_VECTOR] * len(rows),
                metadatas=[
                    {
                        "doc_id": r.doc_id,
                        "doc_sha": r.doc_sha,
                        "sentence_index": r.sentence_id,  # the stored key keeps its format-1 name
                        "start": r.start,
                        "end": r.end,
                        "key": r.key,
                    }
                    for r in rows
                ],
            )
        )

    def commit_documents(self, docs: Sequence[tuple[SourceDocument, int]]) -> None:
        """Commit documents, each with its number of sentences, whose locations are all written.

        Writing the document records is the commit point: from then on readers see the new versions.
        Then every other location record of these documents (older versions, or leftovers of an
        interrupted ingest) is deleted, with the vectors no location uses any more.
        """
        if not docs:
            return
        now = time.time()
        self._guard(
            lambda: self._documents.upsert(
                ids=[doc.doc_id for doc, _ in docs],
                embeddings=[_REGISTRY_VECTOR] * len(docs),
                documents=[doc.text for doc, _ in docs],
                metadatas=[
                    {
                        "path": doc.path,
                        "title": doc.title,
                        "lang": doc.lang,
                        "sha256": doc.sha256,
                        "n_sentences": n,
                        "splitter": SPLITTER_VERSION,
                        "ingested_at": now,
                        # Added with the format readers; a record without them reads as text.
                        "format": doc.format,
                        "chars": len(doc.text),
                        **({"page_starts": ",".join(map(str, doc.page_starts))} if doc.page_starts else {}),
                    }
                    for doc, n in docs
                ],
            )
        )
        current = {location_id(doc.doc_id, doc.sha256, i) for doc, n in docs for i in range(n)}
        stored = self._stored_sentence_ids([doc.doc_id for doc, _ in docs])
        self._delete_locations(sorted(i for ids in stored.values() for i in ids if i not in current))

    def delete_document(self, doc_id: str) -> bool:
        """Remove a document and its sentences; returns False when it was not indexed."""
        if self.get_document(doc_id, with_text=False) is None:
            return False
        self._guard(lambda: self._documents.delete(ids=[doc_id]))
        self._delete_locations(self._stored_sentence_ids([doc_id]).get(doc_id, []))
        return True

    def _delete_locations(self, ids: list[str]) -> None:
        """Delete location records, then the vectors that no remaining location uses."""
        if not ids:
            return
        got = self._guard(lambda: self._locations.get(ids=ids, include=["metadatas"]))
        keys = sorted({str(m["key"]) for m in got["metadatas"] if m and "key" in m})
        self._guard(lambda: self._locations.delete(ids=ids))
        if not keys:
            return
        used = self._guard(lambda: self._locations.get(where={"key": {"$in": keys}}, include=["metadatas"]))
        still = {str(m["key"]) for m in used["metadatas"]}
        unused = [k for k in keys if k not in still]
        if unused:
            self._guard(lambda: self._vectors.delete(ids=unused))

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
        older = [d.doc_id for d in docs if d.chars is None]
        if older:  # records written before "chars" was: count their text once
            texts = self._guard(lambda: self._documents.get(ids=older, include=["documents"]))
            length = {i: len(t or "") for i, t in zip(texts["ids"], texts["documents"], strict=True)}
            docs = [
                d if d.chars is not None else dataclasses.replace(d, chars=length.get(d.doc_id)) for d in docs
            ]
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
        return int(self._guard(self._locations.count))

    def count_vectors(self) -> int:
        """Distinct sentence texts in the index (one vector each)."""
        return int(self._guard(self._vectors.count))

    def search(self, vector: Sequence[float], k: int, doc_id: str | None = None) -> list[Sentence]:
        """The ``k`` nearest committed sentences to ``vector``, best first, one hit per distinct text.

        Across the index: an approximate (HNSW) search over the distinct texts, each hit mapped to its
        committed locations. Within one document (``doc_id``): an exact scan of that document's vectors.
        """
        if k <= 0:
            return []
        if doc_id:
            return self._search_document(vector, k, doc_id)
        fetch = search_fetch_size(k)
        while True:
            nearest = self.query_vectors(vector, fetch)
            placed = self._place([key for key, _ in nearest])
            hits = [_hit(placed[key], 1.0 - dist) for key, dist in nearest if key in placed]
            if len(hits) >= k or len(nearest) < fetch:
                return hits[:k]
            fetch *= 4

    def query_vectors(self, vector: Sequence[float], n: int) -> list[tuple[str, float]]:
        """The raw nearest-neighbour query that :meth:`search` makes: up to ``n`` ``(key, distance)``
        pairs, nearest first, from the approximate (HNSW) index of distinct texts.

        ``key`` is :func:`sentence_key` of a stored text and ``distance`` its cosine distance to ``vector``
        (``1 - similarity``). Nothing is mapped to locations or filtered: a key may have no committed
        location (left by an interrupted ingest). ``search(vector, k)`` first asks for
        :func:`search_fetch_size` ``(k)``; evals/scale_benchmark.py times that call next to ``search`` to
        show the store's own overhead.
        """
        if n <= 0:
            return []
        res = self._guard(
            lambda: self._vectors.query(query_embeddings=[list(vector)], n_results=n, include=["distances"])
        )
        return [(str(key), float(dist)) for key, dist in zip(res["ids"][0], res["distances"][0], strict=True)]

    def iter_vectors(self, *, page: int = 5000) -> Iterator[tuple[list[str], Any]]:
        """Every stored vector with its key, a page at a time: ``(keys, matrix)``, where ``matrix`` is a
        float32 numpy array of shape ``(len(keys), dim)`` and row ``i`` is the vector of ``keys[i]``.

        ``keys[i]`` is :func:`sentence_key` of the text embedded (:func:`normalized_text`); each distinct
        text appears once, committed or not (an interrupted ingest may leave vectors no committed location
        uses). Pages are read by offset, so run it while nothing writes to the index. Meant for tools that
        reuse an index's vectors without embedding again (evals/scale_benchmark.py's 1M point).
        """
        import numpy as np

        if page < 1:
            raise ValueError("page must be at least 1")
        offset = 0
        while True:
            got = self._guard(partial(self._vectors.get, include=["embeddings"], limit=page, offset=offset))
            if not got["ids"]:
                return
            yield list(got["ids"]), np.asarray(got["embeddings"], dtype=np.float32)
            offset += len(got["ids"])

    def _search_document(self, vector: Sequence[float], k: int, doc_id: str) -> list[Sentence]:
        import numpy as np

        placed = self._place_document(doc_id)
        if not placed:
            return []
        keys = sorted(placed)
        got = self._guard(lambda: self._vectors.get(ids=keys, include=["embeddings"]))
        matrix = np.asarray(got["embeddings"], dtype=np.float64)
        query = np.asarray(vector, dtype=np.float64)
        norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(query) or 1.0)
        scores = matrix @ query / np.where(norms == 0, 1.0, norms)
        order = np.argsort(-scores, kind="stable")[:k]
        return [_hit(placed[got["ids"][i]], float(scores[i])) for i in order]

    def _place(self, keys: list[str]) -> dict[str, list[tuple[Location, str]]]:
        """Committed locations (with the text cut at them) of each key, first location first."""
        if not keys:
            return {}
        got = self._guard(lambda: self._locations.get(where={"key": {"$in": keys}}, include=["metadatas"]))
        return self._committed_locations(got["metadatas"])

    def _place_document(self, doc_id: str) -> dict[str, list[tuple[Location, str]]]:
        sha = self._committed_hashes([doc_id]).get(doc_id)
        if sha is None:
            return {}
        got = self._guard(
            lambda: self._locations.get(
                where={"$and": [{"doc_id": doc_id}, {"doc_sha": sha}]}, include=["metadatas"]
            )
        )
        return self._committed_locations(got["metadatas"])

    def _committed_locations(self, metas: list[dict[str, Any]]) -> dict[str, list[tuple[Location, str]]]:
        """Locations by key, first (by document id, then position) first, with the text cut there.

        Only committed locations count; the text is read only for each key's first location (the others
        hold the same normalized text), so a line repeated in thousands of documents costs one text.
        """
        live = self._committed_hashes(sorted({m["doc_id"] for m in metas}))
        by_key: dict[str, list[Location]] = {}
        shas: dict[str, str] = {}
        for m in metas:
            if live.get(m["doc_id"]) != m["doc_sha"]:
                continue  # left by an interrupted or superseded ingest
            loc = Location(m["doc_id"], int(m["sentence_index"]), int(m["start"]), int(m["end"]))
            by_key.setdefault(str(m["key"]), []).append(loc)
            shas[loc.doc_id] = m["doc_sha"]
        for locs in by_key.values():
            locs.sort(key=lambda loc: (loc.doc_id, loc.sentence_id))
        texts = self._committed_texts({locs[0].doc_id: shas[locs[0].doc_id] for locs in by_key.values()})
        out: dict[str, list[tuple[Location, str]]] = {}
        for key, locs in by_key.items():
            text = texts.get(shas[locs[0].doc_id])
            if text is not None:
                first = locs[0]
                out[key] = [(first, text[first.start : first.end]), *((loc, "") for loc in locs[1:])]
        return out

    def sentences_of(self, doc_id: str) -> list[Sentence]:
        """All committed sentences of one document in reading order (score 0).

        Split again from the committed text when the document was split by this splitter version (one
        read, independent of the index size); otherwise read its sentence records back from the index.
        """
        got = self._guard(lambda: self._documents.get(ids=[doc_id], include=["metadatas", "documents"]))
        if not got["ids"]:
            return []
        meta, text = got["metadatas"][0], got["documents"][0]
        if meta.get("splitter") == SPLITTER_VERSION:
            return [s for s in split_sentences(text, doc_id=doc_id)]
        records = self._guard(
            lambda: self._locations.get(
                where={"$and": [{"doc_id": doc_id}, {"doc_sha": meta["sha256"]}]},
                include=["metadatas"],
            )
        )
        hits = [
            Sentence(doc_id, int(m["sentence_index"]), start, end, text[start:end], 0.0)
            for m in records["metadatas"]
            for start, end in [(int(m["start"]), int(m["end"]))]
        ]
        return sorted(hits, key=lambda h: h.sentence_id)

    def _committed_texts(self, shas: dict[str, str]) -> dict[str, str]:
        """Texts of the documents whose committed hash is in ``shas`` (doc id -> hash), keyed by hash.

        Sentence records hold offsets, not text: a sentence's text is cut from its document's committed
        text, so what is shown is by construction the source at those offsets. A sentence left by an
        interrupted or superseded ingest has a hash with no committed text and is dropped.
        """
        if not shas:
            return {}
        committed = self._committed_hashes(sorted(shas))
        live = {i: sha for i, sha in shas.items() if committed.get(i) == sha}
        out = self._texts.get_many(live.values())
        missing = sorted(i for i, sha in live.items() if sha not in out)
        if missing:
            got = self._guard(lambda: self._documents.get(ids=missing, include=["metadatas", "documents"]))
            for m, text in zip(got["metadatas"], got["documents"], strict=True):
                out[m["sha256"]] = text  # returned even when the cache cannot keep it all
                self._texts.put(m["sha256"], text)
        return out

    def _committed_hashes(self, doc_ids: list[str]) -> dict[str, str]:
        """Committed content hash of each of ``doc_ids`` that is indexed."""
        return {doc_id: c.sha256 for doc_id, c in self.committed(doc_ids).items()}

    def _stored_sentence_ids(self, doc_ids: list[str]) -> dict[str, list[str]]:
        """Ids of every sentence record (any version) of ``doc_ids``."""
        if not doc_ids:
            return {}
        got = self._guard(lambda: self._locations.get(where={"doc_id": {"$in": doc_ids}}, include=[]))
        out: dict[str, list[str]] = {}
        for sid in got["ids"]:
            out.setdefault(sid.rsplit("#", 2)[0], []).append(sid)
        return out

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


def _hit(placed: list[tuple[Location, str]], score: float) -> Sentence:
    (first, text), rest = placed[0], placed[1:]
    return Sentence(
        doc_id=first.doc_id,
        sentence_id=first.sentence_id,
        start=first.start,
        end=first.end,
        text=text,
        score=round(score, 6),
        also=tuple(loc for loc, _ in rest),
    )


def _to_document(doc_id: str, meta: dict[str, Any], text: str) -> StoredDocument:
    return StoredDocument(
        doc_id=doc_id,
        path=str(meta.get("path", doc_id)),
        title=str(meta.get("title", doc_id)),
        lang=str(meta.get("lang", "und")),
        sha256=str(meta["sha256"]),
        n_sentences=int(meta.get("n_sentences", 0)),
        text=text,
        format=str(meta.get("format", "text")),
        page_starts=tuple(int(p) for p in str(meta.get("page_starts", "")).split(",") if p),
        chars=int(meta["chars"]) if "chars" in meta else (len(text) if text else None),
    )
