"""Run a dataset through the same pipeline users get, plus retrieval ablations and a naive baseline."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.embeddings import Embeddings

from ..check import Checker
from ..config import Settings
from ..documents import SourceDocument, guess_lang
from ..embeddings import get_embedder
from ..errors import ConfigError, EndpointError, FactCheckError, InputError
from ..ingest import ingest_documents
from ..lexical import BM25
from ..llm import StructuredChat
from ..records import Sentence
from ..retrieve import SentenceRetriever, hybrid_search
from ..schemas import DEBUG, CheckResult
from ..secrets import scrub_line
from ..sentences import split_sentences
from ..store import SentenceStore
from .datasets import gold_sentence_ids
from .items import EvalDataset, EvalItem

#: Retrieval metrics look this deep (recall@10 is the deepest reported).
RANK_DEPTH = 10
#: The naive single-prompt RAG baseline (``--baseline``).
NAIVE_PIPELINE = "naive.v1"
Key = tuple[str, int]


@dataclass
class ItemRecord:
    """Everything measured for one item; the metrics are computed from a list of these."""

    id: str
    kind: str
    lang: str
    gold: str | None
    source_label: str | None
    gold_sets: list[set[Key]]
    gold_spans: list[tuple[str, int, int]]
    #: The claim or question as given (the report's table of failed items shows it).
    claim: str = ""
    ranked: dict[str, list[Key]] = field(default_factory=dict)  # retrieval variant -> ranking
    pred: str | None = None
    confidence: float = 0.0
    cited: set[Key] = field(default_factory=set)
    cited_spans: list[tuple[str, int, int]] = field(default_factory=list)
    invalid_spans: int = 0
    dropped_citations: int = 0
    set_aside: int = 0
    schema_failures: int = 0
    latency_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    error: str | None = None
    #: Verdict and confidence of each compared pipeline (``--compare``, ``--baseline``), by pipeline id.
    others: dict[str, tuple[str | None, float]] = field(default_factory=dict)
    #: The pipeline's full result (the README's JSON), so a report can be re-analysed offline.
    result: dict[str, Any] | None = None
    #: A one-slot-changed gold claim: the slot it changes and the source's value (EvalItem's).
    slot: str | None = None
    correct: str | None = None

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready view (sets become sorted lists)."""
        out = dict(self.__dict__)
        out["gold_sets"] = [sorted(s) for s in self.gold_sets]
        out["cited"] = sorted(self.cited)
        return out

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> ItemRecord:
        """The record of a report item (:meth:`as_json` read back)."""

        def keys(pairs: list[list[Any]]) -> list[Key]:
            return [(str(d), int(n)) for d, n in pairs]

        return cls(
            **{
                **item,
                "gold_sets": [set(keys(s)) for s in item.get("gold_sets", [])],
                "gold_spans": [(str(d), int(a), int(b)) for d, a, b in item.get("gold_spans", [])],
                "ranked": {v: keys(r) for v, r in item.get("ranked", {}).items()},
                "cited": set(keys(item.get("cited", []))),
                "cited_spans": [(str(d), int(a), int(b)) for d, a, b in item.get("cited_spans", [])],
                "others": {p: (v, float(c)) for p, (v, c) in item.get("others", {}).items()},
            }
        )


def select_split(items: list[EvalItem], split: str | None) -> list[EvalItem]:
    """``dev`` or ``test`` half by a hash of the item id (stable, independent of order); None keeps all."""
    if split in (None, "all"):
        return items
    if split not in ("dev", "test"):
        raise ConfigError(f"--split must be dev, test or all, not {split!r}")
    return [i for i in items if split_of(i.id) == split]


def split_of(item_id: str) -> str:
    """``dev`` or ``test``: the half an item belongs to, by a hash of its id."""
    return "dev" if hashlib.sha256(item_id.encode()).digest()[0] % 2 == 0 else "test"


def corpus_hash(dataset: EvalDataset) -> str:
    """A hash of the corpus content, so a matching evaluation index is reused."""
    h = hashlib.sha256()
    for doc in sorted(dataset.corpus, key=lambda d: d.name):
        h.update(doc.name.encode() + b"\0" + hashlib.sha256(doc.text.encode()).digest())
    return h.hexdigest()[:16]


def open_eval_store(settings: Settings, dataset: EvalDataset, embedder: str) -> SentenceStore:
    """A separate index for this corpus and embedder (a folder locally, a namespace on a server)."""
    digest = corpus_hash(dataset)
    if settings.index.startswith(("http://", "https://")):
        return SentenceStore(settings.index, embedder, namespace=f"eval-{digest}-{_slug(embedder)}-")
    return SentenceStore(str(settings.home / "eval" / f"{digest}-{_slug(embedder)}"), embedder)


