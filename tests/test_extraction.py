"""The extraction pipeline (check.v8): quotes become verified sub-sentence spans; values compared in code."""

from __future__ import annotations

import pytest

from assistant.check import Checker
from assistant.judge.compare import NAMES as COMPARE_NAMES
from assistant.judge.values import compare_values, months, quantities
from assistant.retrieve import SentenceRetriever

LAW = "Im Jahr 2023 verabschiedete der US-Kongress eine Gesetzesergänzung"


@pytest.fixture
def checker(seeded_store, fake_embeddings, structured_fake):
    retriever = SentenceRetriever(store=seeded_store, embeddings=fake_embeddings, k=5)
    return Checker(seeded_store, retriever, structured_fake, pipeline="check.v8")


def _st(text, value, sentence, quote, verdict):
    return {"text": text, "value": value, "sentence": sentence, "quote": quote, "verdict": verdict}


def test_a_verbatim_quote_is_the_evidence_span_and_its_value_is_compared(checker, fake_chat_model, seed_text):
    fake_chat_model.enqueue(
        {"statements": [_st("Congress passed a law in 2023.", "2023", 1, "Im Jahr 2023", "supported")]}
    )
    result = checker.check(LAW)
    st = result.statements[0]
    assert [e.text for e in st.evidence] == ["Im Jahr 2023"]  # the words a reader must see, not the sentence
    ev = st.evidence[0]
    assert (
        seed_text[ev.start : ev.end] == "Im Jahr 2023" and ev.sentence_id == result.retrieved[0].sentence_id
    )
    assert (st.value, st.quote, result.dropped_citations) == ("2023", "Im Jahr 2023", 0)
    # the prompt asked for no confidence: the claim's is the neutral 0.5 until a verdict stage decides
    schema = fake_chat_model.calls[0]["response_format"]["schema"]
    fields = schema["properties"]["statements"]["items"]["properties"]
    assert set(fields) == {"text", "value", "sentence", "quote", "verdict"}


def test_a_quote_not_in_the_source_is_dropped_and_counted(checker, fake_chat_model):
    fake_chat_model.enqueue(
        {
            "statements": [
                _st("Congress passed a law in 2023.", "2023", 1, "In 2023 Congress passed", "supported")
            ]
        }
    )
    result = checker.check(LAW)
    st = result.statements[0]
    assert result.dropped_citations == 1  # the paraphrased quote
    assert [e.text for e in st.evidence] == [result.retrieved[0].text]  # the cited sentence still verified


def test_a_quote_is_found_in_another_sentence_than_the_one_cited(checker, fake_chat_model):
    fake_chat_model.enqueue(
        {"statements": [_st("A law passed in 2023.", "2023", 0, "Im Jahr 2023", "supported")]}
    )
    result = checker.check(LAW)
    assert [e.text for e in result.statements[0].evidence] == ["Im Jahr 2023"]


def test_old_pipelines_results_have_no_extraction_fields(
    seeded_store, fake_embeddings, structured_fake, fake_chat_model
):
    retriever = SentenceRetriever(store=seeded_store, embeddings=fake_embeddings, k=5)
    old = Checker(seeded_store, retriever, structured_fake, pipeline="check.v1")
    fake_chat_model.enqueue(
        {"statements": [{"text": "x", "sentences": [1], "verdict": "supported", "confidence": 0.9}]}
    )
    data = old.check(LAW).model_dump()
    assert "value" not in data["statements"][0] and "quote" not in data["statements"][0]


def test_compare_stage_signals(checker, fake_chat_model):
    fake_chat_model.enqueue(
        {
            "statements": [
                _st("Congress passed a law in 2021.", "2021", 1, "Im Jahr 2023", "supported"),
                _st("Musk likes cats.", "likes cats", 0, None, "not_enough_info"),
            ]
        }
    )
    result = checker.assemble(checker.ask(checker.retrieve(checker.request(LAW, "claim"))))
    assert result.statements[0].signals is None  # check.v8 has no classifier: no signals shown
    fake_chat_model.enqueue(
        {
            "statements": [
                _st("Congress passed a law in 2021.", "2021", 1, "Im Jahr 2023", "supported"),
                _st("Musk likes cats.", "likes cats", 0, None, "not_enough_info"),
            ]
        }
    )
    judged = checker.draft(LAW)  # the same draft, before the result is built
    first, second = judged.statements
    assert set(COMPARE_NAMES) <= set(first.measured)
    assert first.measured["value_different"] == 1.0 and first.measured["extraction_disagrees"] == 1.0
    assert second.measured["quote_given"] == 0.0 and second.measured["extraction_agrees"] == 1.0


@pytest.mark.parametrize(
    ("value", "source", "outcome"),
    [
        ("zwei Drittel", "a two-thirds majority", "same"),
        ("1.000 Soldaten", "1,000 soldiers", "same"),
        ("40 Millionen Euro", "40 million euros", "same"),
        ("2,5 Prozent", "2.5 percent", "same"),
        ("im Jahr 2023", "in 2024", "different"),
        ("im März", "in May", "different"),
        ("Mike Lee", "Senator Mike Lee aus Utah", "same"),
        ("a law", "ein Gesetz", "unknown"),
        ("twenty-five members", "25 Mitglieder", "same"),
    ],
)
def test_values_are_compared_in_code(value, source, outcome):
    assert compare_values(value, source).outcome == outcome


def test_quantities_and_months_are_canonical():
    assert quantities("die Hälfte") == quantities("half") == {"0.5000"}
    assert quantities("zwei Dritteln der Senatoren") == {"0.6667"}
    assert quantities("ein Gesetz") == set()  # an article is not a count
    assert months("am 5. März") == months("on March 5") == {"month:3"}


def test_a_low_confidence_claim_is_marked_uncertain_with_the_most_specific_reason():
    from assistant.judge import Draft, DraftStatement
    from assistant.judge.uncertain import MarkUncertain
    from assistant.records import Sentence

    def draft(confidence, **st_fields):
        st = DraftStatement(text="A law passed in 2021.", model_verdict="supported", model_confidence=None)
        for k, v in st_fields.items():
            setattr(st, k, v)
        d = Draft(mode="claim", text=st.text, shown=[], statements=[st])
        d.confidence = confidence
        return d

    env = None
    sure = draft(0.9, measured={"extraction_disagrees": 1.0})
    MarkUncertain(0.6).run(sure, env)
    assert sure.uncertain is None  # confident enough: no mark, whatever the signals
    disagree = draft(0.4, measured={"extraction_disagrees": 1.0})
    MarkUncertain(0.6).run(disagree, env)
    assert "compare the other way" in disagree.uncertain
    missing = draft(0.4, quote="In 2021 Congress")
    MarkUncertain(0.6).run(missing, env)
    assert "not in the source" in missing.uncertain
    span = Sentence("d", 0, 0, 4, "2023")
    plain = draft(0.5, evidence=[span])
    MarkUncertain(0.6).run(plain, env)
    assert plain.uncertain.startswith("confidence 0.50 is below 0.60")
