"""The verdict stage: signals, the classifier read from JSON, pipelines and hybrid retrieval."""

from __future__ import annotations

import json

import pytest

from assistant.check import Checker
from assistant.errors import ConfigError
from assistant.judge import Draft, DraftStatement, StageEnv
from assistant.judge.aggregate import Aggregate, CalibrateClaim
from assistant.judge.classify import Classify
from assistant.judge.odds import NAMES as ODDS_NAMES
from assistant.judge.odds import VerdictOdds
from assistant.judge.pairs import NAMES as PAIR_NAMES
from assistant.judge.pairs import PairOdds
from assistant.judge.signals import NAMES, StatementView, compute, negated, numbers, salient_tokens
from assistant.judge.states import ProjectState, ReplyStates
from assistant.judge.verdict_model import MemoEmbeddings, VerdictClassifier
from assistant.pipelines import ALIASES, RETIRED_AT, get_pipeline, pipeline_ids
from assistant.records import Sentence
from assistant.retrieve import SentenceRetriever, hybrid_search

LAW = "Im Jahr 2023 verabschiedete der US-Kongress eine Gesetzesergänzung."


def _classifier(weights: dict[str, tuple[float, float, float]], bias=(0.0, 0.0, 0.0)) -> VerdictClassifier:
    """A classifier whose logit for each class is the sum of weight * signal (no standardisation)."""
    coef = [[weights.get(n, (0.0, 0.0, 0.0))[c] for n in NAMES] for c in range(3)]
    return VerdictClassifier.from_json(
        {
            "id": "test",
            "classes": ["supported", "refuted", "not_enough_info"],
            "features": list(NAMES),
            "mean": [0.0] * len(NAMES),
            "scale": [1.0] * len(NAMES),
            "coef": coef,
            "intercept": list(bias),
        }
    )


def test_number_and_token_helpers():
    assert numbers("In 2023, 1.000 Soldaten und 3,5 Prozent") == {"2023", "1000", "35"}
    assert "nato" in salient_tokens("The president cannot leave NATO.")
    assert "the" not in salient_tokens("The president cannot leave NATO.")
    assert negated("Er kann nicht austreten") and negated("He cannot leave") and not negated("He left")


def test_signals_cover_every_name_and_see_a_year_mismatch(fake_embeddings):
    view = StatementView(
        text="Congress passed the law in 2021.",
        model_verdict="supported",
        model_confidence=0.9,
        cited=[LAW],
        retrieved=[LAW, "Trump drohte mit dem Austritt."],
    )
    s = compute(view, fake_embeddings)
    assert set(s) == set(NAMES)
    assert s["numbers_mismatch"] == 1.0 and s["numbers_match"] == 0.0
    assert s["model_supported"] == 1.0 and s["n_evidence"] == 1.0
    assert -1.0 <= s["cos_best"] <= 1.0 and s["cos_cited"] <= s["cos_best"] + 1e-9


def test_signals_without_any_sentence(fake_embeddings):
    view = StatementView("Rutte leads NATO.", "not_enough_info", 0.5, cited=[], retrieved=[])
    s = compute(view, fake_embeddings)
    assert s["cos_best"] == 0.0 and s["n_evidence"] == 0.0 and s["model_nei"] == 1.0


def test_classifier_probabilities_sum_to_one_and_follow_the_weights():
    clf = _classifier({"cos_best": (5.0, 0.0, -5.0)})
    high = clf.probabilities({n: (0.9 if n == "cos_best" else 0.0) for n in NAMES})
    low = clf.probabilities({n: (-0.9 if n == "cos_best" else 0.0) for n in NAMES})
    assert abs(sum(high.values()) - 1.0) < 1e-9
    assert max(high, key=high.get) == "supported"
    assert max(low, key=low.get) == "not_enough_info"


def test_missing_or_broken_classifier_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no-such-model"):
        VerdictClassifier.load("no-such-model")
    with pytest.raises(KeyError):
        VerdictClassifier.from_json(json.loads('{"id": "x"}'))


