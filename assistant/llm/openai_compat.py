"""The ``openai`` backend: any OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp server)."""

from __future__ import annotations

import time
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult
from pydantic import PrivateAttr, SecretStr

from ..errors import ConfigError, EndpointError, FactCheckError
from ..secrets import register_secret
from .base import StructuredChat

OFFICIAL_BASE_URL = "https://api.openai.com/v1"
#: Failures that can pass (429, 5xx, a refused or dropped connection) are retried this many times, with
#: exponential backoff (or the server's ``retry-after``). A loop of our own rather than the SDK's
#: ``max_retries`` or LangChain's ``with_retry``: both also retry a read timeout (a hung server then costs
#: several full timeouts) and neither knows a total time budget or maps each failure to the setting to fix.
MAX_RETRIES = 3
#: Seconds one request may wait for the answer. A server that accepted the connection and sent nothing in
#: that time is not asked again: it is stuck or overloaded, and asking again only multiplies the wait.
TIMEOUT_S = 120.0
#: Seconds to open a connection.
CONNECT_TIMEOUT_S = 10.0
#: Retries stop once this much time has passed since the first try, whatever MAX_RETRIES says.
TOTAL_TIMEOUT_S = 180.0
BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 8.0


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

        started = time.monotonic()
        for attempt in range(MAX_RETRIES + 1):
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
            except openai.APITimeoutError:
                raise EndpointError(
                    f"{self.base_url} accepted the connection but sent no answer within {TIMEOUT_S:g} s; "
                    "the server is stuck or overloaded (not retried)"
                ) from None
            except (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError) as exc:
                delay = _retry_delay(exc, attempt)
                if attempt == MAX_RETRIES or time.monotonic() - started + delay > TOTAL_TIMEOUT_S:
                    raise _final_error(exc, self.base_url, attempt) from None
                time.sleep(delay)
            except openai.APIStatusError as exc:
                raise EndpointError(
                    f"{self.base_url} answered HTTP {exc.status_code}: {_short(exc.message)}"
                ) from None
            except FactCheckError:
                raise
            except (AttributeError, KeyError, TypeError, IndexError, ValueError) as exc:
                # An HTTP 200 whose body is not a chat completion (a proxy's HTML page, another API).
                raise EndpointError(
                    f"{self.base_url} answered with something that is not an OpenAI chat completion "
                    f"({type(exc).__name__}); check that OPENAI_BASE_URL (or --base-url) is the server's "
                    "/v1 address"
                ) from None
        raise AssertionError("the retry loop returns or raises")

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


def _retry_delay(exc: Exception, attempt: int) -> float:
    """The server's ``retry-after-ms`` / ``retry-after`` when it sent one (capped), else exponential."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return min(BACKOFF_MAX_S, max(0.0, float(headers[name]) * scale))
        except (KeyError, TypeError, ValueError):
            continue
    return min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2**attempt)


def _final_error(exc: Exception, base_url: str, attempt: int) -> EndpointError:
    import openai

    tries = f"after {attempt} retries" if attempt else "on the first try"
    if isinstance(exc, openai.RateLimitError):
        return EndpointError(f"{base_url} kept answering 429 (rate limit) {tries}")
    if isinstance(exc, openai.APIStatusError):
        return EndpointError(f"{base_url} answered HTTP {exc.status_code} {tries}: {_short(exc.message)}")
    return EndpointError(
        f"cannot reach {base_url} ({tries}): check OPENAI_BASE_URL (or --base-url) and that the server "
        "is running"
    )


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
    import openai

    register_secret(api_key)
    inner = ChatOpenAI(
        model=model,
        base_url=url,
        api_key=SecretStr(api_key),
        max_retries=0,  # retried here, where a timeout is told apart from a refused connection
        # The SDK's own Timeout type (it re-exports its HTTP library's): the SDK moved from httpx to httpx2
        # in 3.6x and refuses another library's Timeout, so never build one from the transport directly.
        timeout=openai.Timeout(TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
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
