"""Contract tests of the sentence store (the embedded store; a server store subclasses this suite)."""

from dataclasses import replace
from pathlib import Path

import pytest

from assistant.documents import load_document
from assistant.errors import StoreError
from assistant.ingest import ingest_document, ingest_many
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
        first = ingest_document(new_store, doc, fake_embeddings.embed_documents)
        again = ingest_document(new_store, doc, fake_embeddings.embed_documents)
        assert (first.action, again.action) == ("added", "unchanged")
        assert first.n_sentences == 43
        assert new_store.count_sentences() == 43

    def test_changed_file_replaces_old_sentences(self, new_store, fake_embeddings, tmp_path):
        ingest_document(
            new_store, self._doc(tmp_path, "Alte Fassung. Zweiter Satz."), fake_embeddings.embed_documents
        )
        out = ingest_document(
            new_store,
            self._doc(tmp_path, "Neue Fassung hier. Nur das. Und drei."),
            fake_embeddings.embed_documents,
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
        ingest_document(new_store, seed, fake_embeddings.embed_documents)
        ingest_document(
            new_store,
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

    def test_sentences_of_matches_the_stored_records(self, new_store, fake_embeddings, monkeypatch):
        import assistant.store as store_module

        doc = load_document(SEED)
        ingest_document(new_store, doc, fake_embeddings.embed_documents)
        split_again = new_store.sentences_of(doc.doc_id)
        # as if the splitter had changed since this document was ingested: read the records back instead
        monkeypatch.setattr(store_module, "SPLITTER_VERSION", store_module.SPLITTER_VERSION + 1)
        read_back = new_store.sentences_of(doc.doc_id)
        assert split_again == read_back
        assert len(read_back) == 43 and all(doc.text[h.start : h.end] == h.text for h in read_back)

    def test_delete(self, new_store, fake_embeddings, tmp_path):
        ingest_document(
            new_store, self._doc(tmp_path, "Ein Satz. Noch einer."), fake_embeddings.embed_documents
        )
        assert new_store.delete_document("doc.txt")
        assert not new_store.delete_document("doc.txt")
        assert new_store.list_documents() == []
        assert new_store.count_sentences() == 0

    def test_interrupted_ingest_leaves_no_visible_half_document(self, new_store, fake_embeddings, tmp_path):
        ingest_document(
            new_store, self._doc(tmp_path, "Version eins. Satz zwei."), fake_embeddings.embed_documents
        )
        calls = {"n": 0}

        def failing_embed(texts):
            calls["n"] += 1
            if calls["n"] == 2:
                raise KeyboardInterrupt
            return fake_embeddings.embed_documents(texts)

        v2 = self._doc(tmp_path, " ".join(f"Neuer Satz {i}." for i in range(10)))
        with pytest.raises(KeyboardInterrupt):
            ingest_document(new_store, v2, failing_embed, batch_size=4)
        # the committed version is still the old one, and only its sentences are visible
        assert new_store.get_document("doc.txt").text == "Version eins. Satz zwei."
        hits = new_store.search(fake_embeddings.embed_query("Neuer Satz"), k=10)
        assert [h.text for h in hits] == ["Version eins.", "Satz zwei."] or {h.text for h in hits} == {
            "Version eins.",
            "Satz zwei.",
        }
        # re-running the ingest completes it and cleans up
        assert ingest_document(new_store, v2, fake_embeddings.embed_documents).action == "replaced"
        assert new_store.count_sentences() == 10

    def test_many_documents_share_batches_and_each_is_committed(self, new_store, fake_embeddings, tmp_path):
        docs = [
            self._doc(tmp_path, f"Dokument {i} beginnt. Es endet hier {i}.", f"d{i}.txt") for i in range(7)
        ]
        calls: list[int] = []

        def embed(texts):
            calls.append(len(texts))
            return fake_embeddings.embed_documents(texts)

        results = list(ingest_many(new_store, docs, embed, batch_size=5))
        assert [(r.doc_id, r.action, r.n_sentences) for r in results] == [
            (f"d{i}.txt", "added", 2) for i in range(7)
        ]
        assert calls == [5, 5, 4]  # batches cut across documents, not one call per document
        assert new_store.count_sentences() == 14
        for d in docs:
            assert [h.text for h in new_store.sentences_of(d.doc_id)] == [
                d.text[: d.text.index(".") + 1],
                d.text[d.text.index(".") + 2 :],
            ]

    def test_many_documents_mixed_outcomes(self, new_store, fake_embeddings, tmp_path):
        ingest_document(
            new_store,
            self._doc(tmp_path, "Alt eins. Alt zwei. Alt drei.", "a.txt"),
            fake_embeddings.embed_documents,
        )
        ingest_document(
            new_store, self._doc(tmp_path, "Bleibt so. Wirklich.", "b.txt"), fake_embeddings.embed_documents
        )
        sub = tmp_path / "sub"
        sub.mkdir()
        docs = [
            self._doc(tmp_path, "Neu eins. Neu zwei.", "a.txt"),
            self._doc(tmp_path, "Bleibt so. Wirklich.", "b.txt"),
            replace(self._doc(tmp_path, "x", "empty.txt"), text="  \n "),  # no sentence in it
            self._doc(sub, "Gleicher Name. Anderer Ordner.", "a.txt"),
            self._doc(tmp_path, "Ganz neu.", "c.txt"),
        ]
        results = list(ingest_many(new_store, docs, fake_embeddings.embed_documents, batch_size=2))
        by_id = {}
        for r in results:
            by_id.setdefault(r.doc_id, []).append(r)
        assert [r.action for r in by_id["a.txt"] if hasattr(r, "action")] == ["replaced"]
        # the same name in another folder is a second document, under an id with the folder's hash
        other = [i for i in by_id if i.startswith("a-") and i.endswith(".txt")]
        assert len(other) == 1 and by_id[other[0]][0].action == "added"
        assert by_id["b.txt"][0].action == "unchanged"
        assert "no sentences" in by_id["empty.txt"][0].message
        assert by_id["c.txt"][0].action == "added"
        # the replaced document's old sentences are gone; nothing else is stored
        assert [h.text for h in new_store.sentences_of("a.txt")] == ["Neu eins.", "Neu zwei."]
        assert new_store.count_sentences() == 2 + 2 + 2 + 1

    def test_failure_mid_batch_commits_only_finished_documents(self, new_store, fake_embeddings, tmp_path):
        docs = [self._doc(tmp_path, f"Satz A{i}. Satz B{i}. Satz C{i}.", f"d{i}.txt") for i in range(4)]
        calls = {"n": 0}

        def failing_embed(texts):
            calls["n"] += 1
            if calls["n"] == 3:
                raise RuntimeError("encoder crashed")
            return fake_embeddings.embed_documents(texts)

        done = []
        with pytest.raises(RuntimeError):
            for r in ingest_many(new_store, docs, failing_embed, batch_size=4):
                done.append(r.doc_id)
        # batch 1 holds d0 and a third of d1, batch 2 the rest of d1 and two thirds of d2
        assert done == ["d0.txt", "d1.txt"]
        assert [d.doc_id for d in new_store.list_documents()] == ["d0.txt", "d1.txt"]
        assert new_store.sentences_of("d2.txt") == []
        hits = new_store.search(fake_embeddings.embed_query("Satz A2"), k=20)
        assert {h.doc_id for h in hits} == {"d0.txt", "d1.txt"}
        # a re-run completes the rest and leaves exactly one record per sentence
        again = list(ingest_many(new_store, docs, fake_embeddings.embed_documents, batch_size=4))
        assert [r.action for r in again] == ["unchanged", "unchanged", "added", "added"]
        assert new_store.count_sentences() == 12

    def test_query_vectors_is_the_raw_query_behind_search(self, new_store, fake_embeddings, tmp_path):
        from assistant.store import normalized_text, search_fetch_size, sentence_key

        text = "Der Senat stimmte zu. Der Senat stimmte zu. Das Haus auch. Ein dritter Satz."
        ingest_document(new_store, self._doc(tmp_path, text), fake_embeddings.embed_documents)
        assert new_store.query_vectors([1.0] * 16, 0) == []
        query = fake_embeddings.embed_query("Das Haus auch.")
        nearest = new_store.query_vectors(query, 10)
        # one entry per distinct text (the repeated sentence is stored once), nearest first
        assert len(nearest) == new_store.count_vectors() == 3
        assert nearest[0][0] == sentence_key("Das Haus auch.")
        assert nearest[0][1] == pytest.approx(0.0, abs=1e-5)
        assert [d for _, d in nearest] == sorted(d for _, d in nearest)
        # search maps the same keys, in the same order, to their committed locations
        hits = new_store.search(query, k=3)
        assert [sentence_key(h.text) for h in hits] == [key for key, _ in nearest[: len(hits)]]
        assert [h.score for h in hits] == [pytest.approx(1.0 - d, abs=1e-5) for _, d in nearest[: len(hits)]]
        assert search_fetch_size(5) >= 5
        assert normalized_text(" Das  Haus\nauch. ") == "Das Haus auch."

    def test_iter_vectors_yields_every_stored_vector_once(self, new_store, fake_embeddings, tmp_path):
        from assistant.store import normalized_text, sentence_key

        seed = load_document(SEED)
        ingest_document(new_store, seed, fake_embeddings.embed_documents)
        pages = list(new_store.iter_vectors(page=7))
        assert all(len(keys) == matrix.shape[0] <= 7 for keys, matrix in pages)
        keys = [k for ks, _ in pages for k in ks]
        assert len(keys) == len(set(keys)) == new_store.count_vectors()
        texts = {sentence_key(h.text): normalized_text(h.text) for h in new_store.sentences_of(seed.doc_id)}
        assert set(keys) == set(texts)
        got = {k: row for ks, matrix in pages for k, row in zip(ks, matrix, strict=True)}
        for key in list(texts)[:5]:
            want = fake_embeddings.embed_documents([texts[key]])[0]
            assert got[key].dtype.name == "float32"
            assert got[key].tolist() == pytest.approx(want, abs=1e-6)
        with pytest.raises(ValueError):
            next(new_store.iter_vectors(page=0))


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
    with pytest.raises(StoreError, match="damaged: chroma.sqlite3 is not an SQLite database"):
        SentenceStore(str(idx), "fake")


def test_ingest_groups_are_bounded_by_count_and_size():
    from assistant.documents import SourceDocument
    from assistant.ingest import _groups

    def doc(i: int, n: int) -> SourceDocument:
        return SourceDocument(f"d{i}", f"d{i}.txt", "t", "de", "x" * n, str(i))

    docs = [doc(0, 10), doc(1, 10), doc(2, 100), doc(3, 10), doc(4, 10), doc(5, 10)]
    assert [[d.doc_id for d in g] for g in _groups(iter(docs), 3, 50)] == [
        ["d0", "d1", "d2"],  # the size bound: 120 characters reached with the third
        ["d3", "d4", "d5"],  # the count bound
    ]
    assert [len(g) for g in _groups(iter(docs), 10, 15)] == [2, 1, 2, 1]
