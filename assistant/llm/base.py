"""The one small interface every chat backend sits behind.

A backend is a LangChain ``BaseChatModel`` plus how to ask it for a reply constrained to a JSON schema
(a llama.cpp grammar, OpenAI structured output, …). :class:`StructuredChat` adds what every backend
shares: parsing into pydantic, a bounded retry on malformed replies, and token accounting.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ValidationError

from ..errors import ModelError
from ..schemas import reply_schema
from .cache import ReplyCache

T = TypeVar("T", bound=BaseModel)

#: A malformed reply is retried this many times before the check fails; replies are deterministic
#: at temperature 0 only if nothing changes, so retries raise the temperature slightly.
MAX_SCHEMA_RETRIES = 2
#: Tokens a chat template adds around the system and user messages (role tags, separators), with margin.
TEMPLATE_OVERHEAD_TOKENS = 48


class GenerationCancelled(Exception):
    """The caller abandoned the call (Ctrl-C in the chat); raised by a backend that stopped generating."""


@dataclass
class Usage:
    """Token and retry counts of one structured call."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    schema_failures: int = 0
    cached: bool = False
    #: The text of the reply that parsed (as the model wrote it, or as the cache held it).
    reply: str = field(default="", repr=False)

    def add(self, other: Usage) -> None:
        """Accumulate another call's usage."""
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.schema_failures += other.schema_failures


