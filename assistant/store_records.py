"""Record types and helpers of the sentence index (:mod:`assistant.store`): what a stored document, a
committed version and a new location are, how a sentence's text is keyed, what a record stores and how
it reads back, and the in-memory cache of document texts. Nothing here talks to Chroma.
"""

from __future__ import annotations

import hashlib
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from .documents import SourceDocument, page_at
from .records import Location, Sentence

#: The layout this code writes (see :mod:`assistant.store`); format 1 is migrated on open.
INDEX_FORMAT = 2
#: The documents collection stores no meaningful vector; Chroma requires one, so every record gets this.
_REGISTRY_VECTOR = [1.0]


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


def location_metadata(row: NewLocation) -> dict[str, Any]:
    """The metadata stored with a location record."""
    return {
        "doc_id": row.doc_id,
        "doc_sha": row.doc_sha,
        "sentence_index": row.sentence_id,  # the stored key keeps its format-1 name
        "start": row.start,
        "end": row.end,
        "key": row.key,
    }


def document_metadata(
    doc: SourceDocument, n_sentences: int, *, splitter: int, ingested_at: float
) -> dict[str, Any]:
    """The metadata stored with a document record (read back by :func:`_to_document`)."""
    return {
        "path": doc.path,
        "title": doc.title,
        "lang": doc.lang,
        "sha256": doc.sha256,
        "n_sentences": n_sentences,
        "splitter": splitter,
        "ingested_at": ingested_at,
        # Added with the format readers; a record without them reads as text.
        "format": doc.format,
        "chars": len(doc.text),
        **({"page_starts": ",".join(map(str, doc.page_starts))} if doc.page_starts else {}),
    }
