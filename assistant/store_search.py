"""Turning what the sentence index's vectors match into search hits: a nearest vector's key mapped to the
committed locations of its text (with the text cut there), and the exact scan within one document.

A location counts only when its ``doc_sha`` is its document's committed hash (see :mod:`assistant.store`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .records import Location, Sentence
from .store_records import _hit

if TYPE_CHECKING:
    from .store import SentenceStore


def search_document(store: SentenceStore, vector: Sequence[float], k: int, doc_id: str) -> list[Sentence]:
    """The ``k`` committed sentences of ``doc_id`` nearest to ``vector`` by an exact cosine scan."""
    import numpy as np

    placed = _place_document(store, doc_id)
    if not placed:
        return []
    keys = sorted(placed)
    got = store._guard(lambda: store._vectors.get(ids=keys, include=["embeddings"]))
    matrix = np.asarray(got["embeddings"], dtype=np.float64)
    query = np.asarray(vector, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(query) or 1.0)
    scores = matrix @ query / np.where(norms == 0, 1.0, norms)
    order = np.argsort(-scores, kind="stable")[:k]
    return [_hit(placed[got["ids"][i]], float(scores[i])) for i in order]


def place(store: SentenceStore, keys: list[str]) -> dict[str, list[tuple[Location, str]]]:
    """Committed locations (with the text cut at them) of each key, first location first."""
    if not keys:
        return {}
    got = store._guard(lambda: store._locations.get(where={"key": {"$in": keys}}, include=["metadatas"]))
    return _committed_locations(store, got["metadatas"])


def _place_document(store: SentenceStore, doc_id: str) -> dict[str, list[tuple[Location, str]]]:
    sha = store._committed_hashes([doc_id]).get(doc_id)
    if sha is None:
        return {}
    got = store._guard(
        lambda: store._locations.get(
            where={"$and": [{"doc_id": doc_id}, {"doc_sha": sha}]}, include=["metadatas"]
        )
    )
    return _committed_locations(store, got["metadatas"])


def _committed_locations(
    store: SentenceStore, metas: list[dict[str, Any]]
) -> dict[str, list[tuple[Location, str]]]:
    """Locations by key, first (by document id, then position) first, with the text cut there.

    Only committed locations count; the text is read only for each key's first location (the others
    hold the same normalized text), so a line repeated in thousands of documents costs one text.
    """
    live = store._committed_hashes(sorted({m["doc_id"] for m in metas}))
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
    texts = store._committed_texts({locs[0].doc_id: shas[locs[0].doc_id] for locs in by_key.values()})
    out: dict[str, list[tuple[Location, str]]] = {}
    for key, locs in by_key.items():
        text = texts.get(shas[locs[0].doc_id])
        if text is not None:
            first = locs[0]
            out[key] = [(first, text[first.start : first.end]), *((loc, "") for loc in locs[1:])]
    return out
