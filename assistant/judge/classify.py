"""Stage: the verdict from a trained classifier over the model's verdict and the measured signals.

The classifier (:class:`~assistant.judge.verdict_model.VerdictClassifier`, weights in
``assistant/verdict_models/``) sees the signals of :mod:`assistant.judge.signals` plus whatever earlier stages
measured (``DraftStatement.measured``); its probability is the statement's confidence. The policy rules of
:func:`~assistant.judge.verdict_model.apply_policy` run after it, each leaving a note when it changes the
verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from langchain_core.embeddings import Embeddings

from ..wording import changed_reading
from . import MODES, Draft, DraftStatement, Mode, StageEnv
from .signals import StatementView, compute
from .verdict_model import VerdictClassifier, apply_policy


def view_of(st: DraftStatement, draft: Draft) -> StatementView:
    """What the signals are computed from: the statement, the model's verdict, the sentences."""
    return StatementView(
        text=st.text,
        model_verdict=st.model_verdict,
        model_confidence=0.5 if st.model_confidence is None else st.model_confidence,
        cited=[s.text for s in st.cited_sentences],
        retrieved=[s.text for s in draft.shown],
    )


def signals_of(st: DraftStatement, draft: Draft, embeddings: Embeddings) -> dict[str, float]:
    """Every signal the classifier may read for one statement: the base signals and the stages' own."""
    return {**compute(view_of(st, draft), embeddings), **st.measured}


@dataclass(frozen=True)
class Classify:
    """Replaces each statement's verdict and confidence by the classifier's, then applies the rules."""

    model: VerdictClassifier
    modes: frozenset[Mode] = field(default=MODES)

    @classmethod
    def load(cls, model_id: str) -> Classify:
        """The stage with the shipped classifier ``model_id`` (``assistant/verdict_models/``)."""
        return cls(VerdictClassifier.load(model_id))

    @property
    def model_id(self) -> str:
        """The classifier's id."""
        return self.model.id

    def run(self, draft: Draft, env: StageEnv) -> None:
        """Decide every statement."""
        model = self.model
        for st in draft.statements:
            signals = signals_of(st, draft, env.embeddings)
            probs = model.probabilities(signals)
            verdict = max(probs, key=lambda c: probs[c])
            note = None
            if verdict != st.model_verdict:
                note = changed_reading(st.model_verdict, verdict)
            outcome = apply_policy(st.text, verdict, [s.text for s in st.cited_sentences])
            if outcome.verdict != verdict:
                note = outcome.note
                verdict = outcome.verdict
            st.verdict = verdict
            st.confidence = round(probs.get(verdict, 0.0), 3)
            st.note = note
            st.signals = {k: round(v, 4) for k, v in signals.items()}
