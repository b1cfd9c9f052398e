"""Wires settings into the pipeline's parts; every entry point (CLI, chat, eval) builds them here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from langchain_core.embeddings import Embeddings

from .check import Checker
from .config import Settings, apply_offline_defaults
from .embeddings import get_embedder
from .llm import StructuredChat, make_chat
from .llm.cache import ReplyCache
from .retrieve import SentenceRetriever
from .store import SentenceStore


@dataclass
class App:
    """Lazily built parts: opening the index does not load the LLM, and vice versa."""

    settings: Settings
    on_assemble_progress: Callable[[int, int], None] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        apply_offline_defaults()

    @cached_property
    def embeddings(self) -> Embeddings:
        """The configured embedder."""
        return get_embedder(self.settings.embedder)

    @cached_property
    def store(self) -> SentenceStore:
        """The configured index."""
        return SentenceStore(self.settings.index, self.settings.embedder)

    @cached_property
    def retriever(self) -> SentenceRetriever:
        """A retriever over the index."""
        return SentenceRetriever(store=self.store, embeddings=self.embeddings, k=self.settings.k)

    @cached_property
    def chat(self) -> StructuredChat:
        """The configured chat backend (for ``local``: assembles and verifies the model file)."""
        s = self.settings
        chat = make_chat(
            s.backend,
            model_dir=s.model_dir,
            model=s.model,
            base_url=s.base_url,
            api_key=s.api_key,
            on_assemble_progress=self.on_assemble_progress,
        )
        if s.cache:
            chat.cache = ReplyCache(s.home / "cache" / "replies.sqlite")
        return chat

    @cached_property
    def checker(self) -> Checker:
        """The check chain."""
        return Checker(self.store, self.retriever, self.chat, pipeline=self.settings.pipeline)
