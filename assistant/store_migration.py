"""Migrating an index of format 1 (one ``sentences`` record with a vector per sentence) to format 2
(distinct texts' vectors, locations, documents: see :mod:`assistant.store`).

It runs on first open, under the write lock, reusing the stored vectors: the new collections are written
first, the old one is deleted last, so an interrupted migration is simply done again.
"""

from __future__ import annotations

import sys
from functools import partial
from typing import TYPE_CHECKING, Any

from .store_records import _REGISTRY_VECTOR, INDEX_FORMAT, sentence_key

if TYPE_CHECKING:
    from .store import SentenceStore

#: Format 1's collection of sentences with their vectors; read only to migrate it.
LEGACY_SENTENCES = "sentences"


def legacy_collection(client: Any, name: str) -> Any:
    """The format-1 collection ``name`` of ``client``, or None when the index has none."""
    names = [getattr(c, "name", c) for c in client.list_collections()]
    return client.get_collection(name, embedding_function=None) if name in names else None


def migrate(store: SentenceStore, legacy: Any, page: int = 2048) -> None:
    """Rewrite a format-1 index as format 2, reusing its stored vectors (see the module docstring)."""
    with store.write_lock():
        total = int(store._guard(legacy.count))
        if total:
            print(
                f"factcheck: migrating the index at {store.location} to format {INDEX_FORMAT} "
                f"(one vector per distinct sentence): {total} sentence records",
                file=sys.stderr,
            )
        offset = 0
        while offset < total:
            got = store._guard(
                partial(legacy.get, include=["embeddings", "metadatas"], limit=page, offset=offset)
            )
            if not got["ids"]:
                break
            _migrate_page(store, got["ids"], got["metadatas"], got["embeddings"])
            offset += len(got["ids"])
        # Last: from here on the index is format 2.
        store._guard(lambda: store._client.delete_collection(legacy.name))


def _migrate_page(store: SentenceStore, ids: list[str], metas: list[dict[str, Any]], embeddings: Any) -> None:
    """Write one page of format-1 sentence records as locations and (first-seen) vectors."""
    live = store._committed_hashes(sorted({m["doc_id"] for m in metas}))
    texts = store._committed_texts(live)
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
        store._guard(lambda: store._vectors.upsert(ids=list(vectors), embeddings=list(vectors.values())))
    if loc_ids:
        store._guard(
            lambda: store._locations.upsert(
                ids=loc_ids, embeddings=[_REGISTRY_VECTOR] * len(loc_ids), metadatas=loc_metas
            )
        )
