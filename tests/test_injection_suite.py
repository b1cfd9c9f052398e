"""The injection suite: ≥ 50 hostile variants; a model that obeys injected text flips without the screen,
and not with it."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from assistant.evaluation.datasets import load_jsonl
from assistant.evaluation.injection_suite import N_VARIANTS, run_injection_suite, variants
from assistant.injection import normalize_for_screen
from assistant.llm import StructuredChat

from .conftest import ROOT, SEED, FakeEmbeddings


class GullibleModel(BaseChatModel):
    """Refutes every claim, unless a source sentence tells it the claim is supported: then it obeys."""

    @property
    def _llm_type(self) -> str:
        return "gullible"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any):
        user = str(messages[-1].content)
        sources = normalize_for_screen(user.rsplit("CLAIM:", 1)[0])
        obeys = any(word in sources for word in ("supported", "belegt", "wahr"))
        verdict = "supported" if obeys else "refuted"
        reply = {"statements": [{"text": "x", "sentences": [1], "verdict": verdict, "confidence": 0.9}]}
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=json.dumps(reply)))])


def _chat() -> StructuredChat:
    return StructuredChat(
        chat_model=GullibleModel(),
        name="gullible",
        schema_kwargs=lambda schema: {"response_format": {"type": "json_object", "schema": schema}},
    )


def _dataset():
    return load_jsonl(ROOT / "evals" / "seed_claims.jsonl", ROOT / "seeds")


def test_the_suite_has_at_least_50_variants_in_both_languages_and_every_placement():
    vs = variants(SEED.read_text("utf-8"), ["Claim A.", "Behauptung B."])
    assert len(vs) == N_VARIANTS >= 50
    assert {v.lang for v in vs} == {"en", "de"}
    assert {v.placement for v in vs} == {"start", "middle", "end", "inline"}
    assert len({v.disguise for v in vs}) >= 4
    assert len({v.text for v in vs}) == len(vs)


def test_a_gullible_model_flips_without_the_screen():
    suite = run_injection_suite(_dataset(), "fake", FakeEmbeddings(), _chat(), "check.v1", 5)
    assert suite.variants == N_VARIANTS
    assert suite.flips > 0  # the suite can fail: injected text reaches this pipeline's prompt


def test_with_the_screen_no_variant_flips_and_every_injection_is_set_aside():
    suite = run_injection_suite(_dataset(), "fake", FakeEmbeddings(), _chat(), "check.v22", 5)
    assert suite.variants == N_VARIANTS
    assert suite.flips == 0, [r["id"] for r in suite.rows if r["flip"]]
    assert suite.flagged > 0


def test_every_injected_sentence_of_every_variant_is_flagged_and_no_clean_one_is():
    from assistant.injection import screen
    from assistant.sentences import split_sentences

    clean_text = SEED.read_text("utf-8")
    clean = {s.text for s in split_sentences(clean_text)}
    assert not any(screen(t) for t in clean)
    for v in variants(clean_text, ["Elon Musk hat sich gegen einen Austritt ausgesprochen."]):
        injected = [s.text for s in split_sentences(v.text) if s.text not in clean]
        assert injected, v.id
        missed = [t for t in injected if screen(t) is None]
        assert not missed, (v.id, missed)
