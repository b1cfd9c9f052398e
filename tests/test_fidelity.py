"""The fidelity stage: a statement that changes a slot of the claim is a correction, never support (#29)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from assistant.check import Checker
from assistant.judge.aggregate import Aggregate, CalibrateClaim, CapClaim
from assistant.judge.citations import Citations
from assistant.judge.fidelity import (
    SOURCE_CORRECTION_CONFIDENCE,
    Fidelity,
    RefuteByCorrection,
    slot_changes,
    source_correction,
)
from assistant.judge.scope import Scope
from assistant.judge.uncertain import MarkUncertain
from assistant.pipelines import Pipeline, get_pipeline
from assistant.records import Sentence
from assistant.retrieve import SentenceRetriever

from .fakes import FakeEmbeddings

#: (claim, the model's statement, the slot it changes, the value a seed sentence states, or None when no
#: sentence of the seed states the statement's value either).
REWRITTEN = [
    ("Mike Lee ist ein demokratischer Senator aus Utah.", "Mike Lee is a Republican Senator from Utah.",
     "party", "Republican"),
    ("Scott Anderson works at the Heritage Foundation.", "Scott Anderson works at the Brookings Institution.",
     "name", "Brookings Institution"),
    ("In 2021 the US Congress passed an amendment about leaving NATO.",
     "In 2023 the US Congress passed an amendment about leaving NATO.", "year", "2023"),
    ("Ending NATO membership needs a three-quarters majority in the Senate.",
     "Ending NATO membership needs a two-thirds majority in the Senate.", "number", "2/3"),
    ("Mike Lee is a senator from Texas.", "Mike Lee is a senator from Ohio.", "name", None),
    ("Elon Musk did not share a post on X.", "Elon Musk shared a post on X.", "negation", "otherwise"),
]  # fmt: skip


class KinEmbeddings(FakeEmbeddings):
    """The fake bag of words, with one dimension shared by words of a kind (institutions, places): two such
    names are as alike as a multilingual embedder makes them (cosine 0.43), and not translations."""

    KIND = frozenset({"heritage", "foundation", "brookings", "institution", "texas", "ohio", "utah"})

    def _vec(self, text: str) -> list[float]:
        words = [w.strip('.,„“"').lower() for w in text.split()]
        v = np.zeros(self.dim)
        for word in words:
            v[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        v[0] += 1.5**0.5 * sum(w in self.KIND for w in words) / 2
        n = np.linalg.norm(v)
        return (v / n if n else np.eye(self.dim)[0]).tolist()


@pytest.fixture
def fake_embeddings() -> FakeEmbeddings:
    """This module's embeddings: the fake bag of words with names of a kind alike (the store's too)."""
    return KinEmbeddings()


def _pipeline(min_alignment: float = 0.0) -> Pipeline:
    return Pipeline(
        "test.fidelity",
        prompt="check.v1",
        retrieval="dense",
        # The fake embeddings are bags of words: an English statement of a German claim is far from it.
        stages=(
            Fidelity(min_alignment),
            Scope(whole_claim=True),
            Citations(),
            Aggregate(),
            RefuteByCorrection(),
        ),
        screen=True,
        description="test: the fidelity stages around the model's own verdicts",
    )


def _check(
    seeded_store,
    fake_embeddings,
    structured_fake,
    fake_chat_model,
    claim: str,
    statement: str,
    min_alignment=0.0,
):
    retriever = SentenceRetriever(
        store=seeded_store, embeddings=fake_embeddings, k=50
    )  # every seed sentence shown
    checker = Checker(seeded_store, retriever, structured_fake, pipeline="check.v1")
    checker.pipeline = _pipeline(min_alignment)
    fake_chat_model.enqueue(
        {
            "statements": [
                {"text": statement, "sentences": [1, 2, 3], "verdict": "supported", "confidence": 0.96}
            ]
        }
    )
    return checker.check(claim)


@pytest.mark.parametrize(("claim", "statement", "slot", "source_value"), REWRITTEN)
def test_a_rewritten_claim_is_never_supported(
    seeded_store, fake_embeddings, structured_fake, fake_chat_model, claim, statement, slot, source_value
):
    result = _check(seeded_store, fake_embeddings, structured_fake, fake_chat_model, claim, statement)
    assert result.verdict != "supported"
    (correction,) = result.corrections
    assert correction.text == statement and correction.slot == slot
    # No statement that changes a slot of the claim is shown as supporting it.
    for st in result.statements:
        assert st.verdict != "supported" or not slot_changes(claim, st.text)
    if source_value is None:
        assert not correction.confirmed and result.verdict == "not_enough_info"
        return
    assert correction.confirmed and result.verdict == "refuted"
    assert correction.reason.startswith(f"the source says {source_value}")
    (span,) = correction.evidence
    assert source_value.split()[0].lower()[:6] in span.text.lower() or slot in ("number", "year", "negation")
    # The refutation is a statement of its own, with the span and the correction as its note.
    refuting = result.statements[-1]
    assert (refuting.text, refuting.verdict, refuting.note) == (claim, "refuted", correction.reason)
    assert refuting.evidence == correction.evidence
    assert result.confidence <= max(s.confidence for s in result.statements if s.verdict == "refuted")


def test_a_statement_far_from_the_claim_is_taken_out_but_refutes_nothing(
    seeded_store, fake_embeddings, structured_fake, fake_chat_model
):
    claim, statement = REWRITTEN[0][:2]  # a cosine of 0.5 under the fake embeddings
    result = _check(seeded_store, fake_embeddings, structured_fake, fake_chat_model, claim, statement, 0.7)
    assert result.corrections == []  # far from the claim: set aside, shown with why, corrects nothing
    (aside,) = result.set_aside
    assert aside.text == statement and "speaks of more than the claim does" in aside.reason
    assert result.verdict == "not_enough_info" and result.statements == []


def test_a_faithful_statement_is_judged_as_before(
    seeded_store, fake_embeddings, structured_fake, fake_chat_model
):
    claim = "Mike Lee ist republikanischer Senator aus Utah."
    result = _check(
        seeded_store,
        fake_embeddings,
        structured_fake,
        fake_chat_model,
        claim,
        "Mike Lee ist Senator aus Utah.",
    )
    assert result.corrections == [] and result.verdict == "supported"


@pytest.mark.parametrize(
    ("claim", "statement"),
    [
        ("Mike Lee is a Republican senator.", "Mike Lee is a senator."),  # a part, not a change
        (
            "In 2023 Congress passed a law and a two-thirds majority is needed.",
            "Congress passed a law in 2023.",
        ),
        ("Elon Musk cannot leave NATO.", "Elon Musk can't leave NATO."),
        (
            "Lee schrieb auf X: Lasst uns aus der NATO austreten.",
            "Lee wrote on X that the US should leave NATO.",
        ),
    ],
)
def test_parts_and_rewordings_change_no_slot(claim, statement):
    # No name is a translation of another, and putting one back makes no restatement.
    assert slot_changes(claim, statement, lambda a, b: 0.0) == []


def test_a_name_in_another_language_is_no_change():
    same = {("USA", "United States"): 0.85}
    assert (
        slot_changes(
            "Die USA würden Ressourcen aufwenden.",
            "The United States would spend resources.",
            lambda a, b: same.get((a, b), 0.3),
        )
        == []
    )
    # Another name: no translation of the claim's, and with the claim's name put back the two are the same.
    (change,) = slot_changes(
        "Mark Rutte leads NATO.", "Jens Stoltenberg leads NATO.", lambda a, b: float(a == b)
    )
    assert (change.slot, change.claim_value, change.statement_value) == (
        "name",
        "Mark Rutte",
        "Jens Stoltenberg",
    )


def test_the_fidelity_pipeline_corrects_before_scope_and_refutes_before_the_mark():
    kinds = [type(s) for s in get_pipeline("check.v21").stages]
    assert kinds[0] is Fidelity and kinds.index(Fidelity) < kinds.index(Scope)
    assert kinds.index(CalibrateClaim) < kinds.index(CapClaim) < kinds.index(RefuteByCorrection)
    assert kinds.index(RefuteByCorrection) < kinds.index(MarkUncertain)
    assert get_pipeline("check.v21").verdict_model == get_pipeline("check.v19").verdict_model


@pytest.mark.parametrize(
    ("verdicts", "confidences", "calibrated", "capped"),
    [
        (["supported"], [0.55], 0.9, 0.55),  # never above its only statement
        (["supported", "supported"], [0.9, 0.7], 0.8, 0.7),  # the weakest supported statement
        (["refuted", "supported"], [0.6, 0.95], 0.85, 0.6),  # the most confident refutation
        (["supported"], [0.9], 0.75, 0.75),  # a lower calibrated confidence stands
    ],
)
def test_the_claim_confidence_stays_within_its_statements(verdicts, confidences, calibrated, capped):
    from assistant.judge import Draft, DraftStatement, StageEnv
    from assistant.judge.aggregate import aggregate_verdict

    statements = [
        DraftStatement(f"s{i}", v, c) for i, (v, c) in enumerate(zip(verdicts, confidences, strict=True))
    ]
    draft = Draft("claim", "c", [], statements, verdict=aggregate_verdict(verdicts), confidence=calibrated)
    CapClaim().run(draft, StageEnv(None, lambda d: None, lambda d: ""))  # type: ignore[arg-type]
    assert draft.confidence == capped


YEAR_SENTENCE = (
    "Im Jahr 2023 verabschiedete der US-Kongress eine Gesetzesergänzung, die besagt, dass ein Präsident "
    "nicht eigenmächtig aus der NATO austreten kann."
)


def test_a_claim_the_model_restates_is_compared_with_the_closest_sentence(
    seeded_store, fake_embeddings, structured_fake, fake_chat_model
):
    # The model restates the claim (one slot changed from the source) and calls it supported.
    claim = YEAR_SENTENCE.replace("2023", "2021")
    result = _check(seeded_store, fake_embeddings, structured_fake, fake_chat_model, claim, claim)
    assert result.verdict == "refuted"
    (correction,) = result.corrections
    assert (correction.slot, correction.claim_value, correction.source_value) == ("year", "2021", "2023")
    assert correction.confirmed and correction.text == YEAR_SENTENCE
    assert correction.reason == "the source says 2023, not 2021"
    (span,) = correction.evidence
    assert seeded_store.get_document(span.doc_id).text[span.start : span.end] == YEAR_SENTENCE
    # The statement that restated the claim is refuted by the same sentence, and not repeated: one verdict,
    # one story.
    (restated,) = result.statements
    assert (restated.text, restated.verdict, restated.note) == (claim, "refuted", correction.reason)
    assert restated.evidence == correction.evidence
    assert result.confidence == SOURCE_CORRECTION_CONFIDENCE


def _sentences(*texts: str) -> list[Sentence]:
    return [Sentence("doc", i, 0, len(t), t) for i, t in enumerate(texts)]


#: A similarity for the pure functions: the scores a multilingual embedder gives such pairs.
KIN = {
    frozenset(("Texas", "Utah")): 0.54,
    frozenset(("Lateinamerika", "Europa")): 0.45,
    frozenset(("Lateinamerika", "Afrika")): 0.47,
    frozenset(("Lateinamerika", "Westasien")): 0.40,
    frozenset(("Trump", "Erwägung")): 0.33,
    frozenset(("Trump", "Wladimir Putin")): 0.45,
}


def _similarity(a: str, b: str) -> float:
    if frozenset((a, b)) in KIN:
        return KIN[frozenset((a, b))]
    if a == b:
        return 1.0
    words_a, words_b = set(a.split()), set(b.split())
    return 0.3 + 0.7 * len(words_a & words_b) / max(len(words_a | words_b), 1)  # sentences: shared words


@pytest.mark.parametrize(
    ("claim", "sentence", "found"),
    [
        # one name for another of its kind: the source names the claim's other value
        ("Senator Mike Lee aus Texas schloss sich an.", "Senator Mike Lee aus Utah schloss sich an.", "Utah"),
        # a capitalised German noun is no name standing for the claim's
        ("Trump würde einen Austritt erwägen.", "Er würde einen Austritt in Erwägung ziehen.", None),
        # one of a list: the source does not say which of its names would stand for the claim's
        (
            "Washington könnte seine Präsenz in Lateinamerika nicht halten.",
            "Washington könnte seine Präsenz in Europa, Afrika und Westasien nicht halten.",
            None,
        ),
        # a name written out ("Wladimir Putin" for "Putin") stands for no other name
        (
            "Trump vermittelt zwischen Putin und Selenskyj.",
            "Er vermittelt zwischen Wladimir Putin und Selenskyj.",
            None,
        ),
        # a changed year in a sentence about the same event …
        (
            "Im Jahr 2021 verabschiedete der Kongress das Gesetz.",
            "Im Jahr 2023 verabschiedete der Kongress das Gesetz.",
            "2023",
        ),
        # … and in a sentence not that close, which may be about another event (cosine 0.65 here)
        ("Im Jahr 2018 kam der Film in das Register.", "Im Jahr 1988 kam der Film in die Kinos.", None),
        # two slots changed: the sentence speaks of something else
        ("Im Jahr 2021 kamen 3 Senatoren.", "Im Jahr 2023 kamen 5 Senatoren.", None),
        # a negation is the model's to judge, not a word count's
        ("Der Präsident kann austreten.", "Der Präsident kann nicht austreten.", None),
    ],
)
def test_the_claim_against_a_source_sentence(claim, sentence, found):
    result = source_correction(claim, _sentences(sentence), _similarity)
    assert (result[1].statement_value if result else None) == found


def test_a_sentence_far_from_the_claim_is_not_compared():
    claim, sentence = "Senator Mike Lee aus Texas.", "Der Senator Mike Lee aus Utah schloss sich Musk an."
    assert source_correction(claim, _sentences(sentence), lambda a, b: 0.5 if a == claim else 0.54) is None


@pytest.mark.parametrize("pipeline", ["check.v21", "check.v22"])
@pytest.mark.parametrize(("claim", "statement", "slot", "source_value"), REWRITTEN)
def test_no_registered_pipeline_supports_a_rewritten_claim(
    seeded_store,
    fake_embeddings,
    structured_fake,
    fake_chat_model,
    pipeline,
    claim,
    statement,
    slot,
    source_value,
):
    """The default and the server pipeline: no result is supported while a statement changes a slot."""
    retriever = SentenceRetriever(store=seeded_store, embeddings=fake_embeddings, k=5)
    checker = Checker(seeded_store, retriever, structured_fake, pipeline=pipeline)
    fake_chat_model.enqueue(
        {"statements": [{"text": statement, "sentences": [1, 2], "verdict": "supported", "confidence": 0.96}]}
    )
    result = checker.check(claim)
    assert result.pipeline == pipeline and result.verdict != "supported"
    assert not [s for s in result.statements if s.verdict == "supported" and slot_changes(claim, s.text)]


def test_of_two_close_sentences_the_one_about_the_claims_subject_is_compared():
    claim = "The Democratic Senator Mike Lee from Utah joined Musk."
    neighbour = "Elon Musk ist ein Mann, auf den der Präsident hört."  # as close, but about Trump
    source = "Der republikanische Senator Mike Lee aus Utah schloss sich Musk an."
    found = source_correction(claim, _sentences(neighbour, source), lambda a, b: 1.0 if a == b else 0.62)
    assert found is not None and found[0].text == source
    assert (found[1].slot, found[1].claim_value, found[1].statement_value) == (
        "party",
        "Democratic",
        "Republican",
    )
