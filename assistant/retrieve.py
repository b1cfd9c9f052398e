"""A LangChain retriever over the sentence index: claim in, ranked source sentences out."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from .defaults import DEFAULT_K, MAX_K
from .lexical import BM25, reciprocal_rank_fusion
from .records import Location, Sentence
from .store import SentenceStore

#: Hybrid retrieval fuses this many dense hits with a lexical search ...
HYBRID_POOL = 20
#: ... over every sentence of the (at most) this many best documents of the dense search, so the lexical
#: side scores a bounded number of sentences however large the index grows (fetching them is one filtered
#: Chroma read, whose cost grows slowly with the index; see evals/RESULTS.md).
HYBRID_DOCS = 3
RetrievalMode = Literal["dense", "hybrid"]


class SentenceRetriever(BaseRetriever):
    """Dense or hybrid retrieval of sentences, optionally restricted to one document.

    ``hybrid`` fuses the dense ranking with BM25 (reciprocal-rank fusion) over the sentences of the
    documents the dense search found: multilingual embeddings blur names, numbers and dates, BM25 does not.
    Scores are cosine similarities in ``dense`` mode and fused RRF scores in ``hybrid`` mode.

    Each returned ``Document`` carries ``doc_id``, ``sentence_id``, ``start``, ``end`` and ``score``
    in its metadata, so spans can be traced back to the source text. ``k``, ``doc_id`` and ``mode`` may be
    given per call (``invoke(query, k=8, mode="hybrid")``); the fields are the defaults.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: SentenceStore
    embeddings: Embeddings
    k: int = Field(default=DEFAULT_K, ge=1, le=MAX_K)
    doc_id: str | None = None
    mode: RetrievalMode = "dense"

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        k = int(kwargs.get("k", self.k))
        doc_id = kwargs.get("doc_id", self.doc_id)
        mode: RetrievalMode = kwargs.get("mode", self.mode)
        vector = self.embeddings.embed_query(query)
        if mode == "hybrid":
            hits = hybrid_search(self.store, vector, query, k=k, doc_id=doc_id)
        else:
            hits = self.store.search(vector, k=k, doc_id=doc_id)
        return [sentence_to_document(h) for h in hits]


def hybrid_search(
    store: SentenceStore, vector: list[float], query: str, *, k: int, doc_id: str | None = None
) -> list[Sentence]:
    """Dense hits fused with BM25 over the sentences of the best documents (see SentenceRetriever)."""
    dense = store.search(vector, k=max(k, HYBRID_POOL), doc_id=doc_id)
    doc_ids = [doc_id] if doc_id else list(dict.fromkeys(h.doc_id for h in dense))[:HYBRID_DOCS]
    pool = [h for d in doc_ids for h in store.sentences_of(d)]
    lexical = BM25(pool).search(query, max(k, HYBRID_POOL)) if pool else []
    return reciprocal_rank_fusion([dense, lexical], k)


def sentence_to_document(hit: Sentence) -> Document:
    """A retrieved sentence as a LangChain ``Document``."""
    return Document(
        page_content=hit.text,
        id=f"{hit.doc_id}#{hit.sentence_id}",
        metadata={
            "doc_id": hit.doc_id,
            "sentence_id": hit.sentence_id,
            "start": hit.start,
            "end": hit.end,
            "score": hit.score,
            # Other documents' (or places') copies of the same text: a repeated line is one hit.
            "also": [(loc.doc_id, loc.sentence_id, loc.start, loc.end) for loc in hit.also],
        },
    )


def document_to_sentence(doc: Document) -> Sentence:
    """The inverse of :func:`sentence_to_document`."""
    m = doc.metadata
    return Sentence(
        doc_id=m["doc_id"],
        sentence_id=int(m["sentence_id"]),
        start=int(m["start"]),
        end=int(m["end"]),
        text=doc.page_content,
        score=float(m.get("score", 0.0)),
        also=tuple(Location(d, int(i), int(a), int(b)) for d, i, a, b in m.get("also", ())),
    )
