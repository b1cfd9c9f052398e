"""Rejudging (research/rejudge.py): a pipeline's verdicts from another's stored results equal its own."""

from __future__ import annotations

import json

import pytest

from assistant.check import Checker
from assistant.errors import ConfigError
from assistant.judge import StageEnv
from assistant.judge.verdict_model import MemoEmbeddings
from assistant.pipelines import get_pipeline
from assistant.retrieve import SentenceRetriever
from assistant.schemas import DEBUG
from research.rejudge import rejudged, rejudging_stages
from research.replay import draft_before_verdict

from .fakes import StatefulFakeChatModel, cached_chat
from .test_verdict_odds import REPLY

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
    stored = json.loads(json.dumps(result.model_dump(context=DEBUG)))  # as a report stores it
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
    v19 = check("check.v19")
    again = _rejudge(_item(v19), "check.v19", "check.v19", fake_embeddings)
    assert (again["pred"], again["confidence"]) == (v19.verdict, v19.confidence)
    stored = [(s.verdict, s.confidence, s.signals) for s in v19.statements]
    assert [(s["verdict"], s["confidence"], s["signals"]) for s in again["result"]["statements"]] == stored


def test_only_pipelines_that_read_the_model_alike_can_be_rejudged():
    with pytest.raises(ConfigError, match="does not read the model as check.v19 does"):
        rejudging_stages(get_pipeline("check.v19"), get_pipeline("check.v22"))
    with pytest.raises(ConfigError, match="has no verdict stage"):
        rejudging_stages(get_pipeline("check.v1"), get_pipeline("check.v1"))


def test_a_result_without_recorded_signals_cannot_be_rebuilt(check):
    stored = _item(check("check.v1"))["result"]
    with pytest.raises(ValueError, match="no recorded signals"):
        draft_before_verdict(stored)