def test_every_pipeline_loads_its_prompt_and_verdict_model():
    assert len(pipeline_ids()) <= 5 and set(ALIASES.values()) == set(pipeline_ids())
    for pipeline in map(get_pipeline, pipeline_ids()):
        classify = [s for s in pipeline.stages if isinstance(s, Classify)]
        assert (pipeline.verdict_model is None) == (not classify)
        for stage in classify:
            # weights trained on the signals that exist: the base signals plus those of earlier stages
            earlier = pipeline.stages[: pipeline.stages.index(stage)]
            allowed = set(NAMES)
            allowed |= set(ODDS_NAMES) if any(isinstance(s, VerdictOdds) for s in earlier) else set()
            allowed |= set(PAIR_NAMES) if any(isinstance(s, PairOdds) for s in earlier) else set()
            for projector in (s for s in earlier if isinstance(s, ProjectState)):
                allowed |= set(projector.projection.names)
                # the projection reads states a ReplyStates stage before it has read
                assert any(isinstance(s, ReplyStates) for s in earlier[: earlier.index(projector)]), (
                    pipeline.id
                )
            assert set(stage.model.features) <= allowed, pipeline.id
        if pipeline.fallback is not None:  # what a server backend runs needs no token probabilities
            assert pipeline.for_backend(False).for_backend(False).id == pipeline.fallback
    with pytest.raises(ConfigError, match="unknown pipeline 'check.v99'; choose one of: default, "):
        get_pipeline("check.v99")
    # A retired version names the commit that last had it.
    with pytest.raises(ConfigError, match=f"'check.v17' was retired; commit {RETIRED_AT} is the last"):
        get_pipeline("check.v17")
    assert get_pipeline("default") is get_pipeline("check.v21")  # built once, by either name


def _draft(text: str, verdict, cited: list[str], shown: list[str]) -> Draft:
    sentences = [Sentence("d", i, 0, len(t), t) for i, t in enumerate(shown)]
    st = DraftStatement(text=text, model_verdict=verdict, model_confidence=0.8)
    st.cited_sentences = [s for s in sentences if s.text in cited]
    st.evidence = list(st.cited_sentences)
    return Draft(mode="claim", text=text, shown=sentences, statements=[st])


def _env(embeddings) -> StageEnv:
    return StageEnv(MemoEmbeddings(embeddings), lambda d: None, lambda d: "")


def test_a_pipeline_without_classifier_keeps_the_model_verdict(fake_embeddings):
    draft = _draft("x", "refuted", [], [])
    Aggregate().run(draft, _env(fake_embeddings))
    st = draft.statements[0]
    assert (st.verdict, st.confidence, st.note, st.signals) == ("refuted", 0.8, None, None)
    assert (draft.verdict, draft.confidence) == ("refuted", 0.8)


def test_stage_overrides_with_a_note_and_policy_runs_after(fake_embeddings):
    # A classifier that always says supported: with evidence it stands, without evidence the policy
    # turns it into not_enough_info, and each change is explained.
    stage = Classify(_classifier({}, bias=(3.0, 0.0, 0.0)))
    with_ev = _draft("Congress passed a law in 2023.", "refuted", [LAW], [LAW])
    stage.run(with_ev, _env(fake_embeddings))
    st = with_ev.statements[0]
    assert st.verdict == "supported" and "first reading was “contradicted by your sources”" in st.note
    assert 0.0 < st.confidence <= 1.0 and st.signals is not None
    without = _draft("Congress passed a law.", "supported", [], [LAW])
    stage.run(without, _env(fake_embeddings))
    assert without.statements[0].verdict == "not_enough_info"
    assert "no verified evidence" in without.statements[0].note


def test_hybrid_retrieval_finds_a_lexical_match_and_stays_in_the_filter(seeded_store, fake_embeddings):
    query = "Gesetzesergänzung 2023"
    hits = hybrid_search(seeded_store, fake_embeddings.embed_query(query), query, k=5)
    assert any("2023" in h.text for h in hits)
    assert len(hits) <= 5 and len({(h.doc_id, h.sentence_id) for h in hits}) == len(hits)
    assert hybrid_search(seeded_store, fake_embeddings.embed_query(query), query, k=5, doc_id="nope") == []