def ingest_corpus(
    store: SentenceStore,
    dataset: EvalDataset,
    embeddings: Embeddings,
    on_progress: Callable[[int], None] | None = None,
) -> None:
    """Ingest the corpus through the user's ingest path (:func:`assistant.ingest.ingest_documents`);
    documents already present with the same content are skipped. ``on_progress(1)`` per document; a
    document that cannot be ingested is an :class:`InputError` (the first one's message)."""
    sources = (
        SourceDocument(
            doc_id=doc.name,
            path=doc.name,
            title=doc.name,
            lang=guess_lang(doc.text),
            text=doc.text,
            sha256=hashlib.sha256(doc.text.encode("utf-8")).hexdigest(),
        )
        for doc in dataset.corpus
    )
    done = (lambda: on_progress(1)) if on_progress else None
    report = ingest_documents(store, embeddings, sources, on_document_done=done)
    if report.errors:
        raise InputError(report.errors[0])


class EvalRunner:
    """Scores items with the user pipeline and records retrieval rankings for each ablation."""

    def __init__(
        self,
        settings: Settings,
        dataset: EvalDataset,
        chat: StructuredChat | None,
        *,
        embedders: list[str],
        compare: list[str] | None = None,
        on_stage: Callable[[str, int], None] | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        self.settings = settings
        self.dataset = dataset
        self.chat = chat
        self.compare = [p for p in dict.fromkeys(compare or []) if p != settings.pipeline]
        self._stage = on_stage or (lambda _name, _total: None)
        self._progress = on_progress or (lambda _n: None)
        self.embedders = [settings.embedder, *[e for e in embedders if e != settings.embedder]]
        self._sentences = {
            d.name: [(s.sentence_id, s.start, s.end) for s in split_sentences(d.text)] for d in dataset.corpus
        }
        self._stores: dict[str, SentenceStore] = {}
        self._embeddings: dict[str, Embeddings] = {}
        self._bm25: dict[str | None, BM25] = {}
        self._texts = {d.name: d.text for d in dataset.corpus}

    def prepare(self) -> None:
        """Build (or reuse) one index per embedder."""
        for name in self.embedders:
            self._embeddings[name] = get_embedder(name)
            self._stores[name] = open_eval_store(self.settings, self.dataset, name)
            self._stage(f"indexing corpus ({name})", len(self.dataset.corpus))
            ingest_corpus(self._stores[name], self.dataset, self._embeddings[name], self._progress)

    def close(self) -> None:
        """Release the evaluation indexes (their files stay for the next run to reuse)."""
        for store in self._stores.values():
            store.close()

    def checker(self, pipeline: str) -> Checker:
        """A checker of ``pipeline`` over this dataset's index (after :meth:`prepare`; needs a model)."""
        if self.chat is None:
            raise ConfigError("a checker needs a chat model")
        main = self.settings.embedder
        retriever = SentenceRetriever(
            store=self._stores[main], embeddings=self._embeddings[main], k=self.settings.k
        )
        return Checker(self._stores[main], retriever, self.chat, pipeline=pipeline)

    def run(self) -> list[ItemRecord]:
        """Score every item; a malformed model reply counts against the item, an outage stops the run."""
        if not self._stores:
            self.prepare()
        checker = None
        others: dict[str, Checker] = {}
        if self.chat is not None:
            checker = self.checker(self.settings.pipeline)
            others = {p: self.checker(p) for p in self.compare}
        self._stage(f"scoring items ({self.settings.pipeline})", len(self.dataset.items))
        records = []
        for item in self.dataset.items:
            rec = self._new_record(item)
            self._rank(item, rec)
            if checker is not None:
                self._judge(item, rec, checker)
            records.append(rec)
            self._progress(1)
        # One pipeline at a time over all items: consecutive calls share their prompt's fixed prefix,
        # which llama.cpp then reads only once.
        for pid, other in others.items():
            claims = [(i, r) for i, r in zip(self.dataset.items, records, strict=True) if i.kind == "claim"]
            self._stage(f"scoring items ({pid})", len(claims))
            for item, rec in claims:
                self._judge_other(item, rec, pid, other)
                self._progress(1)
        return records

    # ---- per item -------------------------------------------------------------------------------

    def _new_record(self, item: EvalItem) -> ItemRecord:
        gold_sets = [gold_sentence_ids(s, self._sentences) for s in item.evidence_sets]
        spans = {(g.doc, g.start, g.end) for s in item.evidence_sets for g in s}
        return ItemRecord(
            id=item.id,
            kind=item.kind,
            lang=item.lang,
            claim=item.claim,
            gold=item.label,
            source_label=item.source_label,
            gold_sets=[s for s in gold_sets if s],
            gold_spans=sorted(spans),
            slot=item.slot,
            correct=item.correct,
        )

    def _rank(self, item: EvalItem, rec: ItemRecord) -> None:
        main = self.settings.embedder
        for name in self.embedders:
            vector = self._embeddings[name].embed_query(item.claim)
            gold = set().union(*rec.gold_sets) if rec.gold_sets else set()
            rec.ranked[f"dense:{name}"] = _keys(
                self._stores[name].search(vector, k=RANK_DEPTH, doc_id=item.doc), gold
            )
            if name == main:
                rec.ranked[f"hybrid:{name}"] = _keys(
                    hybrid_search(self._stores[name], vector, item.claim, k=RANK_DEPTH, doc_id=item.doc),
                    gold,
                )
        rec.ranked["lexical"] = _keys(self._lexical(item.doc).search(item.claim, RANK_DEPTH))

    def _lexical(self, doc: str | None) -> BM25:
        if doc not in self._bm25:
            store = self._stores[self.settings.embedder]
            names = [doc] if doc else [d.name for d in self.dataset.corpus]
            self._bm25[doc] = BM25([h for name in names for h in store.sentences_of(name)])
        return self._bm25[doc]

    def _judge(self, item: EvalItem, rec: ItemRecord, checker: Checker) -> None:
        try:
            if item.kind == "question":
                result = checker.answer(item.claim, doc_id=item.doc)
            else:
                result = checker.check(item.claim, doc_id=item.doc)
        except (EndpointError, ConfigError):
            raise
        except FactCheckError as exc:
            rec.error = scrub_line(str(exc))
            rec.schema_failures = 3
            return
        _record_result(rec, result, self._texts)

    def _judge_other(self, item: EvalItem, rec: ItemRecord, pid: str, other: Checker) -> None:
        try:
            res = other.check(item.claim, doc_id=item.doc)
            rec.others[pid] = (res.verdict, res.confidence)
        except (EndpointError, ConfigError):
            raise
        except FactCheckError as exc:
            rec.others[pid] = (None, 0.0)
            rec.error = rec.error or scrub_line(f"{pid}: {exc}")


def _record_result(rec: ItemRecord, result: CheckResult, texts: dict[str, str]) -> None:
    rec.result = result.model_dump(context=DEBUG)  # the reports keep what the judge read (research/ reads it)
    rec.pred = result.verdict
    rec.confidence = result.confidence
    gold = set().union(*rec.gold_sets) if rec.gold_sets else set()
    rec.ranked["pipeline"] = [
        next(
            (
                loc
                for loc in [(r.doc_id, r.sentence_id), *((a.doc_id, a.sentence_id) for a in r.also)]
                if loc in gold
            ),
            (r.doc_id, r.sentence_id),
        )
        for r in result.retrieved
    ]
    for st in result.statements:
        for ev in st.evidence:
            rec.cited.add((ev.doc_id, ev.sentence_id))
            rec.cited_spans.append((ev.doc_id, ev.start, ev.end))
            # Span validity is re-checked here, independently of the pipeline's own check.
            if texts.get(ev.doc_id, "")[ev.start : ev.end] != ev.text:
                rec.invalid_spans += 1
    rec.dropped_citations = result.dropped_citations
    rec.set_aside = len(result.set_aside)
    rec.schema_failures = result.schema_failures
    rec.latency_s = result.timings_ms.get("total", 0.0) / 1000
    rec.prompt_tokens = result.usage.get("prompt_tokens", 0)
    rec.completion_tokens = result.usage.get("completion_tokens", 0)
    rec.cached = bool(result.usage.get("cached", 0))


def _keys(hits: list[Sentence], gold: set[Key] | frozenset[Key] = frozenset()) -> list[Key]:
    """One key per hit: its first location, or the location that is gold evidence when the hit's text
    stands in several places (a repeated text is one hit, and it finds the gold sentence wherever it is)."""
    out: list[Key] = []
    for h in hits:
        keys = [(loc.doc_id, loc.sentence_id) for loc in h.locations]
        out.append(next((key for key in keys if key in gold), keys[0]))
    return out


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name)[:40]
