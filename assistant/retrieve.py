"""A LangChain retriever over the sentence index: claim in, ranked source sentences out."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from .store import SentenceHit, SentenceStore

DEFAULT_K = 5


class SentenceRetriever(BaseRetriever):
    """Dense retrieval of sentences, optionally restricted to one document.

    Each returned ``Document`` carries ``doc_id``, ``sentence_index``, ``start``, ``end`` and ``score``
    in its metadata, so spans can be traced back to the source text.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: SentenceStore
    embeddings: Embeddings
    k: int = Field(default=DEFAULT_K, ge=1)
    doc_id: str | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        k = int(kwargs.get("k", self.k))
        doc_id = kwargs.get("doc_id", self.doc_id)
        hits = self.store.search(self.embeddings.embed_query(query), k=k, doc_id=doc_id)
        return [hit_to_document(h) for h in hits]


def hit_to_document(hit: SentenceHit) -> Document:
    """A retrieved sentence as a LangChain ``Document``."""
    return Document(
        page_content=hit.text,
        id=f"{hit.doc_id}#{hit.sentence_index}",
        metadata={
            "doc_id": hit.doc_id,
            "sentence_index": hit.sentence_index,
            "start": hit.start,
            "end": hit.end,
            "score": hit.score,
        },
    )


def document_to_hit(doc: Document) -> SentenceHit:
    """The inverse of :func:`hit_to_document`."""
    m = doc.metadata
    return SentenceHit(
        doc_id=m["doc_id"],
        sentence_index=int(m["sentence_index"]),
        start=int(m["start"]),
        end=int(m["end"]),
        text=doc.page_content,
        score=float(m.get("score", 0.0)),
    )
