"""The ``openai`` backend: any OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp server)."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult
from pydantic import PrivateAttr, SecretStr

from ..errors import ConfigError, EndpointError
from .base import StructuredChat

OFFICIAL_BASE_URL = "https://api.openai.com/v1"
#: Transient failures (timeouts, 429, 5xx) are retried by the openai SDK with exponential backoff.
MAX_RETRIES = 3
TIMEOUT_S = 120.0


class _ErrorMappingChat(BaseChatModel):
    """Wraps ChatOpenAI so SDK errors become one-line messages that name the setting to fix.

    A server that refuses ``response_format: json_schema`` (llama-cpp-python's server answers 500, others
    400 or 422) is asked again with ``{"type": "json_object", "schema": ...}``, the form those servers
    take; the fallback is kept for later calls.
    """

    inner: Any
    base_url: str
    model_name: str
    _schema_as_json_object: bool = PrivateAttr(default=False)

    @property
    def _llm_type(self) -> str:
        return "openai-compatible"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        import openai

        try:
            return self._call(messages, stop, kwargs)
        except openai.AuthenticationError:
            raise ConfigError(
                f"{self.base_url} rejected the API key: set OPENAI_API_KEY (or --api-key) to a valid key"
            ) from None
        except openai.NotFoundError:
            raise ConfigError(
                f"model {self.model_name!r} not found at {self.base_url}: set OPENAI_MODEL (or --model)"
            ) from None
        except (openai.APIConnectionError, openai.APITimeoutError):
            raise EndpointError(
                f"cannot reach {self.base_url} (after {MAX_RETRIES} retries): check OPENAI_BASE_URL "
                "(or --base-url) and that the server is running"
            ) from None
        except openai.RateLimitError:
            raise EndpointError(
                f"{self.base_url} kept answering 429 (rate limit) after {MAX_RETRIES} retries"
            ) from None
        except openai.APIStatusError as exc:
            raise EndpointError(
                f"{self.base_url} answered HTTP {exc.status_code}: {_short(exc.message)}"
            ) from None

    def _call(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> ChatResult:
        import openai

        wanted = kwargs.get("response_format") or {}
        if wanted.get("type") == "json_schema" and self._schema_as_json_object:
            kwargs = {**kwargs, "response_format": _as_json_object(wanted)}
            return self.inner._generate(messages, stop=stop, **kwargs)
        try:
            return self.inner._generate(messages, stop=stop, **kwargs)
        except openai.APIStatusError as exc:
            refused = exc.status_code in (400, 422, 500) and "json_schema" in f"{exc.message} {exc.body}"
            if wanted.get("type") != "json_schema" or not refused:
                raise
        self._schema_as_json_object = True
        return self._call(messages, stop, kwargs)


def _as_json_object(response_format: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_object", "schema": response_format["json_schema"]["schema"]}


def _short(message: str) -> str:
    text = " ".join(message.split())
    return text[:200] + "…" if len(text) > 200 else text


def make_openai_chat(model: str | None, base_url: str | None, api_key: str | None) -> StructuredChat:
    """An OpenAI-compatible chat model with JSON-schema structured output."""
    from langchain_openai import ChatOpenAI

    if not model:
        raise ConfigError("the openai backend needs a model name: set OPENAI_MODEL or pass --model")
    url = (base_url or OFFICIAL_BASE_URL).rstrip("/")
    if not api_key:
        if url == OFFICIAL_BASE_URL:
            raise ConfigError("the openai backend needs an API key: set OPENAI_API_KEY (or pass --api-key)")
        api_key = "not-needed"  # local servers (vLLM, llama.cpp, Ollama) accept any key
    inner = ChatOpenAI(
        model=model,
        base_url=url,
        api_key=SecretStr(api_key),
        max_retries=MAX_RETRIES,
        timeout=TIMEOUT_S,
    )
    chat = _ErrorMappingChat(inner=inner, base_url=url, model_name=model)
    return StructuredChat(
        chat_model=chat,
        name=f"{model} (openai @ {url})",
        schema_kwargs=lambda schema: {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": schema, "strict": False},
            }
        },
    )
