"""Contract tests of the sentence store (the embedded store; a server store subclasses this suite)."""

from pathlib import Path

import pytest

from assistant.documents import load_document
from assistant.errors import StoreError
from assistant.store import SentenceStore

from .conftest import SEED


class StoreContract:
    """Behaviour every SentenceStore backend must show."""

    @pytest.fixture
    def new_store(self, tmp_path):
        raise NotImplementedError

    def _doc(self, tmp_path: Path, text: str, name: str = "doc.txt"):
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        return load_document(p)

    def test_ingest_is_idempotent(self, new_store, fake_embeddings):
        doc = load_document(SEED)
        first = new_store.ingest(doc, fake_embeddings.embed_documents)
        again = new_store.ingest(doc, fake_embeddings.embed_documents)
        assert (first.action, again.action) == ("added", "unchanged")
        assert first.n_sentences == 43
        assert new_store.count_sentences() == 43

    def test_changed_file_replaces_old_sentences(self, new_store, fake_embeddings, tmp_path):
        new_store.ingest(self._doc(tmp_path, "Alte Fassung. Zweiter Satz."), fake_embeddings.embed_documents)
        out = new_store.ingest(
            self._doc(tmp_path, "Neue Fassung hier. Nur das. Und drei."), fake_embeddings.embed_documents
        )
        assert out.action == "replaced"
        assert new_store.count_sentences() == 3
        assert [h.text for h in new_store.sentences_of("doc.txt")] == [
            "Neue Fassung hier.",
            "Nur das.",
            "Und drei.",
        ]

    def test_search_returns_exact_offsets_and_filters(self, new_store, fake_embeddings, tmp_path):
        seed = load_document(SEED)
        new_store.ingest(seed, fake_embeddings.embed_documents)
        new_store.ingest(
            self._doc(tmp_path, "Der Kongress tagte in Washington. Es regnete."),
            fake_embeddings.embed_documents,
        )
        hits = new_store.search(fake_embeddings.embed_query("Kongress Gesetzesergänzung 2023"), k=5)
        assert len(hits) == 5
        assert hits == sorted(hits, key=lambda h: -h.score)
        for h in hits:
            text = seed.text if h.doc_id == seed.doc_id else "Der Kongress tagte in Washington. Es regnete."
            assert text[h.start : h.end] == h.text
        only = new_store.search(fake_embeddings.embed_query("Kongress"), k=3, doc_id="doc.txt")
        assert {h.doc_id for h in only} == {"doc.txt"}
        assert len(only) == 2

    def test_delete(self, new_store, fake_embeddings, tmp_path):
        new_store.ingest(self._doc(tmp_path, "Ein Satz. Noch einer."), fake_embeddings.embed_documents)
        assert new_store.delete_document("doc.txt")
        assert not new_store.delete_document("doc.txt")
        assert new_store.list_documents() == []
        assert new_store.count_sentences() == 0

    def test_interrupted_ingest_leaves_no_visible_half_document(self, new_store, fake_embeddings, tmp_path):
        new_store.ingest(self._doc(tmp_path, "Version eins. Satz zwei."), fake_embeddings.embed_documents)
        calls = {"n": 0}

        def failing_embed(texts):
            calls["n"] += 1
            if calls["n"] == 2:
                raise KeyboardInterrupt
            return fake_embeddings.embed_documents(texts)

        v2 = self._doc(tmp_path, " ".join(f"Neuer Satz {i}." for i in range(10)))
        with pytest.raises(KeyboardInterrupt):
            new_store.ingest(v2, failing_embed, batch_size=4)
        # the committed version is still the old one, and only its sentences are visible
        assert new_store.get_document("doc.txt").text == "Version eins. Satz zwei."
        hits = new_store.search(fake_embeddings.embed_query("Neuer Satz"), k=10)
        assert [h.text for h in hits] == ["Version eins.", "Satz zwei."] or {h.text for h in hits} == {
            "Version eins.",
            "Satz zwei.",
        }
        # re-running the ingest completes it and cleans up
        assert new_store.ingest(v2, fake_embeddings.embed_documents).action == "replaced"
        assert new_store.count_sentences() == 10


class TestEmbeddedStore(StoreContract):
    @pytest.fixture
    def new_store(self, tmp_path):
        return SentenceStore(str(tmp_path / "chroma"), "fake")


def test_embedder_mismatch_is_refused(tmp_path):
    SentenceStore(str(tmp_path / "c"), "fake")
    with pytest.raises(StoreError, match="built with embedder 'fake'"):
        SentenceStore(str(tmp_path / "c"), "other")


def test_write_lock_is_exclusive(tmp_path):
    from filelock import FileLock

    store = SentenceStore(str(tmp_path / "c"), "fake")
    held = FileLock(str(tmp_path / "c" / "write.lock"))
    held.acquire()
    try:
        with pytest.raises(StoreError, match="locked"):
            with store.write_lock():
                pass
    finally:
        held.release()
    with store.write_lock():
        pass


def test_corrupt_index_is_a_clear_error(tmp_path):
    idx = tmp_path / "c"
    idx.mkdir()
    (idx / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot be opened"):
        SentenceStore(str(idx), "fake")
