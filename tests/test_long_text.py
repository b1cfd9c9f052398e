"""Long runs without punctuation, NFD text and random text: bounded sentences, exact offsets, no crash."""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.documents import SourceDocument
from assistant.sentences import MAX_SENTENCE_CHARS, split_sentences

from .conftest import SEED


def _exact(text: str) -> None:
    for s in split_sentences(text):
        assert text[s.start : s.end] == s.text
        assert s.text == s.text.strip() and 0 < len(s.text) <= MAX_SENTENCE_CHARS


def test_a_line_without_punctuation_is_cut_at_spaces_into_capped_sentences():
    text = " ".join(f"wort{i}" for i in range(50_000))
    sentences = split_sentences(text)
    assert len(sentences) > len(text) // MAX_SENTENCE_CHARS
    _exact(text)
    # cut at spaces: every word survives whole
    assert sum(len(s.text.split()) for s in sentences) == 50_000


def test_a_run_without_spaces_is_cut_at_the_limit_and_clause_marks_are_preferred():
    blob = "x" * (MAX_SENTENCE_CHARS * 3 + 7)
    assert [len(s.text) for s in split_sentences(blob)] == [MAX_SENTENCE_CHARS] * 3 + [7]
    clause = ("eins zwei drei vier, " * 60).strip()
    pieces = split_sentences(clause)
    assert all(p.text.endswith(",") for p in pieces[:-1])
    _exact(clause)


def test_an_accent_is_never_cut_from_its_letter():
    blob = "u\u0308" * MAX_SENTENCE_CHARS
    for s in split_sentences(blob):
        assert not unicodedata.combining(s.text[0])


def test_nfd_text_splits_like_nfc():
    text = SEED.read_text("utf-8")
    nfc = [unicodedata.normalize("NFC", s.text) for s in split_sentences(unicodedata.normalize("NFC", text))]
    nfd = [unicodedata.normalize("NFC", s.text) for s in split_sentences(unicodedata.normalize("NFD", text))]
    assert nfd == nfc


def test_the_seed_is_split_as_before():
    # The cap and the NFD fix change nothing for ordinary news text.
    assert len(split_sentences(SEED.read_text("utf-8"))) == 43


_TEXT = st.text(
    alphabet=st.sampled_from(
        list("aAbä .,;:!?…\n\r\t\"'„“()[]—-0123456789") + ["\u0308", "\u00a0", "\u2028", "中", "🙂"]
    ),
    max_size=3000,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_any_text_splits_with_exact_offsets(text):
    _exact(text)
    sentences = split_sentences(text)
    assert [s.sentence_id for s in sentences] == list(range(len(sentences)))
    assert all(a.end <= b.start for a, b in zip(sentences, sentences[1:], strict=False))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_TEXT.filter(lambda t: any(c.isalnum() for c in t)), min_size=1, max_size=4))
def test_any_text_ingests_with_exact_offsets_and_unique_ids(tmp_path_factory, texts):
    import hashlib

    from assistant.ingest import ingest_many
    from assistant.store import SentenceStore

    from .conftest import FakeEmbeddings

    store = SentenceStore(str(tmp_path_factory.mktemp("idx")), "fake")
    embed = FakeEmbeddings().embed_documents
    docs = [
        SourceDocument(f"d{i}.txt", f"d{i}.txt", "t", "und", t, hashlib.sha256(t.encode()).hexdigest())
        for i, t in enumerate(texts)
    ]
    results = list(ingest_many(store, docs, embed))
    assert len({r.doc_id for r in results}) == len(docs)
    for doc in docs:
        stored = store.get_document(doc.doc_id)
        if stored is None:  # no sentence in it: refused, and said so
            continue
        assert stored.text == doc.text
        for hit in store.sentences_of(doc.doc_id):
            assert doc.text[hit.start : hit.end] == hit.text
