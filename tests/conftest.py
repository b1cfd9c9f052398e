"""Shared fixtures: a queue-based fake chat model and deterministic fake embeddings (no model loads)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "musk-nato.de.txt"
SHARED_DATA = ROOT.parent / "shared" / "data"


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


@pytest.fixture
def fake_embeddings() -> FakeEmbeddings:
    return FakeEmbeddings()


@pytest.fixture
def fake_chat_model() -> FakeChatModel:
    return FakeChatModel()


@pytest.fixture
def structured_fake(fake_chat_model: FakeChatModel):
    from assistant.llm import StructuredChat

    return StructuredChat(
        chat_model=fake_chat_model,
        name="fake",
        schema_kwargs=lambda schema: {"response_format": {"type": "json_object", "schema": schema}},
    )


@pytest.fixture
def seed_text() -> str:
    return SEED.read_text("utf-8")


@pytest.fixture
def store(tmp_path: Path):
    from assistant.store import SentenceStore

    return SentenceStore(str(tmp_path / "chroma"), "fake")


@pytest.fixture
def seeded_store(store, fake_embeddings):
    from assistant.documents import load_document
    from assistant.ingest import ingest_document

    ingest_document(store, load_document(SEED), fake_embeddings.embed_documents)
    return store


@pytest.fixture
def run(monkeypatch, tmp_path, structured_fake, capsys):
    """Invoke the CLI's real entry point with fake models behind App; returns (exit code, stdout, stderr)."""
    import sys

    from assistant import cli
    from assistant.app import App
    from assistant.config import resolve_settings

    monkeypatch.setenv("FACTCHECK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FACTCHECK_EMBEDDER", "fake")
    monkeypatch.setenv("FACTCHECK_PIPELINE", "check.v1")  # the model's verdicts pass through
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    def fake_app(**flags):
        return App(resolve_settings(**flags), embeddings=FakeEmbeddings(), chat=structured_fake)

    monkeypatch.setattr(cli, "_app", fake_app)

    def invoke(*args):
        monkeypatch.setattr(sys, "argv", ["factcheck", *args])
        with pytest.raises(SystemExit) as exc:
            cli.main()
        captured = capsys.readouterr()
        return exc.value.code, captured.out, captured.err

    return invoke


def stage_pipeline(*measures: Any, screen: bool = True) -> Any:
    """A pipeline of the default's prompt and retrieval with exactly these stages before the citations (and
    the claim verdict after them): one judge stage tested inside a real check, without a shipped pipeline."""
    from assistant.judge.aggregate import Aggregate
    from assistant.judge.citations import Citations
    from assistant.pipelines import Pipeline

    return Pipeline(
        "test.stages",
        prompt="check.v1",
        retrieval="dense",
        stages=(*measures, Citations(), Aggregate()),
        screen=screen,
        description="test: " + ", ".join(type(s).__name__ for s in measures),
    )
