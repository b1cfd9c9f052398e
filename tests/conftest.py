"""Shared fixtures: a queue-based fake chat model and deterministic fake embeddings (no model loads)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from .fakes import FakeChatModel, FakeEmbeddings, StatefulFakeChatModel

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "musk-nato.de.txt"
SHARED_DATA = ROOT.parent / "shared" / "data"

__all__ = ["ROOT", "SEED", "SHARED_DATA", "FakeChatModel", "FakeEmbeddings", "stage_pipeline"]


@pytest.fixture(autouse=True)
def _close_indexes(monkeypatch):
    """Close every index a test opened, however it opened it (a fixture, an App, the CLI, the web app).

    An embedded Chroma client holds about 20 files open until it is closed; one test process runs hundreds
    of tests, and past 1,024 descriptors libraries that use select() (prompt_toolkit's input) break.
    """
    import weakref

    from assistant.store import SentenceStore

    opened: weakref.WeakSet[SentenceStore] = weakref.WeakSet()
    real_init = SentenceStore.__init__

    def tracked(self: SentenceStore, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        opened.add(self)

    monkeypatch.setattr(SentenceStore, "__init__", tracked)
    yield
    for store in list(opened):
        store.close()


@pytest.fixture
def fake_embeddings() -> FakeEmbeddings:
    return FakeEmbeddings()


@pytest.fixture
def fake_chat_model() -> FakeChatModel:
    """A queue of replies that also gives token probabilities and hidden states, as the embedded model does:
    the default pipeline runs whole on it (a plain FakeChatModel would make it fall back to check.v22)."""
    return StatefulFakeChatModel()


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

    opened = SentenceStore(str(tmp_path / "chroma"), "fake")
    yield opened
    opened.close()


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
    monkeypatch.delenv("FACTCHECK_PIPELINE", raising=False)  # the default, as a user gets it
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    opened: list[App] = []

    def fake_app(**flags):
        opened.append(App(resolve_settings(**flags), embeddings=FakeEmbeddings(), chat=structured_fake))
        return opened[-1]

    monkeypatch.setattr(cli, "_app", fake_app)

    def invoke(*args):
        monkeypatch.setattr(sys, "argv", ["factcheck", *args])
        try:
            with pytest.raises(SystemExit) as exc:
                cli.main()
        finally:
            while opened:
                opened.pop().close()  # as the real _app does when a command ends
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
