"""Which stage a check is in (retrieving, asking the model, verifying), reported from LangChain's callbacks.

The check chain needs no parameter for it: a handler set in a context variable is added to every callback
manager LangChain configures in that context (``register_configure_hook``), so the retriever's and the chat
model's start and end events reach whoever shows progress (the CLI's status line, the chat's spinner).
:class:`ProgressHandler` also hands on what the retriever found (``on_retriever_end``) and each statement of
the model's reply as soon as it is complete (``on_llm_new_token``, parsed by :mod:`assistant.partial_json`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document

from .partial_json import ArrayItemStream

if TYPE_CHECKING:
    from .records import Sentence

T = TypeVar("T")

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


#: How a streamed statement that is the whole claim (a brief reply's null text) is shown.
WHOLE_CLAIM = "the claim as a whole"


@dataclass(frozen=True)
class StreamedStatement:
    """A statement of the model's reply as generated: provisional, before its citations are checked."""

    text: str
    verdict: str


class ProgressHandler(StageHandler):
    """A :class:`StageHandler` that also reports the retrieved sentences and each streamed statement.

    ``on_evidence`` gets the sentences a retrieval returned (again if the injection screen retrieves once
    more); ``on_reply`` is called when a model call starts (a retry after a malformed reply starts over);
    ``on_statement`` gets each statement of the reply as soon as its closing brace is generated. A reply
    from the cache makes no model call, so it reports no statement.
    """

    def __init__(
        self,
        update: Callable[[str], None],
        model_stage: str = ASKING,
        *,
        on_evidence: Callable[[list[Sentence]], None],
        on_statement: Callable[[StreamedStatement], None],
        on_reply: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(update, model_stage)
        self.on_evidence = on_evidence
        self.on_statement = on_statement
        self.on_reply = on_reply
        self._items = ArrayItemStream()

    def on_retriever_end(self, documents: Sequence[Document], **kwargs: Any) -> None:
        """Retrieval ended: its sentences, best first."""
        from .retrieve import document_to_sentence

        self.on_evidence([document_to_sentence(d) for d in documents])

    def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
        """A model call began: its reply is read from the start."""
        super().on_chat_model_start(*args, **kwargs)
        self._items = ArrayItemStream()
        self.on_reply()

    def on_llm_new_token(self, token: str | list[str | dict[str, Any]], **kwargs: Any) -> None:
        """A piece of the reply: each statement it completes is reported."""
        if not isinstance(token, str):
            return
        for item in self._items.feed(token):
            text = str(item.get("text") or "").strip()
            if text or ("text" in item and item["text"] is None):
                # A brief reply's null text stands for the whole claim.
                self.on_statement(StreamedStatement(text or WHOLE_CLAIM, str(item.get("verdict") or "")))

    # LangChain streams a chat model's reply inside ``invoke`` only when a handler of the run can take a
    # stream: ``BaseChatModel._should_stream`` looks for a handler with these two methods (its
    # ``_StreamingCallbackHandler`` protocol). They pass every stream through unchanged.
    def tap_output_iter(self, run_id: UUID, output: Iterator[T]) -> Iterator[T]:
        """The stream as it is."""
        return output

    def tap_output_aiter(self, run_id: UUID, output: AsyncIterator[T]) -> AsyncIterator[T]:
        """The stream as it is."""
        return output


@cache
def register_stage_hook() -> None:
    """Make LangChain add the handler in :data:`STAGE_HANDLER` to every run (once per process)."""
    from langchain_core.tracers.context import register_configure_hook

    register_configure_hook(STAGE_HANDLER, inheritable=True)


@contextmanager
def reporting_stages(
    update: Callable[[str], None] | BaseCallbackHandler, model_stage: str = ASKING
) -> Iterator[None]:
    """Report the stages of the checks run in this context (thread) to ``update`` (or to a handler)."""
    register_stage_hook()
    handler = update if isinstance(update, BaseCallbackHandler) else StageHandler(update, model_stage)
    token = STAGE_HANDLER.set(handler)
    try:
        yield
    finally:
        STAGE_HANDLER.reset(token)
