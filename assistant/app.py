"""Wires settings into the pipeline's parts; every entry point (CLI, chat, eval) builds them here."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from .check import Checker
from .config import Settings, apply_offline_defaults
from .embeddings import get_embedder
from .errors import FactCheckError, InputError
from .llm import StructuredChat, make_chat
from .llm.cache import ReplyCache
from .retrieve import SentenceRetriever
from .store import SentenceStore

if TYPE_CHECKING:
    from .checklog import CheckLog


class App:
    """Lazily built parts: opening the index does not load the LLM, and vice versa.

    ``store``, ``embeddings`` and ``chat`` may be given ready-made (tests, the chat's ``/backend``, which
    keeps the open index and embedder); the others are built from ``settings`` on first use.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        store: SentenceStore | None = None,
        embeddings: Embeddings | None = None,
        chat: StructuredChat | None = None,
        on_assemble_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """Wire ``settings``; nothing is opened or loaded until a part is first used."""
        apply_offline_defaults()
        self.settings = settings
        self.on_assemble_progress = on_assemble_progress
        # A given part takes the place of the cached_property's value, so it is never built.
        for name, part in (("store", store), ("embeddings", embeddings), ("chat", chat)):
            if part is not None:
                self.__dict__[name] = part

    def __repr__(self) -> str:
        return f"App(settings={self.settings!r})"

    def close(self) -> None:
        """Close the index if it was opened here (a long-lived process opens it once; a command per call)."""
        store = self.__dict__.get("store")
        if store is not None:
            store.close()

    @property
    def index_exists(self) -> bool:
        """False for a local index folder that was never created (nothing is indexed; do not create it)."""
        index = self.settings.index
        return index.startswith(("http://", "https://")) or Path(index).exists()

    def require_documents(self) -> None:
        """Refuse to check against an empty index, with the command that fills it."""
        if not self.store.list_documents():
            raise FactCheckError(
                f"the index at {self.settings.index} is empty: run `factcheck ingest PATH` first"
            )

    def resolve_doc(self, name: str | None) -> str | None:
        """The id of the document a user named (id or file name); None for no name."""
        if name is None:
            return None
        found = self.store.find_document(name)
        if found is None:
            raise InputError(f"no document {name!r} in the index; `factcheck docs` lists them")
        return found.doc_id

    def check_log(self) -> CheckLog | None:
        """The log that checks are added to, or None when logging is off."""
        from .checklog import CheckLog

        s = self.settings
        return CheckLog(s.home, secrets=[s.api_key]) if s.log else None

    def document_texts(self) -> Callable[[str], str | None]:
        """Document text by id, read once each from the index."""
        texts: dict[str, str | None] = {}

        def lookup(doc_id: str) -> str | None:
            if doc_id not in texts:
                doc = self.store.get_document(doc_id)
                texts[doc_id] = doc.text if doc is not None else None
            return texts[doc_id]

        return lookup

    @property
    def chat_loaded(self) -> bool:
        """True once the chat backend is built (or was given): a running generation can be cancelled."""
        return "chat" in self.__dict__

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
