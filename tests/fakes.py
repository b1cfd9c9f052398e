"""The test suite's fakes, in one place: embeddings, chat models and an OpenAI-compatible HTTP server.

- :class:`FakeEmbeddings`: deterministic bag-of-words vectors (texts sharing words are close);
- :class:`FakeChatModel`: replies from a queue (``enqueue``) and records what it was asked;
- :class:`ScoringFakeChatModel` and :class:`StatefulFakeChatModel`: the same, plus the token probabilities and
  hidden states the local backend gives, so the default pipeline runs as it does on the embedded model;
- :class:`FakeOpenAI`: a real HTTP server on 127.0.0.1 answering from a script, for the SDK-backed backend.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

from assistant.llm import StructuredChat
from assistant.llm.cache import ReplyCache

HOST = "127.0.0.1"


class FakeEmbeddings(Embeddings):
    """Bag-of-words hashing into 64 dims: deterministic, and texts sharing words are close."""

    dim = 64
    name = "fake"

    def _vec(self, text: str) -> list[float]:
        v = np.zeros(self.dim)
        for word in text.lower().split():
            h = int(hashlib.md5(word.strip('.,„“"').encode()).hexdigest(), 16)
            v[h % self.dim] += 1.0
        n = np.linalg.norm(v)
        return (v / n if n else np.eye(self.dim)[0]).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vec(text)


class FakeChatModel(BaseChatModel):
    """Replies from a queue; records every call's messages and keyword arguments."""

    _replies: list[str] = PrivateAttr(default_factory=list)
    _calls: list[dict[str, Any]] = PrivateAttr(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "fake"

    def enqueue(self, *replies: str | dict[str, Any]) -> FakeChatModel:
        self._replies.extend(r if isinstance(r, str) else json.dumps(r) for r in replies)
        return self

    @property
    def calls(self) -> list[dict[str, Any]]:
        return self._calls

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        self._calls.append({"messages": messages, **kwargs})
        if not self._replies:
            raise AssertionError("FakeChatModel: no reply queued")
        text = self._replies.pop(0)
        msg = AIMessage(
            content=text, usage_metadata={"input_tokens": 100, "output_tokens": 20, "total_tokens": 120}
        )
        return ChatResult(generations=[ChatGeneration(message=msg)])


class ScoringFakeChatModel(FakeChatModel):
    """A fake chat model that also scores continuations: log-probabilities by the verdict (or the pair
    question's answer) they begin with."""

    logprobs: dict[str, float] = {
        "supported": -0.5,
        "refuted": -1.5,
        "not_enough_info": -3.0,
        "contradicted": -2.0,
        "unrelated": -2.5,
    }
    _scored: list[tuple[str, list[str]]] = PrivateAttr(default_factory=list)

    def continuation_logprobs(
        self, messages: list[BaseMessage], reply_prefix: str, continuations: list[str]
    ) -> list[float]:
        self._scored.append((reply_prefix, continuations))
        return [self.logprobs[c.rstrip('"')] for c in continuations]


def cached_chat(model: FakeChatModel, tmp_path) -> StructuredChat:
    """A structured chat over a fake model, with a reply cache."""
    return StructuredChat(
        chat_model=model,
        name="fake",
        schema_kwargs=lambda schema: {"response_format": {"type": "json_object", "schema": schema}},
        cache=ReplyCache(tmp_path / "cache.sqlite"),
    )


class StatefulFakeChatModel(ScoringFakeChatModel):
    """Scores like its parent and gives a state: the prefix's length, then the count of each verdict word."""

    _read: list[str] = PrivateAttr(default_factory=list)

    def reply_state(self, messages: list[BaseMessage], reply_prefix: str) -> list[float]:
        self._read.append(reply_prefix)
        return [
            float(len(reply_prefix)),
            *(float(reply_prefix.count(v)) for v in ("supported", "refuted")),
        ] + [0.5]


VALID_REPLY = {
    "statements": [
        {"text": "Mike Lee ist Senator aus Texas.", "sentences": [1], "verdict": "refuted", "confidence": 0.9}
    ]
}


def completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "qwen",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150},
    }


class FakeOpenAI:
    """An HTTP server on 127.0.0.1 that answers from a script of (status, body) and records requests.

    When the script runs out, the last answer repeats; ``respond`` instead answers from the request body.
    """

    def __init__(
        self,
        script: list[tuple[int, Any]] | None = None,
        respond: Callable[[dict[str, Any]], tuple[int, Any]] | None = None,
        *,
        hang: bool = False,
    ) -> None:
        self.script = list(script or [])
        self.respond = respond
        #: Accept the request, then answer nothing until the server is closed (a stuck endpoint).
        self.hang = threading.Event() if hang else None
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the http.server API)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fake.requests.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "json": json.loads(body or b"{}"),
                    }
                )
                if fake.hang is not None:
                    fake.hang.wait()
                    return
                if fake.respond is not None:
                    status, answer = fake.respond(fake.requests[-1]["json"])
                else:
                    status, answer = fake.script.pop(0) if len(fake.script) > 1 else fake.script[0]
                # bytes go out as they are: a body that is not JSON at all
                payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                # keep retries fast; the SDK honours this header before its own backoff
                self.send_header("retry-after-ms", "50")
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.hang is not None:
            self.hang.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
