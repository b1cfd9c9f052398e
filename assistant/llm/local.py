"""The ``local`` backend: the embedded Qwen2.5-Coder-1.5B-Instruct GGUF in-process via llama-cpp-python."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
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
    Consecutive calls that share a prompt prefix reuse its KV cache.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: str
    n_ctx: int = N_CTX
    n_threads: int = max(1, os.cpu_count() or 1)
    seed: int = 0
    _llm: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    #: Calls are numbered as they start; every call numbered below ``_cancel_below`` stops at its next token.
    _started: int = PrivateAttr(default=0)
    _cancel_below: int = PrivateAttr(default=0)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def load(self) -> Any:
        """Load the weights (about 1 GB) once."""
        with self._lock:
            if self._llm is None:
                try:
                    from llama_cpp import Llama
                except ImportError as exc:
                    raise ModelError("llama-cpp-python is not installed; run `make setup`") from exc
                # A build holding instructions this CPU cannot run must fail in a child, not here.
                verify_runtime(Path(self.model_path))
                try:
                    self._llm = Llama(
                        model_path=self.model_path,
                        n_ctx=self.n_ctx,
                        n_threads=self.n_threads,
                        seed=self.seed,
                        verbose=False,
                    )
                except (ValueError, RuntimeError) as exc:
                    raise ModelError(f"cannot load model {self.model_path}: {exc}") from None
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

    def cancel(self) -> None:
        """Stop every call started so far at its next token (Ctrl-C in the chat); later calls run."""
        self._cancel_below = self._started

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` for this model (special tokens parsed as the chat template would)."""
        return len(self.load().tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        from llama_cpp import LogitsProcessorList

        llm = self.load()
        payload = [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]
        number = self._started
        self._started += 1

        def stop_if_cancelled(_ids: Any, scores: Any) -> Any:
            # Called once per generated token; leaves the scores as they are.
            if number < self._cancel_below:
                raise GenerationCancelled()
            return scores

        with self._lock:  # one llama context cannot serve two calls at once
            if number < self._cancel_below:
                raise GenerationCancelled()
            try:
                out = llm.create_chat_completion(
                    messages=payload,
                    response_format=kwargs.get("response_format"),
                    max_tokens=kwargs.get("max_tokens", 600),
                    temperature=kwargs.get("temperature", 0.0),
                    seed=self.seed,
                    stop=stop or [],
                    logits_processor=LogitsProcessorList([stop_if_cancelled]),
                )
            except ValueError as exc:  # "Requested tokens (…) exceed context window of …"
                raise ModelError(f"the prompt does not fit the model: {' '.join(str(exc).split())}") from None
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        message = AIMessage(
            content=choice["message"].get("content") or "",
            usage_metadata={
                "input_tokens": int(usage.get("prompt_tokens", 0)),
                "output_tokens": int(usage.get("completion_tokens", 0)),
                "total_tokens": int(usage.get("total_tokens", 0)),
            },
            response_metadata={"finish_reason": choice.get("finish_reason")},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


def make_local_chat(model_path: str) -> StructuredChat:
    """The embedded model as a :class:`StructuredChat`."""
    chat = LlamaCppChatModel(model_path=model_path)
    return StructuredChat(
        chat_model=chat,
        name="qwen2.5-coder-1.5b-instruct-q4_k_m (local)",
        schema_kwargs=lambda schema: {"response_format": {"type": "json_object", "schema": schema}},
        load_hook=chat.load,
        context_tokens=chat.n_ctx,
        count_tokens=chat.count_tokens,
    )
