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
