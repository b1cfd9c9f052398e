"""The brief reply (check.v11, prompt check.v3): a one-statement claim is not typed back, no confidence."""

from __future__ import annotations

import pytest

from assistant.check import Checker, draft_statement
from assistant.retrieve import SentenceRetriever
from assistant.schemas import ModelBriefStatement
from assistant.stages import WHOLE_CLAIM, ProgressHandler, StreamedStatement

CLAIM = "Mike Lee ist Senator aus Texas."


@pytest.fixture
def checker(seeded_store, fake_embeddings, structured_fake):
    retriever = SentenceRetriever(store=seeded_store, embeddings=fake_embeddings, k=5)
    return Checker(seeded_store, retriever, structured_fake, pipeline="check.v11")


def test_a_null_text_stands_for_the_whole_claim():
    st = draft_statement(ModelBriefStatement(text=None, sentences=[1], verdict="refuted"), f"  {CLAIM} ")
    assert (st.text, st.model_verdict, st.model_confidence, st.cited) == (CLAIM, "refuted", None, [1])
    named = draft_statement(
        ModelBriefStatement(text=" Lee is a senator. ", sentences=[], verdict="supported"), CLAIM
    )
    assert named.text == "Lee is a senator."


def test_the_check_shows_the_claim_as_the_statement_and_asks_for_no_confidence(checker, fake_chat_model):
    fake_chat_model.enqueue({"statements": [{"text": None, "sentences": [1], "verdict": "refuted"}]})
    result = checker.check(CLAIM)
    assert [s.text for s in result.statements] == [CLAIM]
    assert result.prompt_version == "check.v3" and result.pipeline == "check.v11"
    schema = fake_chat_model.calls[0]["response_format"]["schema"]
    fields = schema["properties"]["statements"]["items"]["properties"]
    assert set(fields) == {"text", "sentences", "verdict"}
    # the cited sentence is verified evidence, as in every pipeline
    assert all(e.text for s in result.statements for e in s.evidence)


def test_a_split_claim_keeps_its_statements(checker, fake_chat_model):
    fake_chat_model.enqueue(
        {
            "statements": [
                {"text": "Mike Lee is a senator.", "sentences": [1], "verdict": "supported"},
                {"text": "He is from Texas.", "sentences": [1], "verdict": "refuted"},
            ]
        }
    )
    result = checker.check("Mike Lee is a senator from Texas.")
    assert [s.text for s in result.statements] == ["Mike Lee is a senator.", "He is from Texas."]


def test_a_streamed_null_text_is_shown_as_the_whole_claim():
    seen: list[StreamedStatement] = []
    handler = ProgressHandler(lambda _s: None, on_evidence=lambda _e: None, on_statement=seen.append)
    handler.on_llm_new_token('{"statements": [{"text": null, "sentences": [1], "verdict": "refuted"}, ')
    handler.on_llm_new_token('{"text": "Zweiter Teil.", "sentences": [], "verdict": "not_enough_info"}]}')
    assert seen == [
        StreamedStatement(WHOLE_CLAIM, "refuted"),
        StreamedStatement("Zweiter Teil.", "not_enough_info"),
    ]
