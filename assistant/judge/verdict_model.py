"""What the verdict stage (:class:`assistant.judge.classify.Classify`) decides with: a classifier, then rules.

A 1.5B model's judgement is weak, so a pipeline version may replace its verdict by a small multinomial
logistic regression over the model's verdict and the measured signals of :mod:`assistant.judge.signals`,
trained on development data only (``research/train_verdict.py``); its probability is the confidence.
Weights ship as JSON in ``assistant/verdict_models/``; a weights file may also carry a Platt scaling of the
claim confidence (``claim_calibration``), fitted on the dev split's cross-validated claim verdicts.

The policy rules run after the classifier.

Each rule is general (no dataset-specific words or items) and leaves a note on the statement saying why its
verdict changed, so a reader sees the reasoning:
1. evidence required: "supported" or "refuted" without a verified span becomes not_enough_info;
2. hedged evidence: "supported" whose every evidence sentence only reports the fact as possible
   ("könnte", "could", "womöglich", …) while the statement asserts it, becomes not_enough_info;
3. year mismatch: "supported" for a statement naming a year that none of its evidence sentences contains,
   while they do name another year, becomes refuted.
"""

from __future__ import annotations

import functools
import json
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from importlib import resources
from typing import Any

from langchain_core.embeddings import Embeddings

from ..errors import ConfigError
from ..schemas import Verdict
from .signals import is_hedged, years

__all__ = [
    "MemoEmbeddings",
    "VerdictClassifier",
    "apply_policy",
    "is_hedged",
    "logit",
    "platt",
    "years",
]


@dataclass(frozen=True)
class PolicyOutcome:
    """The verdict after the policy, and why it changed (None when the model's verdict stands)."""

    verdict: Verdict
    note: str | None = None


def apply_policy(statement: str, verdict: Verdict, evidence_sentences: list[str]) -> PolicyOutcome:
    """Apply the rules above to one statement and the full sentences of its verified evidence."""
    if verdict in ("supported", "refuted") and not evidence_sentences:
        return PolicyOutcome("not_enough_info", "no verified evidence for this verdict")
    if verdict != "supported":
        return PolicyOutcome(verdict)
    if all(is_hedged(s) for s in evidence_sentences) and not is_hedged(statement):
        return PolicyOutcome("not_enough_info", "the source only reports this as possible")
    claimed, cited = years(statement), set().union(*(years(s) for s in evidence_sentences))
    if claimed and cited and not claimed & cited:
        return PolicyOutcome(
            "refuted", f"the source names {', '.join(sorted(cited))}, not {', '.join(sorted(claimed))}"
        )
    return PolicyOutcome(verdict)


def logit(confidence: float) -> float:
    """``log(c / (1 - c))`` with the confidence clipped away from 0 and 1 (the Platt scaling's input)."""
    c = min(1 - 1e-4, max(1e-4, confidence))
    return math.log(c / (1 - c))


def platt(confidence: float, a: float, b: float) -> float:
    """``sigmoid(a * logit(confidence) + b)``."""
    return 1.0 / (1.0 + math.exp(-(a * logit(confidence) + b)))


@functools.cache
def weights_file(model_id: str) -> dict[str, Any]:
    """The parsed weights file ``model_id`` of ``assistant/verdict_models/``, read once per process: the
    stages of a pipeline that share one model (classifier, claim calibration, state projection) share it.
    Callers must not change it. Raises FileNotFoundError or ValueError."""
    text = resources.files("assistant.verdict_models").joinpath(f"{model_id}.json").read_text("utf-8")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


@dataclass(frozen=True)
class VerdictClassifier:
    """Multinomial logistic regression over standardised signals, read from a JSON weights file."""

    id: str
    classes: tuple[Verdict, ...]
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[tuple[float, ...], ...]
    intercept: tuple[float, ...]
    #: Platt scaling ``(a, b)`` of the claim confidence, fitted on dev-split cross-validated claim verdicts:
    #: ``p = sigmoid(a * logit(c) + b)``. None: the aggregated confidence is shown as it is.
    claim_calibration: tuple[float, float] | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VerdictClassifier:
        """Build from the dictionary ``research/train_verdict.py`` writes."""
        return cls(
            id=data["id"],
            classes=tuple(data["classes"]),
            features=tuple(data["features"]),
            mean=tuple(data["mean"]),
            scale=tuple(data["scale"]),
            coef=tuple(tuple(row) for row in data["coef"]),
            intercept=tuple(data["intercept"]),
            claim_calibration=(
                (float(data["claim_calibration"]["a"]), float(data["claim_calibration"]["b"]))
                if data.get("claim_calibration")
                else None
            ),
        )

    @classmethod
    def load(cls, model_id: str) -> VerdictClassifier:
        """The shipped classifier ``model_id``; a clear error when it is missing or unreadable."""
        try:
            return cls.from_json(weights_file(model_id))
        except (FileNotFoundError, KeyError, ValueError) as exc:
            raise ConfigError(f"verdict model {model_id!r} is missing or unreadable ({exc})") from None

    def calibrate_claim(self, confidence: float) -> float:
        """The claim confidence mapped by the Platt scaling, when this classifier has one."""
        if self.claim_calibration is None:
            return confidence
        a, b = self.claim_calibration
        return platt(confidence, a, b)

    def probabilities(self, signals: dict[str, float]) -> dict[Verdict, float]:
        """Class probabilities for one statement's signals."""
        x = [(signals[f] - m) / s for f, m, s in zip(self.features, self.mean, self.scale, strict=True)]
        logits = [
            b + sum(w * v for w, v in zip(row, x, strict=True))
            for row, b in zip(self.coef, self.intercept, strict=True)
        ]
        top = max(logits)
        exps = [math.exp(z - top) for z in logits]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps, strict=True)}


class MemoEmbeddings(Embeddings):
    """An embedder that remembers its last ``size`` texts.

    The statements of one claim are judged against the same retrieved sentences, so each sentence is
    embedded once per claim instead of once per statement. Safe to share between batch threads.
    """

    def __init__(self, inner: Embeddings, size: int = 2048) -> None:
        self.inner = inner
        self.size = size
        self._vectors: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed the texts not seen recently, in one call; the rest come from memory."""
        with self._lock:  # held throughout: an eviction by another thread must not race the lookups
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
            if missing:
                self._vectors.update(zip(missing, self.inner.embed_documents(missing), strict=True))
            out = [self._vectors[t] for t in texts]
            for t in texts:
                self._vectors.move_to_end(t)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return out

    def embed_query(self, text: str) -> list[float]:
        """Queries are not remembered (a statement is embedded as a document)."""
        return self.inner.embed_query(text)
