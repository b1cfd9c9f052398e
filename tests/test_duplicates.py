"""A corpus that repeats a line in every article: stored and searched once, found everywhere it stands."""

from __future__ import annotations

import hashlib

import numpy as np

from assistant.documents import SourceDocument, load_document
from assistant.ingest import ingest_many
from assistant.sentences import split_sentences
from assistant.store import LEGACY_SENTENCES, SentenceStore

from .conftest import SEED, FakeEmbeddings

BOILERPLATE = "Foto: APA/AFP. Alle Rechte vorbehalten."


def _doc(i: int, extra: str = "") -> SourceDocument:
    text = f"Meldung Nummer {i} über Wahl{i} in Ort{i}. Zweiter Satz {i}{extra}.\n{BOILERPLATE}\n"
    return SourceDocument(
        f"a{i:03d}.txt", f"a{i:03d}.txt", "t", "de", text, hashlib.sha256(text.encode()).hexdigest()
    )


def _corpus(store: SentenceStore, n: int = 300) -> None:
    embed = FakeEmbeddings().embed_documents
    list(ingest_many(store, [load_document(SEED), *(_doc(i) for i in range(n))], embed))


def test_a_repeated_line_is_one_vector_with_all_its_locations(store):
    _corpus(store)
    assert store.count_sentences() == 43 + 300 * 4
    assert store.count_vectors() == 43 + 300 * 2 + 2
    vector = FakeEmbeddings().embed_query("Alle Rechte vorbehalten.")
    hits = store.search(vector, k=5)
    texts = [h.text for h in hits]
    assert texts.count("Alle Rechte vorbehalten.") == 1  # not five copies
    top = hits[0]
    assert top.text == "Alle Rechte vorbehalten." and top.score > 0.99
    assert len(top.locations) == 300
    assert {loc.doc_id for loc in top.locations} == {f"a{i:03d}.txt" for i in range(300)}
    for loc in top.locations:
        assert store.get_document(loc.doc_id).text[loc.start : loc.end] == "Alle Rechte vorbehalten."


def test_an_exact_match_is_found_among_many_duplicates(store):
    _corpus(store)
    embeddings = FakeEmbeddings()
    for s in split_sentences(SEED.read_text("utf-8")):
        hits = store.search(embeddings.embed_query(s.text), k=5)
        assert s.text in [h.text for h in hits], s.text


def test_removing_documents_keeps_shared_vectors_until_the_last_copy_goes(store):
    _corpus(store, n=3)
    assert store.delete_document("a000.txt")
    vector = FakeEmbeddings().embed_query("Alle Rechte vorbehalten.")
    assert len(store.search(vector, k=1)[0].locations) == 2
    store.delete_document("a001.txt")
    store.delete_document("a002.txt")
    assert "Alle Rechte vorbehalten." not in [h.text for h in store.search(vector, k=10)]
    assert store.count_vectors() == 43


def test_replacing_a_document_keeps_the_copies_of_others(store):
    embed = FakeEmbeddings().embed_documents
    _corpus(store, n=2)
    list(ingest_many(store, [_doc(0, extra=" geändert")], embed))
    vector = FakeEmbeddings().embed_query("Alle Rechte vorbehalten.")
    assert {loc.doc_id for loc in store.search(vector, k=1)[0].locations} == {"a000.txt", "a001.txt"}


def test_search_within_one_document_is_exact_and_maps_to_that_document(store):
    _corpus(store, n=5)
    vector = FakeEmbeddings().embed_query("Alle Rechte vorbehalten.")
    hits = store.search(vector, k=3, doc_id="a003.txt")
    assert hits[0].doc_id == "a003.txt" or "a003.txt" in {loc.doc_id for loc in hits[0].locations}
    assert all("a003.txt" in {loc.doc_id for loc in h.locations} for h in hits)


def test_the_json_result_counts_copies(run, tmp_path, fake_chat_model):
    for i in range(3):
        (tmp_path / f"n{i}.txt").write_text(f"Meldung {i} zur Wahl.\n{BOILERPLATE}\n", "utf-8")
    run("ingest", str(tmp_path))
    fake_chat_model.enqueue(
        {"statements": [{"text": "x", "sentences": [1], "verdict": "supported", "confidence": 0.5}]}
    )
    import json

    code, out, _ = run("check", "--json", "Alle Rechte vorbehalten.")
    retrieved = json.loads(out)["retrieved"]
    boiler = next(r for r in retrieved if r["text"] == "Alle Rechte vorbehalten.")
    assert boiler["copies"] == 2 and len(boiler["also"]) == 2
    assert sum(r["text"] == "Alle Rechte vorbehalten." for r in retrieved) == 1


def test_a_format_1_index_is_migrated_and_reads_the_same(tmp_path):
    """Build an index the way format 1 wrote it (one `sentences` record with a vector per sentence)."""
    import chromadb

    from assistant.store import _REGISTRY_VECTOR, SPLITTER_VERSION, _settings

    path = tmp_path / "old"
    client = chromadb.PersistentClient(path=str(path), settings=_settings())
    sentences = client.get_or_create_collection(
        LEGACY_SENTENCES, metadata={"hnsw:space": "cosine", "embedder": "fake"}, embedding_function=None
    )
    documents = client.get_or_create_collection("documents", embedding_function=None)
    embed = FakeEmbeddings().embed_documents
    docs = [load_document(SEED), _doc(1), _doc(2)]
    for d in docs:
        split = split_sentences(d.text)
        sentences.add(
            ids=[f"{d.doc_id}#{d.sha256[:16]}#{s.sentence_id}" for s in split],
            embeddings=embed([s.text for s in split]),
            metadatas=[
                {
                    "doc_id": d.doc_id,
                    "doc_sha": d.sha256,
                    "sentence_index": s.sentence_id,
                    "start": s.start,
                    "end": s.end,
                }
                for s in split
            ],
        )
        documents.add(
            ids=[d.doc_id], embeddings=[_REGISTRY_VECTOR], documents=[d.text],
            metadatas=[{"path": d.path, "title": d.title, "lang": d.lang, "sha256": d.sha256,
                        "n_sentences": len(split), "splitter": SPLITTER_VERSION - 1}],
        )  # fmt: skip
    del client
    store = SentenceStore(str(path), "fake")
    names = [getattr(c, "name", c) for c in store._client.list_collections()]
    assert LEGACY_SENTENCES not in names
    assert store.count_sentences() == 43 + 4 + 4
    assert store.count_vectors() == 43 + 2 + 2 + 2
    seed_hits = store.sentences_of("musk-nato.de.txt")  # read back from the migrated records
    assert [h.text for h in seed_hits] == [s.text for s in split_sentences(docs[0].text)]
    vector = np.asarray(FakeEmbeddings().embed_query(seed_hits[5].text))
    assert store.search(vector.tolist(), k=1)[0].text == seed_hits[5].text
    # opening it again is a no-op
    assert SentenceStore(str(path), "fake").count_sentences() == 43 + 8
