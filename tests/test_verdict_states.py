"""The model's hidden state at each verdict (ReplyStates) and its projection into signals (ProjectState)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.check import Checker
from assistant.errors import ConfigError
from assistant.judge import Draft, DraftStatement, StageEnv
from assistant.judge.odds import VerdictOdds, verdict_slots
from assistant.judge.scope import Scope
from assistant.judge.states import ProjectState, ReplyStates, StateProjection
from assistant.judge.verdict_model import MemoEmbeddings
from assistant.llm import StructuredChat
from assistant.retrieve import SentenceRetriever

from .conftest import stage_pipeline
from .fakes import StatefulFakeChatModel, cached_chat
from .test_verdict_odds import REPLY

DIM = 4


@pytest.fixture
def stateful_chat(tmp_path) -> tuple[StructuredChat, StatefulFakeChatModel]:
    model = StatefulFakeChatModel()
    return cached_chat(model, tmp_path), model


def projection(k: int = 2) -> StateProjection:
    rng = np.random.default_rng(0)
    return StateProjection.from_json(
        {"mean": [1.0] * DIM, "scale": [2.0] * DIM, "components": rng.normal(size=(k, DIM)).tolist()}
    )


def env_of(fake_embeddings, state=None) -> StageEnv:
    return StageEnv(MemoEmbeddings(fake_embeddings), lambda d: None, lambda d: "", state=state)


def test_checker_reads_each_kept_statement_state_at_its_own_verdict(
    seeded_store, fake_embeddings, stateful_chat
):
    chat, model = stateful_chat
    retriever = SentenceRetriever(store=seeded_store, embeddings=fake_embeddings, k=3)
    checker = Checker(
        seeded_store, retriever, chat, pipeline=stage_pipeline(Scope(), VerdictOdds(), ReplyStates())
    )
    model.enqueue(REPLY)
    draft = checker.draft("Gesetzesergänzung 2023")
    reply = json.dumps(REPLY)
    texts = [s["text"] for s in REPLY["statements"]]
    kept = [texts.index(st.text) for st in draft.statements]
    assert kept and model._read == [reply[: verdict_slots(reply)[i]] for i in reversed(kept)]
    for st, i in zip(draft.statements, kept, strict=True):
        assert st.state is not None and st.state[0] == float(verdict_slots(reply)[i])
    # The state is read where the odds are scored (in reply order): the same prefixes.
    assert [p for p, _ in model._scored] == model._read[::-1]
    # States stay out of the result a user sees (they are 1,536 numbers a statement).
    assert '"state"' not in checker.check("Gesetzesergänzung 2023").model_dump_json()


def test_states_are_read_last_statement_first_so_the_kv_cache_holds_every_prefix(fake_embeddings):
    reply = json.dumps(REPLY)
    statements = [
        DraftStatement(text=s["text"], model_verdict=s["verdict"], model_confidence=None, position=i)
        for i, s in enumerate(REPLY["statements"])
    ]
    draft = Draft(mode="claim", text="c", shown=[], statements=statements, reply=reply)
    read: list[str] = []
    ReplyStates().run(draft, env_of(fake_embeddings, state=lambda prefix: read.append(prefix) or [0.0] * DIM))
    slots = verdict_slots(reply)
    assert len(slots) > 1 and read == [reply[:slot] for slot in reversed(slots)]
    assert all(st.state == [0.0] * DIM for st in statements)


def test_states_are_cached_like_replies(stateful_chat):
    chat, model = stateful_chat
    first = chat.reply_state("sys", "user", '{"verdict": "', prompt_id="p")
    again = chat.reply_state("sys", "user", '{"verdict": "', prompt_id="p")
    other = chat.reply_state("sys", "other user", '{"verdict": "', prompt_id="p")
    assert first == again and len(model._read) == 2 and other is not None


def test_a_backend_without_states_leaves_the_components_at_the_training_mean(fake_embeddings):
    from .conftest import FakeChatModel

    chat = StructuredChat(chat_model=FakeChatModel(), name="fake", schema_kwargs=lambda s: {})
    assert chat.reply_state("s", "u", "x") is None
    st = DraftStatement(text="A law.", model_verdict="refuted", model_confidence=0.7, position=0)
    draft = Draft(mode="claim", text="A law.", shown=[], statements=[st], reply=json.dumps(REPLY))
    ReplyStates().run(draft, env_of(fake_embeddings, state=lambda prefix: None))
    assert st.state is None
    ProjectState(projection()).run(draft, env_of(fake_embeddings))
    assert st.measured == {"state_1": 0.0, "state_2": 0.0}


def test_projection_standardises_then_projects():
    p = projection(3)
    state = [3.0, 1.0, -1.0, 5.0]
    expected = p.components @ ((np.array(state) - 1.0) / 2.0)
    signals = p.signals(state)
    assert list(signals) == ["state_1", "state_2", "state_3"]
    assert np.allclose(list(signals.values()), expected, atol=1e-4)
    # A state of another size (another model) is not projected: it stands at the mean.
    assert set(p.signals([1.0, 2.0]).values()) == {0.0}


def test_projections_are_the_same_only_with_the_same_numbers_and_shapes():
    assert projection(2).same_as(projection(2))
    assert not projection(2).same_as(projection(3))
    shifted = StateProjection(projection(2).mean + 1.0, projection(2).scale, projection(2).components)
    assert not projection(2).same_as(shifted)


def test_a_projection_whose_shapes_differ_or_that_is_missing_is_a_clear_error():
    with pytest.raises(ValueError, match="shapes"):
        StateProjection.from_json({"mean": [0.0] * 3, "scale": [1.0] * 3, "components": [[1.0] * 4]})
    with pytest.raises(ConfigError, match="no readable state projection"):
        StateProjection.load("verdict.v4")


def test_the_default_decides_on_the_projected_states(seeded_store, fake_embeddings, stateful_chat):
    chat, model = stateful_chat
    retriever = SentenceRetriever(store=seeded_store, embeddings=fake_embeddings, k=3)
    checker = Checker(seeded_store, retriever, chat, pipeline="default")
    model.enqueue(REPLY)
    result = checker.check("Gesetzesergänzung 2023")
    names = ProjectState.load("verdict.v9").projection.names
    assert len(names) == 32 and result.statements
    for st in result.statements:
        assert st.signals is not None and set(names) <= set(st.signals)
        assert st.model_probabilities is not None