@dataclass
class StructuredChat:
    """A chat model that answers with JSON fitting a pydantic model.

    ``schema_kwargs`` maps a JSON schema to the keyword arguments that make this backend follow it.
    """

    chat_model: BaseChatModel
    name: str
    schema_kwargs: Callable[[dict[str, Any]], dict[str, Any]]
    temperature: float = 0.0
    load_hook: Callable[[], None] | None = field(default=None, repr=False)
    cache: ReplyCache | None = field(default=None, repr=False)
    #: The model's context window in tokens, when the backend knows it (None: not checked here).
    context_tokens: int | None = None
    #: Counts the tokens of a text as the model sees them; None with ``context_tokens`` None.
    count_tokens: Callable[[str], int] | None = field(default=None, repr=False)

    def load(self) -> None:
        """Load heavy weights now (so a caller can show progress) instead of on first use."""
        if self.load_hook is not None:
            self.load_hook()

    def fits(self, system: str, user: str, *, max_tokens: int = 600) -> bool:
        """Whether the prompt plus a reply of ``max_tokens`` fits the context window (True when unknown)."""
        if self.context_tokens is None or self.count_tokens is None:
            return True
        used = self.count_tokens(system) + self.count_tokens(user) + TEMPLATE_OVERHEAD_TOKENS
        return used + max_tokens <= self.context_tokens

    def warm(self, system: str) -> None:
        """Let the backend read a fixed system prompt ahead of the first call, if it can (the local one
        keeps it in its KV cache; a server backend does nothing)."""
        warm = getattr(self.chat_model, "warm", None)
        if callable(warm):
            warm(system)

    def cancel(self) -> None:
        """Stop any generation in progress, if the backend can (the local one can; others finish)."""
        cancel = getattr(self.chat_model, "cancel", None)
        if callable(cancel):
            cancel()

    def ask(
        self, system: str, user: str, schema: type[T], *, max_tokens: int = 600, prompt_id: str = ""
    ) -> tuple[T, Usage]:
        """One reply parsed into ``schema``; raises :class:`ModelError` after bounded retries."""
        usage = Usage()
        json_schema = reply_schema(schema)
        key = ReplyCache.key(
            model=self.name,
            temperature=self.temperature,
            max_tokens=max_tokens,
            prompt=prompt_id,
            system=system,
            user=user,
            schema=json_schema,
        )
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            try:
                usage.cached = True
                parsed = schema.model_validate_json(hit)
                usage.reply = hit
                return parsed, usage
            except (ValidationError, ValueError):
                pass  # a stale entry: ask the model again
        kwargs = self.schema_kwargs(json_schema)
        messages = [SystemMessage(content=system), HumanMessage(content=user)]
        last_error = ""
        for attempt in range(MAX_SCHEMA_RETRIES + 1):
            temperature = self.temperature if attempt == 0 else self.temperature + 0.3 * attempt
            reply = self.chat_model.invoke(messages, max_tokens=max_tokens, temperature=temperature, **kwargs)
            _count_tokens(reply, usage)
            text = _text_of(reply)
            try:
                parsed = schema.model_validate_json(text)
            except (ValidationError, ValueError) as exc:
                usage.schema_failures += 1
                last_error = _first_error(exc)
                continue
            if self.cache is not None:
                self.cache.put(key, text)
            usage.reply = text
            return parsed, usage
        raise ModelError(
            f"model {self.name} gave {MAX_SCHEMA_RETRIES + 1} replies that do not fit the expected JSON "
            f"schema (last: {last_error})"
        )

    @property
    def can_score(self) -> bool:
        """Whether the backend gives token probabilities and hidden states of given text (the local one)."""
        return callable(getattr(self.chat_model, "continuation_logprobs", None))

    def continuation_logprobs(
        self, system: str, user: str, reply_prefix: str, continuations: list[str], *, prompt_id: str = ""
    ) -> list[float] | None:
        """The log-probability of each continuation of ``reply_prefix`` in the reply to this prompt, or None
        when the backend cannot score given text (server backends). Cached like replies."""
        score = getattr(self.chat_model, "continuation_logprobs", None)
        if not callable(score):
            return None
        key = ReplyCache.key(
            kind="continuation_logprobs",
            model=self.name,
            prompt=prompt_id,
            system=system,
            user=user,
            prefix=reply_prefix,
            continuations=continuations,
        )
        messages = [SystemMessage(content=system), HumanMessage(content=user)]
        return self._cached_numbers(
            key,
            lambda: score(messages, reply_prefix, list(continuations)),
            "score the reply",
            len(continuations),
        )

    def score_reply(self, prompt_id: str, system: str, user: str, replies: list[str]) -> list[float] | None:
        """The log-probability of each text in ``replies`` as the start of the reply to this prompt (None:
        the backend cannot score text); :meth:`continuation_logprobs` of an empty reply."""
        return self.continuation_logprobs(system, user, "", replies, prompt_id=prompt_id)

    def reply_state(
        self, system: str, user: str, reply_prefix: str, *, prompt_id: str = ""
    ) -> list[float] | None:
        """The model's last hidden state at the end of ``reply_prefix`` in the reply to this prompt, or None
        when the backend cannot give one (server backends). Cached like replies (rounded to 4 decimals)."""
        state = getattr(self.chat_model, "reply_state", None)
        if not callable(state):
            return None
        key = ReplyCache.key(
            kind="reply_state",
            model=self.name,
            prompt=prompt_id,
            system=system,
            user=user,
            prefix=reply_prefix,
        )
        messages = [SystemMessage(content=system), HumanMessage(content=user)]
        return self._cached_numbers(
            key,
            lambda: [round(float(v), 4) for v in state(messages, reply_prefix)],
            "read its state on the reply",
        )

    def _cached_numbers(
        self, key: str, compute: Callable[[], list[float]], what: str, size: int | None = None
    ) -> list[float]:
        """Numbers the model computed on given text, from the cache when it holds them (``size`` of them)."""
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            try:
                values = json.loads(hit)
                if isinstance(values, list) and values and (size is None or len(values) == size):
                    return [float(v) for v in values]
            except (ValueError, TypeError):
                pass  # a stale entry: compute again
        try:
            values = [float(v) for v in compute()]
        except ValueError as exc:
            reason = " ".join(str(exc).split())
            raise ModelError(f"model {self.name} cannot {what}: {reason}") from None
        if self.cache is not None:
            self.cache.put(key, json.dumps(values))
        return values


def _text_of(reply: Any) -> str:
    content = reply.content if isinstance(reply, AIMessage) else reply
    if isinstance(content, list):  # some providers return content blocks
        content = "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    text = str(content).strip()
    if text.startswith("```"):  # a fenced reply from a server that ignored the schema
        text = text.strip("`").removeprefix("json").strip()
    return text


def _count_tokens(reply: Any, usage: Usage) -> None:
    meta = getattr(reply, "usage_metadata", None) or {}
    usage.prompt_tokens += int(meta.get("input_tokens", 0) or 0)
    usage.completion_tokens += int(meta.get("output_tokens", 0) or 0)


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', '')}"[:200]
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
