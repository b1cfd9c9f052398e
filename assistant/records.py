"""The sentence record every stage shares: the splitter, the store, retrieval, spans and results.

A sentence is identified by its document and its position in it, ``sentence_id`` (0-based, the order the
splitter found it); ``[start, end)`` are character offsets into the document's text, so
``document_text[start:end] == text``. A retrieved sentence carries its ``score`` and the other places a
repeated text stands (``also``); a verified citation is a ``Sentence`` whose offsets may cover only the
quoted words of the sentence it names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where a sentence stands: document, its ``sentence_id`` there, and ``[start, end)`` offsets."""

    doc_id: str
    sentence_id: int
    start: int
    end: int


@dataclass(frozen=True)
class Sentence:
    """One sentence of a document (or, for a verified quote, the quoted part of one)."""

    doc_id: str
    sentence_id: int
    start: int
    end: int
    text: str
    #: Similarity to the query, for a retrieved sentence (cosine in dense mode, RRF in hybrid mode).
    score: float = 0.0
    #: The other committed locations of the same (normalized) text, when a corpus repeats it.
    also: tuple[Location, ...] = ()

    @property
    def location(self) -> Location:
        """Where this sentence stands."""
        return Location(self.doc_id, self.sentence_id, self.start, self.end)

    @property
    def locations(self) -> tuple[Location, ...]:
        """Every location of this text: the first, then ``also``."""
        return (self.location, *self.also)
