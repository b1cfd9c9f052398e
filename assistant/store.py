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

An index of format 1 is migrated on first open (``store_migration``). The client (``store_client``), the
write lock (``store_lock``), the record types (``store_records``) and mapping search hits to locations
(``store_search``) have modules of their own; this one re-exports the names other modules import.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path
from typing import Any

from .documents import SourceDocument
from .errors import StoreError
from .records import Sentence
from .sentences import SPLITTER_VERSION, split_sentences
from .store_client import _one_line, call_chroma, check_embedder, open_client
from .store_client import _settings as _settings  # re-exported: tests build a format-1 index with it
from .store_lock import write_lock
from .store_migration import LEGACY_SENTENCES, legacy_collection, migrate
from .store_records import (
    _REGISTRY_VECTOR,
    INDEX_FORMAT,
    CommittedDocument,
    NewLocation,
    StoredDocument,
    TextCache,
    _hit,
    _to_document,
    document_metadata,
    location_id,
    location_metadata,
    search_fetch_size,
)

# Re-exported: ingest keys and embeds sentences with them.
from .store_records import normalized_text as normalized_text
from .store_records import sentence_key as sentence_key
from .store_search import place, search_document

VECTORS = "vectors"
LOCATIONS = "locations"
DOCUMENTS = "documents"
#: HNSW's candidate list when building and searching the vectors (Chroma's default search_ef is 10, which
#: misses exact matches among many near-identical sentences in tests/test_duplicates.py; 128 does not).
HNSW_EF = 128
#: Document texts kept in memory to cut sentence texts from (by content hash).
TEXT_CACHE = 256


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
            legacy = legacy_collection(self._client, f"{namespace}{LEGACY_SENTENCES}")
            check_embedder(legacy, embedder_name, location)
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
            check_embedder(self._vectors, embedder_name, location)
            self._locations = self._client.get_or_create_collection(
                f"{namespace}{LOCATIONS}", embedding_function=None
            )
            self._documents = self._client.get_or_create_collection(
                f"{namespace}{DOCUMENTS}", embedding_function=None
            )
        except StoreError:
            self.close()  # a refused index leaves no files open behind its error
            raise
        except Exception as exc:
            self.close()
            raise StoreError(f"index at {location} cannot be opened: {_one_line(exc)}") from None
        if legacy is not None:
            migrate(self, legacy)

    def close(self) -> None:
        """Release the index's connections and files (an embedded index holds its SQLite database and vector
        files open); a client given to the store stays open, its owner's to close. Idempotent."""
        if self._owns_client:
            close = getattr(self._client, "close", None)
            if callable(close):
                close()

    # ---- writing -------------------------------------------------------------------------------

    def write_lock(self) -> AbstractContextManager[None]:
        """Hold the index's write lock; fail at once when another process holds it."""
        return write_lock(self._lock_path, self.location)

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
                metadatas=[location_metadata(r) for r in rows],
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
                    document_metadata(doc, n, splitter=SPLITTER_VERSION, ingested_at=now) for doc, n in docs
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
            return search_document(self, vector, k, doc_id)
        fetch = search_fetch_size(k)
        while True:
            nearest = self.query_vectors(vector, fetch)
            placed = place(self, [key for key, _ in nearest])
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
        return call_chroma(fn, self.location, server=self.is_server)
