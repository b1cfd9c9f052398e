"""Which stage a check is in (retrieving, asking the model, verifying), reported from LangChain's callbacks.

The check chain needs no parameter for it: a handler set in a context variable is added to every callback
manager LangChain configures in that context (``register_configure_hook``), so the retriever's and the chat
model's start and end events reach whoever shows progress (the CLI's status line, the chat's spinner).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler

RETRIEVING = "retrieving…"
ASKING = "asking the model…"
VERIFYING = "verifying…"

STAGE_HANDLER: ContextVar[BaseCallbackHandler | None] = ContextVar("factcheck_stage", default=None)


class StageHandler(BaseCallbackHandler):
    """Calls ``update`` with the stage when retrieval starts, the model starts and the model is done."""

    def __init__(self, update: Callable[[str], None], model_stage: str = ASKING) -> None:
        self.update = update
        self.model_stage = model_stage

    def on_retriever_start(self, *args: Any, **kwargs: Any) -> None:
        """Retrieval began."""
        self.update(RETRIEVING)

    def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
        """The model call began."""
        self.update(self.model_stage)

    def on_llm_end(self, *args: Any, **kwargs: Any) -> None:
        """The model replied: its citations are checked against the source next."""
        self.update(VERIFYING)


@cache
def register_stage_hook() -> None:
    """Make LangChain add the handler in :data:`STAGE_HANDLER` to every run (once per process)."""
    from langchain_core.tracers.context import register_configure_hook

    register_configure_hook(STAGE_HANDLER, inheritable=True)


@contextmanager
def reporting_stages(update: Callable[[str], None], model_stage: str = ASKING) -> Iterator[None]:
    """Report the stages of the checks run in this context (thread) to ``update``."""
    register_stage_hook()
    token = STAGE_HANDLER.set(StageHandler(update, model_stage))
    try:
        yield
    finally:
        STAGE_HANDLER.reset(token)
