"""App: the parts given to it are used as they are; the others are built on first use only."""

from __future__ import annotations

from assistant.app import App
from assistant.config import resolve_settings


def test_given_parts_are_used_and_nothing_else_is_built(tmp_path, monkeypatch, seeded_store, structured_fake):
    from .conftest import FakeEmbeddings

    monkeypatch.setenv("FACTCHECK_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("FACTCHECK_INDEX", raising=False)
    embeddings = FakeEmbeddings()
    app = App(resolve_settings(pipeline="check.v1"), store=seeded_store, embeddings=embeddings)
    assert app.store is seeded_store and app.embeddings is embeddings
    assert app.retriever.store is seeded_store and app.retriever.embeddings is embeddings
    assert not app.chat_loaded  # no chat given, and none built yet
    assert not (tmp_path / "home" / "chroma").exists()  # the configured index was never opened

    with_chat = App(app.settings, store=app.store, embeddings=app.embeddings, chat=structured_fake)
    assert with_chat.chat_loaded and with_chat.chat is structured_fake
    assert with_chat.checker.store is seeded_store and with_chat.checker.chat is structured_fake
