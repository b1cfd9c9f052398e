"""Stages: the claim's verdict and confidence from its statements, and the calibration of that confidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..schemas import Verdict
from . import MODES, Draft, Mode, StageEnv
from .verdict_model import VerdictClassifier


def aggregate_verdict(verdicts: Sequence[Verdict]) -> Verdict:
    """Refuted if any statement is refuted, supported if all are supported, else not_enough_info."""
    if any(v == "refuted" for v in verdicts):
        return "refuted"
    if verdicts and all(v == "supported" for v in verdicts):
        return "supported"
    return "not_enough_info"


class Judgement(Protocol):
    """Anything with a verdict and a confidence: a statement, or a training row."""

    @property
    def verdict(self) -> Verdict:
        """The statement's verdict."""
        ...

    @property
    def confidence(self) -> float:
        """The statement's confidence."""
        ...


def aggregate_confidence(statements: Sequence[Judgement], verdict: Verdict) -> float:
    """Confidence of the claim verdict.

    Refuted: the most confident refutation decides. Supported: the chain is as strong as its weakest
    statement. Not enough info: the mean over statements.
    """
    if not statements:
        return 0.0
    if verdict == "refuted":
        return max(s.confidence for s in statements if s.verdict == "refuted")
    if verdict == "supported":
        return min(s.confidence for s in statements)
    return sum(s.confidence for s in statements) / len(statements)


@dataclass(frozen=True)
class Aggregate:
    """The claim verdict and confidence from the statements' (confidences rounded as shown)."""

    modes: frozenset[Mode] = field(default=MODES)

    def run(self, draft: Draft, env: StageEnv) -> None:
        """Set the draft's verdict and confidence."""
        for st in draft.statements:
            st.confidence = round(min(1.0, max(0.0, st.confidence)), 3)
        draft.verdict = aggregate_verdict([st.verdict for st in draft.statements])
        draft.confidence = aggregate_confidence(draft.statements, draft.verdict)


@dataclass(frozen=True)
class CalibrateClaim:
    """Platt scaling of the claim confidence, as fitted with a verdict model (its ``claim_calibration``)."""

    model: VerdictClassifier
    modes: frozenset[Mode] = field(default=frozenset(("claim",)))

    @classmethod
    def load(cls, model_id: str) -> CalibrateClaim:
        """The calibration shipped with the verdict model ``model_id``."""
        return cls(VerdictClassifier.load(model_id))

    def run(self, draft: Draft, env: StageEnv) -> None:
        """Map the claim confidence (a claim with no statement keeps 0)."""
        if draft.statements:
            draft.confidence = self.model.calibrate_claim(draft.confidence)


@dataclass(frozen=True)
class CapClaim:
    """Keeps the claim's confidence within what its statements allow (after calibration, check.v21 on).

    Calibration maps the claim confidence as fitted on dev claims; it can put a claim above its only
    statement's confidence, and the reader then sees two numbers that tell two stories. The claim is capped
    at :func:`aggregate_confidence` of its statements: the weakest supported statement, the most confident
    refutation, the mean for not enough info.
    """

    modes: frozenset[Mode] = field(default=frozenset(("claim",)))

    def run(self, draft: Draft, env: StageEnv) -> None:
        """Cap the claim confidence (a claim with no statement keeps its own)."""
        if draft.statements:
            draft.confidence = min(draft.confidence, aggregate_confidence(draft.statements, draft.verdict))
