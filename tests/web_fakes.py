"""Fakes for the web app's tests and benchmark: a chat model that answers each claim about itself."""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

_CLAIM = re.compile(r"CLAIM: (.*)\nANSWER:", re.S)


class EchoChatModel(BaseChatModel):
    """Replies to check.v1's prompt with one statement: the claim itself, citing sentence 1.

    Its verdict follows the claim ("nicht" → refuted, "?" → not_enough_info, else supported), so a result
    shows which claim it answers. ``delay_s`` simulates a model's time per reply; calls that overlap are
    counted (``max_overlap``), which shows whether the web app ran them one at a time.
    """

    delay_s: float = 0.0
    _calls: int = PrivateAttr(default=0)
    _running: int = PrivateAttr(default=0)
    _max_overlap: int = PrivateAttr(default=0)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "echo"

    @property
    def calls(self) -> int:
        return self._calls

    @property
    def max_overlap(self) -> int:
        return self._max_overlap

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        with self._lock:
            self._calls += 1
            self._running += 1
            self._max_overlap = max(self._max_overlap, self._running)
        try:
            if self.delay_s:
                time.sleep(self.delay_s)
            found = _CLAIM.search(str(messages[-1].content))
            claim = found.group(1).strip() if found else ""
            reply = {"statements": [{"text": claim, "sentences": [1], "verdict": verdict_for(claim),
                                     "confidence": 0.8}]}  # fmt: skip
        finally:
            with self._lock:
                self._running -= 1
        msg = AIMessage(
            content=json.dumps(reply, ensure_ascii=False),
            usage_metadata={"input_tokens": 100, "output_tokens": 20, "total_tokens": 120},
        )
        return ChatResult(generations=[ChatGeneration(message=msg)])


def verdict_for(claim: str) -> str:
    """The verdict EchoChatModel gives ``claim``."""
    if "nicht" in claim:
        return "refuted"
    return "not_enough_info" if "?" in claim else "supported"


class LiveServer:
    """The web app under a real uvicorn server on 127.0.0.1 (a free port), in a thread; ``with`` stops it."""

    def __init__(self, web: Any) -> None:
        import uvicorn

        from assistant.web.serve import listen

        self.sock = listen("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(web, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        for _ in range(500):  # up to 10 s for the server to start (a bound, not a measurement)
            if self.server.started:
                return self
            time.sleep(0.02)
        raise RuntimeError("the test server did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def echo_app(home: Any, *, delay_s: float = 0.0, backend: str = "local") -> tuple[Any, EchoChatModel]:
    """An App over ``home`` with the fake embedder and :class:`EchoChatModel` (pipeline check.v1)."""
    from assistant.app import App
    from assistant.config import resolve_settings
    from assistant.llm import StructuredChat

    from .conftest import FakeEmbeddings

    model = EchoChatModel(delay_s=delay_s)
    chat = StructuredChat(chat_model=model, name="echo", schema_kwargs=lambda schema: {})
    settings = resolve_settings(home=str(home), embedder="fake", pipeline="check.v1", backend=backend)
    return App(settings, embeddings=FakeEmbeddings(), chat=chat), model


def claims_for_load(n: int) -> list[str]:
    """``n`` distinct claims whose echo verdicts differ, so an answer given to the wrong request shows."""
    forms = (
        "Der Kongress beschloss Gesetz {i}",
        "Der Kongress beschloss Gesetz {i} nicht",
        "Gab es Gesetz {i}?",
    )
    return [forms[i % 3].format(i=i) for i in range(n)]


async def post_checks(
    url: str, claims: list[str], *, timeout_s: float = 120.0
) -> list[tuple[int, Any, str, float]]:
    """Post every claim to ``url``/api/check at once; (status, JSON body, Content-Location, seconds) each."""
    import asyncio

    import httpx

    limits = httpx.Limits(max_connections=len(claims), max_keepalive_connections=len(claims))
    async with httpx.AsyncClient(base_url=url, timeout=timeout_s, limits=limits, trust_env=False) as client:

        async def one(claim: str) -> tuple[int, Any, str, float]:
            t0 = time.perf_counter()
            r = await client.post("/api/check", json={"claim": claim})
            return r.status_code, r.json(), r.headers.get("content-location", ""), time.perf_counter() - t0

        return list(await asyncio.gather(*(one(c) for c in claims)))
