"""The ``local`` backend: the embedded Qwen2.5-Coder-1.5B-Instruct GGUF in-process via llama-cpp-python."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

from ..errors import ModelError
from .base import GenerationCancelled, StructuredChat
from .runtime_check import verify_runtime

#: Context window: the check prompt is ~1.2k tokens with 5 sentences; 4096 leaves room for k=20.
N_CTX = 4096
_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


class LlamaCppChatModel(BaseChatModel):
    """A LangChain chat model over ``llama_cpp.Llama`` that passes ``response_format`` through.

    llama.cpp compiles a JSON schema in ``response_format`` into a grammar, so replies always parse.
    Consecutive calls that share a prompt prefix reuse its KV cache, and greedy calls choose each token with
    the grammar checked on the most likely token first (``decoding.py``: the same replies, fewer cycles).
    ``invoke`` streams the reply (LangChain calls :meth:`_stream` and reports each piece to
    ``on_llm_new_token``) when a handler of the run takes a stream; the streamed call decodes with the same
    grammar and parameters, so the reply is the same text.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: str
    n_ctx: int = N_CTX
    n_threads: int = max(1, os.cpu_count() or 1)
    seed: int = 0
    #: Decode with llama-cpp-python's own sampler chain instead of :class:`~.decoding.GreedyLlama` (the same
    #: replies, slower; benchmarks compare the two).
    library_decoding: bool = False
    _llm: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    #: Calls are numbered as they start; every call numbered below ``_cancel_below`` stops at its next token.
    _started: int = PrivateAttr(default=0)
    _cancel_below: int = PrivateAttr(default=0)
    _formatter: Any = PrivateAttr(default=None)
    #: KV-cache snapshots of the last prompts read (:class:`~.decoding.PrefixStates`), made with the model.
    _prefixes: Any = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def load(self) -> Any:
        """Load the weights (about 1 GB) once."""
        with self._lock:
            if self._llm is None:
                try:
                    from llama_cpp import Llama

                    from .decoding import GreedyLlama, PrefixStates
                except ImportError as exc:
                    raise ModelError("llama-cpp-python is not installed; run `make setup`") from exc
                # A build holding instructions this CPU cannot run must fail in a child, not here.
                verify_runtime(Path(self.model_path))
                try:
                    self._llm = (Llama if self.library_decoding else GreedyLlama)(
                        model_path=self.model_path,
                        n_ctx=self.n_ctx,
                        n_threads=self.n_threads,
                        seed=self.seed,
                        verbose=False,
                    )
                except (ValueError, RuntimeError) as exc:
                    raise ModelError(f"cannot load model {self.model_path}: {exc}") from None
                self._prefixes = PrefixStates()
            return self._llm

    def perf_counters(self) -> dict[str, float]:
        """llama.cpp's own cumulative counters for this context (zeros before the model is loaded).

        ``prompt_eval_tokens`` counts prompt tokens actually decoded, after the KV-cache prefix reuse that
        llama-cpp-python does between consecutive calls; ``gen_tokens`` counts single-token decode steps.
        """
        if self._llm is None:
            return {"prompt_eval_tokens": 0, "prompt_eval_ms": 0.0, "gen_tokens": 0, "gen_ms": 0.0}
        import llama_cpp

        data = llama_cpp.llama_perf_context(self._llm._ctx.ctx)
        return {
            "prompt_eval_tokens": int(data.n_p_eval),
            "prompt_eval_ms": float(data.t_p_eval_ms),
            "gen_tokens": int(data.n_eval),
            "gen_ms": float(data.t_eval_ms),
        }

    def warm(self, system: str) -> None:
        """Read a system prompt now, so the next call finds it in llama.cpp's KV cache.

        The check prompt's fixed part comes first, so every later call evaluates only what follows it
        (llama-cpp-python reuses the longest common token prefix of consecutive calls). One token is
        generated; nothing is cached as a reply.
        """
        llm = self.load()
        with self._lock:
            messages: list[BaseMessage] = [SystemMessage(content=system), HumanMessage(content="")]
            self._restore_prefix(llm, messages)
            llm.create_chat_completion(
                messages=_payload(messages),
                max_tokens=1,
                temperature=0.0,
                seed=self.seed,
            )

    def cancel(self) -> None:
        """Stop every call started so far at its next token (Ctrl-C in the chat); later calls run."""
        self._cancel_below = self._started

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` for this model (special tokens parsed as the chat template would)."""
        return len(self.load().tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def continuation_logprobs(
        self, messages: list[BaseMessage], reply_prefix: str, continuations: list[str]
    ) -> list[float]:
        """The log-probability of each text in ``continuations`` as what follows ``reply_prefix`` in the
        model's reply to ``messages`` (no grammar: the model's own preference among the texts).

        The prompt is formatted and tokenized as a chat completion does, so after the call that wrote this
        reply the KV cache already holds the prompt and most of the reply. Where a text merges with the end
        of the prefix into other tokens, every text is scored from the first token any of them changes.
        """
        from .decoding import continuation_logprobs, shared_prefix

        llm = self.load()
        with self._lock:
            prompt = self._chat_prompt(llm, messages)

            def tokens(text: str) -> list[int]:
                return [*prompt, *llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)]

            prefix = tokens(reply_prefix)
            self._restore_tokens(llm, prefix)
            wholes = [tokens(reply_prefix + text) for text in continuations]
            cut = min(shared_prefix(prefix, whole) for whole in wholes)
            return continuation_logprobs(llm, prefix[:cut], [whole[cut:] for whole in wholes])

    def reply_state(self, messages: list[BaseMessage], reply_prefix: str) -> list[float]:
        """The model's last hidden state at the end of ``reply_prefix`` in its reply to ``messages``: what it
        "thinks" just before the next token (the prompt tokenized as a chat completion does, so the KV cache
        holds most of it after the call that wrote the reply)."""
        from .decoding import hidden_state

        llm = self.load()
        with self._lock:
            prompt = self._chat_prompt(llm, messages)
            tokens = [*prompt, *llm.tokenize(reply_prefix.encode("utf-8"), add_bos=False, special=False)]
            self._restore_tokens(llm, tokens)
            return hidden_state(llm, tokens)

    def _restore_prefix(self, llm: Any, messages: list[BaseMessage]) -> None:
        """Bring back the KV-cache snapshot that shares the most with this chat prompt (hold the lock)."""
        if self._prefixes is not None:
            self._prefixes.restore(llm, self._chat_prompt(llm, messages))

    def _restore_tokens(self, llm: Any, tokens: list[int]) -> None:
        if self._prefixes is not None:
            self._prefixes.restore(llm, tokens)

    def _chat_prompt(self, llm: Any, messages: list[BaseMessage]) -> list[int]:
        """The prompt tokens a chat completion of ``messages`` starts from (the GGUF's chat template)."""
        if self._formatter is None:
            from llama_cpp import llama_chat_format

            bos = llm.token_bos()
            self._formatter = llama_chat_format.Jinja2ChatFormatter(
                template=llm.metadata["tokenizer.chat_template"],
                eos_token=llm._model.token_get_text(llm.token_eos()),
                bos_token=llm._model.token_get_text(bos) if bos != -1 else "",
            )
        result = self._formatter(messages=_payload(messages))
        text = result.prompt.encode("utf-8")
        return list(llm.tokenize(text, add_bos=not result.added_special, special=True))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        llm, number = self.load(), self._number()
        with self._lock:  # one llama context cannot serve two calls at once
            out = self._complete(llm, number, messages, stop, kwargs, self._cancel_check(number))
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        message = AIMessage(
            content=choice["message"].get("content") or "",
            usage_metadata=_usage(int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))),
            response_metadata={"finish_reason": choice.get("finish_reason")},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """The reply piece by piece, then an empty piece with the token counts and the finish reason.

        llama-cpp-python's stream carries no token counts; they are counted where llama.cpp samples (the
        cancel check runs once per sampled token): the first sampling sees the whole prompt, and every
        sampled token but the end-of-generation one is part of the reply.
        """
        # llama-cpp-python's stream holds back text that could begin a stop sequence, and the counts below
        # assume none ends the reply: with one (StructuredChat never passes any), the reply comes whole.
        if stop:
            whole = self._generate(messages, stop, run_manager, **kwargs).generations[0].message
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content=whole.content, usage_metadata=getattr(whole, "usage_metadata", None)
                ),
                generation_info=whole.response_metadata,
            )
            return
        llm, number = self.load(), self._number()
        counts = {"prompt": 0, "sampled": 0}
        check = self._cancel_check(number)

        def count(ids: Any, scores: Any) -> Any:
            if not counts["sampled"]:
                counts["prompt"] = len(ids)
            counts["sampled"] += 1
            return check(ids, scores)

        finish: str | None = None
        with self._lock:
            for part in self._complete(llm, number, messages, stop, kwargs, count, stream=True):
                choice = part["choices"][0]
                finish = choice.get("finish_reason") or finish
                if text := (choice.get("delta") or {}).get("content"):
                    yield ChatGenerationChunk(message=AIMessageChunk(content=text))
        # "length": the last sampled token is part of the reply; "stop": the last one ended it.
        completion = counts["sampled"] - (1 if finish == "stop" else 0)
        yield ChatGenerationChunk(
            message=AIMessageChunk(content="", usage_metadata=_usage(counts["prompt"], max(0, completion))),
            generation_info={"finish_reason": finish},
        )

    def _number(self) -> int:
        number = self._started
        self._started += 1
        return number

    def _cancel_check(self, number: int) -> Callable[[Any, Any], Any]:
        def stop_if_cancelled(_ids: Any, scores: Any) -> Any:
            # Called once per generated token; leaves the scores as they are.
            if number < self._cancel_below:
                raise GenerationCancelled()
            return scores

        return stop_if_cancelled

    def _complete(
        self,
        llm: Any,
        number: int,
        messages: list[BaseMessage],
        stop: list[str] | None,
        kwargs: dict[str, Any],
        per_token: Callable[[Any, Any], Any],
        *,
        stream: bool = False,
    ) -> Any:
        """``create_chat_completion`` with the one set of parameters both paths use (hold the lock)."""
        from llama_cpp import LogitsProcessorList

        if number < self._cancel_below:
            raise GenerationCancelled()
        self._restore_prefix(llm, messages)
        call = {
            "messages": _payload(messages),
            "response_format": kwargs.get("response_format"),
            "max_tokens": kwargs.get("max_tokens", 600),
            "temperature": kwargs.get("temperature", 0.0),
            "seed": self.seed,
            "stop": stop or [],
            "logits_processor": LogitsProcessorList([per_token]),
        }
        try:
            if not stream:
                return llm.create_chat_completion(**call)
            # The stream is lazy: the prompt is read, and a too-long one refused, on the first piece.
            return _prompt_errors(llm.create_chat_completion(**call, stream=True))
        except ValueError as exc:
            raise _too_long(exc) from None


def _payload(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """LangChain messages as llama-cpp-python's chat messages."""
    return [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]


def _prompt_errors(parts: Iterator[Any]) -> Iterator[Any]:
    try:
        yield from parts
    except ValueError as exc:
        raise _too_long(exc) from None


def _too_long(exc: ValueError) -> ModelError:
    # "Requested tokens (…) exceed context window of …"
    return ModelError(f"the prompt does not fit the model: {' '.join(str(exc).split())}")


def _usage(prompt: int, completion: int) -> UsageMetadata:
    return {"input_tokens": prompt, "output_tokens": completion, "total_tokens": prompt + completion}


def make_local_chat(model_path: str, *, library_decoding: bool = False) -> StructuredChat:
    """The embedded model as a :class:`StructuredChat`."""
    chat = LlamaCppChatModel(model_path=model_path, library_decoding=library_decoding)
    return StructuredChat(
        chat_model=chat,
        name="qwen2.5-coder-1.5b-instruct-q4_k_m (local)",
        schema_kwargs=lambda schema: {"response_format": {"type": "json_object", "schema": schema}},
        load_hook=chat.load,
        context_tokens=chat.n_ctx,
        count_tokens=chat.count_tokens,
    )
