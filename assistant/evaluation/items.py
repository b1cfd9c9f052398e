"""Data types shared by dataset loaders, the runner and the metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..schemas import Verdict

ItemKind = Literal["claim", "question"]


@dataclass(frozen=True)
class GoldSpan:
    """A gold evidence span: ``corpus_doc.text[start:end] == quote``; ``doc`` is the document's name."""

    doc: str
    start: int
    end: int
    quote: str


@dataclass(frozen=True)
class EvalItem:
    """One item to score.

    ``evidence_sets`` lists alternative complete sets of gold spans: citing (or retrieving) every span of
    any one set counts as complete evidence. It is empty for not_enough_info claims.
    ``doc`` restricts retrieval to one document (WiCE pages, Check-COVID abstracts) or is None.
    ``source_label`` keeps the dataset's own label (e.g. WiCE ``partially_supported``).
    """

    id: str
    kind: ItemKind
    claim: str
    label: Verdict | None
    lang: str
    evidence_sets: tuple[tuple[GoldSpan, ...], ...] = ()
    doc: str | None = None
    source_label: str | None = None
    #: A claim that changes one slot of a source sentence (person, party, place, institution, number, year,
    #: office, negation), and the source's value of it (the project's jsonl: optional ``slot``, ``correct``).
    slot: str | None = None
    correct: str | None = None


@dataclass(frozen=True)
class CorpusDocument:
    """A document of an evaluation corpus: ``name`` is its file name when written to disk for ingest."""

    name: str
    text: str


@dataclass
class EvalDataset:
    """Items plus the corpus they refer to."""

    name: str
    items: list[EvalItem]
    corpus: list[CorpusDocument] = field(default_factory=list)
