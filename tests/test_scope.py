"""The scope stage: statements that are not part of the claim are set aside, shown, and never judged."""

from __future__ import annotations

import pytest

from assistant.check import Checker
from assistant.judge.aggregate import Aggregate
from assistant.judge.citations import Citations
from assistant.judge.scope import Scope, scope_statements
from assistant.pipelines import Pipeline
from assistant.render import render_result
from assistant.retrieve import SentenceRetriever

CLAIM = "Laut Artikel spielt Musk in der Trump-Administration eine zentrale Rolle."
SOURCE = "Elon Musk begleitet den Präsidenten zu Kabinettssitzungen und Pressekonferenzen im Oval Office."
OTHER = "Der republikanische Senator Mike Lee aus Utah schloss sich ihm an."


def test_a_copied_source_sentence_is_set_aside_and_the_claim_kept(fake_embeddings):
    decisions = scope_statements(CLAIM, [CLAIM, SOURCE], [SOURCE, OTHER], fake_embeddings)
    assert decisions[0].keep and decisions[0].reason is None
    assert not decisions[1].keep and decisions[1].reason.startswith("not part of the claim")


def test_a_repeated_statement_is_set_aside(fake_embeddings):
    decisions = scope_statements(CLAIM, [CLAIM, CLAIM.upper().rstrip(".")], [SOURCE], fake_embeddings)
    assert [d.keep for d in decisions] == [True, False]
    assert decisions[1].reason == "repeats an earlier statement"


def test_a_part_of_the_claim_far_from_every_source_stays(fake_embeddings):
    # Not close to the claim as a whole, but closer to it than to any source sentence: the claim's own part.
    claim = "Lee kommt aus Utah und Musk spielt in der Trump-Administration eine zentrale Rolle."
    part = "Musk spielt eine zentrale Rolle."
    decisions = scope_statements(claim, [part], [OTHER], fake_embeddings)
    to_claim = decisions[0].claim_similarity
    assert to_claim < 0.7 and decisions[0].keep


def test_at_least_one_statement_always_stays(fake_embeddings):
    decisions = scope_statements(CLAIM, [SOURCE, OTHER], [SOURCE, OTHER], fake_embeddings)
    assert sum(d.keep for d in decisions) == 1
    assert scope_statements(CLAIM, [], [SOURCE], fake_embeddings) == []


SCOPED = Pipeline(
    "test.scope",
    prompt="check.v1",
    retrieval="dense",
    stages=(Scope(), Citations(), Aggregate()),
    description="scope only",
)


@pytest.fixture
def scoped_checker(seeded_store, fake_embeddings, structured_fake):
    retriever = SentenceRetriever(store=seeded_store, embeddings=fake_embeddings, k=5)
    return Checker(seeded_store, retriever, structured_fake, pipeline=SCOPED)


def _reply(*statements):
    return {
        "statements": [{"text": t, "sentences": [], "verdict": v, "confidence": 0.8} for t, v in statements]
    }


def test_set_aside_statements_do_not_decide_the_claim(scoped_checker, fake_chat_model, capsys):
    top = scoped_checker.retriever.invoke(CLAIM, k=5)[0].page_content
    fake_chat_model.enqueue(_reply((CLAIM, "not_enough_info"), (top, "refuted"), (CLAIM, "refuted")))
    result = scoped_checker.check(CLAIM)
    assert [s.text for s in result.statements] == [CLAIM]
    assert result.verdict == "not_enough_info"  # the stray "refuted" statements no longer decide it
    assert [a.reason.split(":")[0] for a in result.set_aside] == [
        "not part of the claim",
        "repeats an earlier statement",
    ]
    from rich.console import Console

    console = Console(width=200, record=True)
    render_result(result, console)
    assert "set aside" in console.export_text()


def test_answers_to_questions_are_not_scoped(scoped_checker, fake_chat_model):
    top = scoped_checker.retriever.invoke("Wer ist Lee?", k=5)[0].page_content
    fake_chat_model.enqueue(_reply((top, "supported"), (OTHER, "supported")))
    result = scoped_checker.answer("Wer ist Lee?")
    assert len(result.statements) == 2 and result.set_aside == []


def test_pipelines_without_a_scope_stage_keep_every_statement(seeded_store, fake_embeddings, structured_fake):
    retriever = SentenceRetriever(store=seeded_store, embeddings=fake_embeddings, k=5)
    checker = Checker(seeded_store, retriever, structured_fake, pipeline="check.v1")
    structured_fake.chat_model.enqueue(_reply((CLAIM, "supported"), (SOURCE, "refuted")))
    result = checker.check(CLAIM)
    assert len(result.statements) == 2 and result.set_aside == [] and result.verdict == "refuted"


PART = "Musk spielt eine zentrale Rolle."


def test_whole_claim_rule_keeps_only_the_statement_that_is_the_claim(fake_embeddings):
    # The claim restated word for word (case and punctuation aside) decides alone; its parts are set aside.
    restated = CLAIM.lower().rstrip(".")
    decisions = scope_statements(CLAIM, [PART, restated, CLAIM], [OTHER], fake_embeddings, whole_claim=True)
    assert [d.keep for d in decisions] == [False, True, False]
    assert decisions[0].reason == "part of statement 2, which restates the claim whole and decides it"
    assert decisions[2].reason == "repeats an earlier statement"


def test_whole_claim_rule_changes_nothing_without_a_restatement(fake_embeddings):
    statements = [PART, "Musk ist in der Trump-Administration."]
    plain = scope_statements(CLAIM, statements, [OTHER], fake_embeddings)
    assert scope_statements(CLAIM, statements, [OTHER], fake_embeddings, whole_claim=True) == plain
    # Off by default: check.v17 and earlier pipelines keep every part.
    assert all(d.keep for d in scope_statements(CLAIM, [CLAIM, PART], [OTHER], fake_embeddings))


def test_a_stray_addition_no_longer_refutes_a_claim_judged_whole(
    seeded_store, fake_embeddings, structured_fake, fake_chat_model
):
    pipeline = Pipeline(
        "test.whole",
        prompt="check.v1",
        retrieval="dense",
        stages=(Scope(whole_claim=True), Citations(), Aggregate()),
        description="whole-claim scope only",
    )
    retriever = SentenceRetriever(store=seeded_store, embeddings=fake_embeddings, k=5)
    checker = Checker(seeded_store, retriever, structured_fake, pipeline=pipeline)
    fake_chat_model.enqueue(_reply((CLAIM, "supported"), (PART, "refuted")))
    result = checker.check(CLAIM)
    assert [s.text for s in result.statements] == [CLAIM] and result.verdict == "supported"
    assert [a.text for a in result.set_aside] == [PART]