def test_the_model_pipeline_keeps_the_models_verdicts_and_reports_its_id(
    seeded_store, fake_embeddings, structured_fake, fake_chat_model
):
    retriever = SentenceRetriever(store=seeded_store, embeddings=fake_embeddings, k=3)
    checker = Checker(seeded_store, retriever, structured_fake, pipeline="model")
    assert checker.retriever is retriever and retriever.mode == "dense"  # the mode is given per call
    fake_chat_model.enqueue(
        {"statements": [{"text": "A law.", "sentences": [1], "verdict": "supported", "confidence": 0.8}]}
    )
    result = checker.check("Gesetzesergänzung 2023")
    assert result.pipeline == "check.v1" and result.prompt_version == "check.v1"
    assert result.statements[0].note is None and result.statements[0].signals is None


def test_the_server_pipeline_decides_with_the_shipped_classifier_and_shows_its_signals(
    seeded_store, fake_embeddings, structured_fake, fake_chat_model
):
    retriever = SentenceRetriever(store=seeded_store, embeddings=fake_embeddings, k=3)
    checker = Checker(seeded_store, retriever, structured_fake, pipeline="server")
    fake_chat_model.enqueue(
        {
            "statements": [
                {
                    "text": "Congress passed a law in 2023.",
                    "sentences": [1],
                    "verdict": "refuted",
                    "confidence": 0.9,
                },
                {"text": "Rutte is Dutch.", "sentences": [], "verdict": "supported", "confidence": 0.9},
            ]
        }
    )
    result = checker.check("Gesetzesergänzung 2023")
    first, second = result.statements
    assert set(first.signals) == set(NAMES) and 0.0 <= first.confidence <= 1.0
    assert (first.note is None) == (first.verdict == "refuted")
    # Without verified evidence nothing is supported or refuted, whatever the model or the classifier say.
    assert second.verdict == "not_enough_info" and second.note
    assert result.pipeline == "check.v22"


def test_memo_embeddings_embed_each_text_once(fake_embeddings):
    from assistant.judge.verdict_model import MemoEmbeddings

    calls: list[list[str]] = []

    class Counting(type(fake_embeddings)):
        def embed_documents(self, texts):
            calls.append(list(texts))
            return super().embed_documents(texts)

    memo = MemoEmbeddings(Counting(), size=3)
    first = memo.embed_documents(["a b", "c d", "a b"])
    assert calls == [["a b", "c d"]]
    assert first[0] == first[2] == fake_embeddings.embed_documents(["a b"])[0]
    memo.embed_documents(["c d", "e f"])
    assert calls[-1] == ["e f"]
    memo.embed_documents(["g h"])  # size 3: "a b", the least recently used, makes room
    memo.embed_documents(["c d", "a b"])
    assert calls[-1] == ["a b"]


def test_claim_calibration_maps_confidence_monotonically_and_is_optional():
    data = {
        "id": "cal",
        "classes": ["supported", "refuted", "not_enough_info"],
        "features": list(NAMES),
        "mean": [0.0] * len(NAMES),
        "scale": [1.0] * len(NAMES),
        "coef": [[0.0] * len(NAMES)] * 3,
        "intercept": [0.0, 0.0, 0.0],
    }
    plain = VerdictClassifier.from_json(data)
    assert plain.calibrate_claim(0.93) == 0.93
    shrink = VerdictClassifier.from_json({**data, "claim_calibration": {"a": 0.4, "b": 0.25}})
    mapped = [shrink.calibrate_claim(c) for c in (0.05, 0.5, 0.95, 1.0)]
    assert mapped == sorted(mapped) and all(0.0 < m < 1.0 for m in mapped)
    assert mapped[2] < 0.95 and mapped[0] > 0.05  # an overconfident aggregate is pulled in
    draft = _draft("x", "supported", [], [])
    draft.confidence = 0.95
    CalibrateClaim(shrink).run(draft, _env(None))
    assert draft.confidence == mapped[2]


def test_shipped_calibrated_classifier_carries_its_map():
    for model_id in ("verdict.v4", "verdict.v9"):
        assert VerdictClassifier.load(model_id).claim_calibration is not None
    # Only the weights a registered pipeline reads are shipped.
    from importlib import resources

    shipped = {
        p.name for p in resources.files("assistant.verdict_models").iterdir() if p.name.endswith(".json")
    }
    used = {get_pipeline(i).verdict_model for i in pipeline_ids()} - {None}
    assert shipped == {f"{m}.json" for m in used}
