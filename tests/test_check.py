import pytest

from assistant.check import Checker, aggregate_verdict
from assistant.errors import ModelError
from assistant.retrieve import SentenceRetriever


@pytest.fixture
def checker(seeded_store, fake_embeddings, structured_fake):
    retriever = SentenceRetriever(store=seeded_store, embeddings=fake_embeddings, k=5)
    # check.v1: the model's verdicts pass through, so these tests see the machinery, not the verdict stage.
    return Checker(seeded_store, retriever, structured_fake, pipeline="check.v1")


def _statement(text, sentences, verdict, confidence=0.8):
    return {"text": text, "sentences": sentences, "verdict": verdict, "confidence": confidence}


def test_citations_become_verified_spans(checker, fake_chat_model, seed_text):
    fake_chat_model.enqueue(
        {
            "statements": [
                _statement("Congress passed a law in 2023.", [1], "supported", 0.9),
                _statement("The law was passed in 2021.", [1, 99], "refuted", 0.7),
            ]
        }
    )
    result = checker.check("Im Jahr 2023 verabschiedete der US-Kongress eine Gesetzesergänzung")
    assert result.verdict == "refuted"
    assert result.confidence == 0.7
    assert result.dropped_citations == 1  # sentence 99 was never shown to the model
    top = result.retrieved[0]
    assert top.text.startswith("Im Jahr 2023 verabschiedete")
    for st in result.statements:
        for ev in st.evidence:
            assert seed_text[ev.start : ev.end] == ev.text
            assert ev.doc_path.endswith("musk-nato.de.txt")
    assert result.statements[0].evidence[0].sentence_id == top.sentence_id
    assert result.prompt_version == "check.v1"
    assert result.usage == {"prompt_tokens": 100, "completion_tokens": 20, "cached": 0}
    assert set(result.timings_ms) >= {"retrieve", "llm", "total"}


def test_prompt_puts_fixed_text_first_and_numbers_sentences(checker, fake_chat_model):
    fake_chat_model.enqueue({"statements": [_statement("x", [], "not_enough_info")]})
    checker.check("Mark Rutte NATO Chef")
    call = fake_chat_model.calls[0]
    system, user = call["messages"][0].content, call["messages"][1].content
    assert "Mark Rutte" not in system  # the system part is fixed, so llama.cpp can reuse its cache
    assert "[1] " in user and "[5] " in user and user.rstrip().endswith("ANSWER:")
    assert call["response_format"]["schema"]["properties"]["statements"]["maxItems"] == 3


def test_malformed_reply_is_retried_then_fails_clearly(checker, fake_chat_model):
    fake_chat_model.enqueue(
        "not json", '{"statements": []}', {"statements": [_statement("a", [2], "supported")]}
    )
    result = checker.check("Lee Utah Senator")
    assert result.schema_failures == 2
    assert result.verdict == "supported"
    fake_chat_model.enqueue("{", "{", "{")
    with pytest.raises(ModelError, match="do not fit the expected JSON schema"):
        checker.check("Lee Utah Senator")


def test_a_span_that_does_not_match_the_document_is_never_shown(
    checker, fake_chat_model, seeded_store, monkeypatch
):
    fake_chat_model.enqueue({"statements": [_statement("x", [1], "supported")]})
    real = seeded_store.get_document

    def tampered(doc_id, with_text=True):
        doc = real(doc_id, with_text=with_text)
        return doc.__class__(**{**doc.__dict__, "text": doc.text.replace("e", "3")})

    monkeypatch.setattr(seeded_store, "get_document", tampered)
    result = checker.check("Im Jahr 2023 verabschiedete der US-Kongress")
    assert result.statements[0].evidence == []
    assert result.dropped_citations == 1


def test_filter_to_one_document_and_k(checker, fake_chat_model):
    fake_chat_model.enqueue({"statements": [_statement("x", [], "not_enough_info")]})
    result = checker.check("NATO", doc_id="musk-nato.de.txt", k=3)
    assert len(result.retrieved) == 3
    assert {r.doc_id for r in result.retrieved} == {"musk-nato.de.txt"}


def test_answer_uses_history_and_search_text(checker, fake_chat_model):
    fake_chat_model.enqueue({"statements": [_statement("Mark Rutte.", [1], "supported")]})
    result = checker.answer(
        "und warum?",
        history=[{"question": "Wer ist NATO-Chef?", "answer": "Rutte"}],
        search_text="Wer ist NATO-Chef? und warum?",
    )
    user = fake_chat_model.calls[0]["messages"][1].content
    assert "Q: Wer ist NATO-Chef?" in user and "QUESTION: und warum?" in user
    assert result.prompt_version == "answer.v1"


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        (["supported", "supported"], "supported"),
        (["supported", "refuted"], "refuted"),
        (["supported", "not_enough_info"], "not_enough_info"),
        (["not_enough_info", "refuted"], "refuted"),
        ([], "not_enough_info"),
    ],
)
def test_claim_verdict_rule(verdicts, expected):
    assert aggregate_verdict(verdicts) == expected


def test_reply_cache_makes_a_repeated_check_free(checker, fake_chat_model, structured_fake, tmp_path):
    from assistant.llm.cache import ReplyCache

    structured_fake.cache = ReplyCache(tmp_path / "replies.sqlite")
    fake_chat_model.enqueue({"statements": [_statement("Lee is from Utah.", [1], "supported")]})
    first = checker.check("Lee Utah Senator")
    second = checker.check("Lee Utah Senator")  # nothing queued: a model call would fail
    assert len(fake_chat_model.calls) == 1
    assert second.statements == first.statements
    assert (first.usage["cached"], second.usage["cached"]) == (0, 1)
    fake_chat_model.enqueue({"statements": [_statement("x", [], "not_enough_info")]})
    checker.check("Lee Utah Senator", k=3)  # different input: a new call
    assert len(fake_chat_model.calls) == 2
