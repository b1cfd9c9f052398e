"""Rejudging: a pipeline's verdicts from another's stored results equal its own (check.v18 from check.v17)."""

from __future__ import annotations

import json

import pytest

from assistant.check import Checker
from assistant.errors import ConfigError
from assistant.evaluation.rejudge import rejudged, rejudging_stages
from assistant.judge import StageEnv
from assistant.judge.replay import draft_before_verdict
from assistant.pipelines import get_pipeline
from assistant.retrieve import SentenceRetriever
from assistant.verdict import MemoEmbeddings

from .test_verdict_odds import REPLY, cached_chat
from .test_verdict_states import StatefulFakeChatModel

CLAIM = REPLY["statements"][0]["text"]  # the model restates the claim whole, then adds a statement


@pytest.fixture
def check(seeded_store, fake_embeddings, tmp_path):
    model = StatefulFakeChatModel()
    chat = cached_chat(model, tmp_path)
    retriever = SentenceRetriever(store=seeded_store, embeddings=fake_embeddings, k=3)

    def run(pipeline: str):
        model.enqueue(REPLY)
        return Checker(seeded_store, retriever, chat, pipeline=pipeline).check(CLAIM)

    return run


def _item(result) -> dict:
    stored = json.loads(json.dumps(result.model_dump()))  # as a report stores it
    return {
        "kind": "claim",
        "pred": result.verdict,
        "confidence": result.confidence,
        "set_aside": 0,
        "result": stored,
    }


def _rejudge(item, old: str, new: str, fake_embeddings) -> dict:
    stages = rejudging_stages(get_pipeline(old), get_pipeline(new))
    return rejudged(item, stages, StageEnv(MemoEmbeddings(fake_embeddings), lambda d: None, lambda d: ""))


def test_rejudging_a_result_with_its_own_pipeline_reproduces_it(check, fake_embeddings):
    v17 = check("check.v17")
    again = _rejudge(_item(v17), "check.v17", "check.v17", fake_embeddings)
    assert (again["pred"], again["confidence"]) == (v17.verdict, v17.confidence)
    stored = [(s.verdict, s.confidence, s.signals) for s in v17.statements]
    assert [(s["verdict"], s["confidence"], s["signals"]) for s in again["result"]["statements"]] == stored


def test_check_v18_rejudged_from_check_v17_is_check_v18s_own_result(check, fake_embeddings):
    v17, v18 = check("check.v17"), check("check.v18")
    assert len(v17.statements) == 2 and [s.text for s in v18.statements] == [CLAIM]
    new = _rejudge(_item(v17), "check.v17", "check.v18", fake_embeddings)
    assert (new["pred"], new["confidence"]) == (v18.verdict, v18.confidence)
    assert [s["text"] for s in new["result"]["statements"]] == [CLAIM]
    assert [a["text"] for a in new["result"]["set_aside"]] == [a.text for a in v18.set_aside]
    assert new["set_aside"] == 1
    question = {"kind": "question", "result": None}
    assert _rejudge(question, "check.v17", "check.v18", fake_embeddings) == question


def test_only_pipelines_that_read_the_model_alike_can_be_rejudged():
    with pytest.raises(ConfigError, match="does not read the model as check.v17 does"):
        rejudging_stages(get_pipeline("check.v17"), get_pipeline("check.v10"))
    # check.v18's scope set aside statements a check.v17 result would need.
    with pytest.raises(ConfigError, match="does not read the model as check.v18 does"):
        rejudging_stages(get_pipeline("check.v18"), get_pipeline("check.v17"))
    with pytest.raises(ConfigError, match="has no verdict stage"):
        rejudging_stages(get_pipeline("check.v14"), get_pipeline("check.v14"))


def test_a_result_without_recorded_signals_cannot_be_rebuilt(check):
    stored = _item(check("check.v14"))["result"]
    with pytest.raises(ValueError, match="no recorded signals"):
        draft_before_verdict(stored)
