"""The verdict-odds stage: the model's probability of each verdict, scored where it stands in the reply."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from assistant.check import Checker
from assistant.judge import Draft, DraftStatement, StageEnv
from assistant.judge.odds import NAMES, VerdictOdds, normalised, odds_signals, verdict_slots
from assistant.judge.scope import Scope
from assistant.judge.verdict_model import MemoEmbeddings
from assistant.llm import StructuredChat
from assistant.retrieve import SentenceRetriever
from assistant.schemas import DEBUG, result_json
from research.replay import draft_from_result

from .conftest import FakeChatModel, stage_pipeline
from .fakes import ScoringFakeChatModel, cached_chat

REPLY = {
    "statements": [
        {"text": "Congress passed a law.", "sentences": [1], "verdict": "supported", "confidence": 0.8},
        {"text": "It was in 2021.", "sentences": [1], "verdict": "refuted", "confidence": 0.6},
    ]
}


@pytest.fixture
def scoring_chat(tmp_path) -> tuple[StructuredChat, ScoringFakeChatModel]:
    model = ScoringFakeChatModel()
    return cached_chat(model, tmp_path), model


def test_slots_are_where_each_verdict_value_begins():
    reply = json.dumps(REPLY)
    slots = verdict_slots(reply)
    assert [reply[s : s + 8] for s in slots] == ["supporte", 'refuted"']
    # A statement whose text quotes the key (escaped in JSON) adds no slot.
    tricky = json.dumps({"statements": [{"text": 'say "verdict": "x"', "verdict": "refuted"}]})
    assert len(verdict_slots(tricky)) == 1


def test_odds_are_normalised_over_the_three_verdicts():
    p = normalised([-0.5, -1.5, -3.0])
    assert abs(sum(p) - 1) < 1e-9 and p[0] > p[1] > p[2]
    assert math.isclose(p[0] / p[1], math.e)
    s = odds_signals({"supported": 0.7, "refuted": 0.2, "not_enough_info": 0.1})
    assert tuple(s) == NAMES and math.isclose(s["odds_margin"], 0.5)


def test_checker_scores_each_kept_statement_at_its_own_verdict(seeded_store, fake_embeddings, scoring_chat):
    chat, model = scoring_chat
    retriever = SentenceRetriever(store=seeded_store, embeddings=fake_embeddings, k=3)
    checker = Checker(seeded_store, retriever, chat, pipeline=stage_pipeline(Scope(), VerdictOdds()))
    model.enqueue(REPLY)
    result = checker.check("Gesetzesergänzung 2023")
    reply = json.dumps(REPLY)
    # Each statement the scope stage kept is scored at its own verdict, with the three verdicts.
    texts = [s["text"] for s in REPLY["statements"]]
    kept = [texts.index(st.text) for st in result.statements]
    assert [prefix for prefix, _ in model._scored] == [reply[: verdict_slots(reply)[i]] for i in kept]
    assert model._scored[0][1] == ['supported"', 'refuted"', 'not_enough_info"']
    for st in result.statements:
        probs = st.model_probabilities
        assert probs is not None and abs(sum(probs.values()) - 1) < 1e-3
        assert probs["supported"] > probs["refuted"] > probs["not_enough_info"]
    assert '"model_probabilities"' in result_json(result, debug=True)
    assert '"model_probabilities"' not in result_json(result)


def test_scores_are_cached_like_replies(seeded_store, fake_embeddings, scoring_chat):
    chat, model = scoring_chat
    first = chat.continuation_logprobs("sys", "user", '{"verdict": "', ['refuted"'], prompt_id="p")
    again = chat.continuation_logprobs("sys", "user", '{"verdict": "', ['refuted"'], prompt_id="p")
    assert first == again and len(model._scored) == 1


def test_a_backend_that_cannot_score_leaves_the_written_verdict_as_the_odds(fake_embeddings):
    chat = StructuredChat(chat_model=FakeChatModel(), name="fake", schema_kwargs=lambda s: {})
    assert chat.continuation_logprobs("s", "u", "x", ["a"]) is None
    st = DraftStatement(text="A law.", model_verdict="refuted", model_confidence=0.7, position=0)
    draft = Draft(mode="claim", text="A law.", shown=[], statements=[st], reply=json.dumps(REPLY))
    env = StageEnv(MemoEmbeddings(fake_embeddings), lambda d: None, lambda d: "", score=lambda p, t: None)
    VerdictOdds().run(draft, env)
    assert st.model_probabilities is None
    assert st.measured["odds_refuted"] == 1.0 and st.measured["odds_margin"] == 1.0


def test_a_replayed_result_gives_the_same_odds_signals(seeded_store, fake_embeddings, scoring_chat):
    chat, model = scoring_chat
    retriever = SentenceRetriever(store=seeded_store, embeddings=fake_embeddings, k=3)
    checker = Checker(seeded_store, retriever, chat, pipeline=stage_pipeline(Scope(), VerdictOdds()))
    model.enqueue(REPLY)
    result: dict[str, Any] = json.loads(
        checker.check("Gesetzesergänzung 2023").model_dump_json(context=DEBUG)
    )
    draft = checker.draft("Gesetzesergänzung 2023")  # the reply comes from the cache, the odds too
    replayed = draft_from_result(result)
    assert [st.measured for st in replayed.statements] == [
        {k: v for k, v in st.measured.items() if k in NAMES} for st in draft.statements
    ]


def test_an_uncertain_claim_says_when_the_model_was_torn(fake_embeddings):
    from assistant.judge.uncertain import MarkUncertain

    st = DraftStatement(text="A law.", model_verdict="refuted", model_confidence=0.9)
    st.evidence = [object()]  # type: ignore[list-item]  # cited: the odds are the most specific reason
    st.model_probabilities = {"supported": 0.45, "refuted": 0.5, "not_enough_info": 0.05}
    env = StageEnv(MemoEmbeddings(fake_embeddings), lambda d: None, lambda d: "")
    draft = Draft(mode="claim", text="A law.", shown=[], statements=[st], confidence=0.4, verdict="refuted")
    MarkUncertain(0.6).run(draft, env)
    # In plain words, and no probability beside the verdict that would read as contradicting it (#29).
    assert draft.uncertain == "the model itself hesitated over “A law.”"
    draft = Draft(mode="claim", text="A law.", shown=[], statements=[st], confidence=0.4, verdict="supported")
    MarkUncertain(0.6).run(draft, env)
    assert draft.uncertain == "the model's own reading of “A law.” disagrees with the evidence"
