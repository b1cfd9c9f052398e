"""Deterministic metrics for claim verification: retrieval, verdicts, evidence, calibration, bootstrap.

Sentence keys are any hashable values (e.g. ``(doc, sentence_id)``). Gold evidence is a sequence of
alternative sets: covering any one set completely counts as complete evidence. Empty gold sets are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

LABELS: tuple[str, ...] = ("supported", "refuted", "not_enough_info")
EVIDENCE_LABELS: frozenset[str] = frozenset({"supported", "refuted"})

H = TypeVar("H", bound=Hashable)


def _nonempty(gold_sets: Iterable[Iterable[H]]) -> list[set[H]]:
    """Gold sets as Python sets, dropping empty ones."""
    return [s for s in (set(g) for g in gold_sets) if s]


def _f1(precision: float, recall: float) -> float:
    """Harmonic mean of precision and recall; 0.0 when both are 0."""
    total = precision + recall
    return 2 * precision * recall / total if total else 0.0


# --- Retrieval -----------------------------------------------------------------------------------------


def recall_at_k(ranked: Sequence[H], gold_sets: Sequence[set[H]], k: int) -> float | None:
    """Best share of one gold set found in the top ``k``; None when there is no non-empty gold set."""
    sets = _nonempty(gold_sets)
    if not sets:
        return None
    top = set(ranked[: max(k, 0)])
    return max(len(s & top) / len(s) for s in sets)


def reciprocal_rank(ranked: Sequence[H], gold_sets: Sequence[set[H]]) -> float | None:
    """1/rank (list position, 1-based) of the first gold sentence; 0.0 if none; None without gold."""
    sets = _nonempty(gold_sets)
    if not sets:
        return None
    union = set().union(*sets)
    for position, key in enumerate(ranked, start=1):
        if key in union:
            return 1.0 / position
    return 0.0


def mean_defined(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None; None when there are none."""
    defined = [float(v) for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


# --- Verdicts ------------------------------------------------------------------------------------------


def classification_report(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] = LABELS
) -> dict[str, Any]:
    """Accuracy, macro-F1, balanced accuracy, per-class P/R/F1/support and confusion (rounded to 4 dp)."""
    if len(gold) != len(pred):
        raise ValueError(f"gold and pred differ in length: {len(gold)} != {len(pred)}")
    labels = list(labels)
    confusion = {g: dict.fromkeys(labels, 0) for g in labels}
    for g, p in zip(gold, pred, strict=True):
        if g in confusion and p in confusion[g]:
            confusion[g][p] += 1
    correct = sum(g == p for g, p in zip(gold, pred, strict=True))
    accuracy = correct / len(gold) if gold else 0.0

    per_class: dict[str, dict[str, float | int]] = {}
    f1s: list[float] = []
    recalls: list[float] = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p == label)
        support = sum(1 for g in gold if g == label)
        predicted = sum(1 for p in pred if p == label)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = _f1(precision, recall)
        if support:
            f1s.append(f1)
            recalls.append(recall)
        per_class[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": support,
        }
    return {
        "accuracy": round(accuracy, 4),
        "macro_f1": round(sum(f1s) / len(f1s), 4) if f1s else 0.0,
        "balanced_accuracy": round(sum(recalls) / len(recalls), 4) if recalls else 0.0,
        "per_class": per_class,
        "confusion": confusion,
    }


# --- Evidence ------------------------------------------------------------------------------------------


def evidence_prf(cited: set[H], gold_sets: Sequence[set[H]]) -> tuple[float, float, float] | None:
    """Precision vs the gold union, best recall over gold sets, and their F1; None without gold."""
    sets = _nonempty(gold_sets)
    if not sets:
        return None
    cited = set(cited)
    union = set().union(*sets)
    precision = len(cited & union) / len(cited) if cited else 0.0
    recall = max(len(cited & s) / len(s) for s in sets)
    return precision, recall, _f1(precision, recall)


def _positions(spans: Iterable[tuple[str, int, int]]) -> set[tuple[str, int]]:
    """Union of the (doc, character index) positions covered by half-open spans."""
    return {(doc, i) for doc, start, end in spans for i in range(start, end)}


def span_f1(
    pred_spans: Sequence[tuple[str, int, int]], gold_spans: Sequence[tuple[str, int, int]]
) -> float | None:
    """Character-level F1 between predicted and gold ``(doc, start, end)`` spans; None without gold."""
    gold = _positions(gold_spans)
    if not gold:
        return None
    pred = _positions(pred_spans)
    if not pred:
        return 0.0
    overlap = len(pred & gold)
    return _f1(overlap / len(pred), overlap / len(gold))


def complete_evidence(cited: set[H], gold_sets: Sequence[set[H]]) -> bool:
    """Whether some non-empty gold set is fully contained in the cited sentences."""
    cited = set(cited)
    return any(s <= cited for s in _nonempty(gold_sets))


def strict_correct(gold_label: str, pred_label: str, cited: set[H], gold_sets: Sequence[set[H]]) -> bool:
    """FEVER-style: label correct and, for supported/refuted gold, some gold set completely cited."""
    if gold_label != pred_label:
        return False
    if gold_label in EVIDENCE_LABELS:
        return complete_evidence(cited, gold_sets)
    return True


# --- Calibration ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalibrationBin:
    """An equal-width confidence bin ``[lo, hi)`` (the last one closed): size, accuracy, mean confidence."""

    lo: float
    hi: float
    count: int
    accuracy: float
    mean_confidence: float


def calibration_bins(
    confidences: Sequence[float], correct: Sequence[bool], n_bins: int = 10
) -> list[CalibrationBin]:
    """The bins of :func:`expected_calibration_error`, for a reliability diagram; empty bins hold 0s."""
    if len(confidences) != len(correct):
        raise ValueError(f"confidences and correct differ in length: {len(confidences)} != {len(correct)}")
    conf = np.asarray(confidences, dtype=float)
    hits = np.asarray(correct, dtype=float)
    bins = np.clip(np.floor(conf * n_bins).astype(int), 0, n_bins - 1)
    out = []
    for b in range(n_bins):
        inside = bins == b
        n = int(inside.sum())
        out.append(
            CalibrationBin(
                lo=b / n_bins,
                hi=(b + 1) / n_bins,
                count=n,
                accuracy=float(hits[inside].mean()) if n else 0.0,
                mean_confidence=float(conf[inside].mean()) if n else 0.0,
            )
        )
    return out


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], n_bins: int = 10
) -> float:
    """Weighted mean |accuracy - mean confidence| over equal-width bins on [0, 1]; 0.0 when empty.

    Kept by hand: scikit-learn has no ECE, and ``sklearn.calibration.calibration_curve`` (the nearest) bins
    with ``np.searchsorted(edges, conf)``, which puts a confidence exactly on an edge (0.3, 0.6, 0.7: model
    confidences often are) in the bin below, where ``floor(conf * n_bins)`` puts it in the bin above; the
    reported ECE would move.
    """
    if len(confidences) != len(correct):
        raise ValueError(f"confidences and correct differ in length: {len(confidences)} != {len(correct)}")
    if n_bins < 1:
        raise ValueError("n_bins must be at least 1")
    if not confidences:
        return 0.0
    conf = np.asarray(confidences, dtype=float)
    hits = np.asarray(correct, dtype=float)
    bins = np.clip(np.floor(conf * n_bins).astype(int), 0, n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    conf_sums = np.bincount(bins, weights=conf, minlength=n_bins)
    hit_sums = np.bincount(bins, weights=hits, minlength=n_bins)
    filled = counts > 0
    gaps = np.abs(hit_sums[filled] - conf_sums[filled])  # = count * |acc - conf| per bin
    return float(gaps.sum() / len(conf))


def ece_if_calibrated(
    confidences: Sequence[float], n_bins: int = 10, n_draws: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """The ECE that a perfectly calibrated confidence would show on these items: its mean and 95th
    percentile over ``n_draws`` draws in which each verdict is right with the probability its confidence
    states; (0, 0) when empty.

    On a few dozen claims the binned ECE is far from 0 even then (each bin holds a handful of verdicts),
    and more so the more the confidences spread over the bins, that is the better they rank; a measured ECE
    within this range is what sampling alone gives.
    """
    if not confidences:
        return 0.0, 0.0
    conf = np.clip(np.asarray(confidences, dtype=float), 0.0, 1.0)
    rng = np.random.default_rng(seed)
    draws = [
        expected_calibration_error(conf.tolist(), (rng.uniform(size=conf.size) < conf).tolist(), n_bins)
        for _ in range(n_draws)
    ]
    return float(np.mean(draws)), float(np.percentile(draws, 95))


def brier_score(confidences: Sequence[float], correct: Sequence[bool]) -> float:
    """Mean squared difference between confidence and correctness (1/0); 0.0 when empty."""
    if len(confidences) != len(correct):
        raise ValueError(f"confidences and correct differ in length: {len(confidences)} != {len(correct)}")
    if not confidences:
        return 0.0
    from sklearn.metrics import brier_score_loss

    return float(brier_score_loss(np.asarray(correct, dtype=int), np.asarray(confidences, dtype=float)))


def confidence_auroc(confidences: Sequence[float], correct: Sequence[bool]) -> float | None:
    """How well confidence ranks right answers above wrong ones (0.5: not at all); None without both.

    ECE alone can be driven to zero by one constant confidence; this says whether the confidence also
    tells a right verdict from a wrong one. Ties count half (the Mann–Whitney statistic, as scikit-learn's
    ``roc_auc_score`` computes it).
    """
    if len(confidences) != len(correct):
        raise ValueError(f"confidences and correct differ in length: {len(confidences)} != {len(correct)}")
    if all(correct) or not any(correct):
        return None
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(np.asarray(correct, dtype=int), np.asarray(confidences, dtype=float)))


def selective_accuracy(
    confidences: Sequence[float], correct: Sequence[bool], coverage: float
) -> float | None:
    """Accuracy of the ``coverage`` share (0–1] of verdicts with the highest confidence; None without items.

    What a reader gets who trusts only the most confident verdicts: a confidence that ranks well makes this
    rise above plain accuracy as coverage shrinks. Ties at the cut keep their input order (a stable sort),
    so a constant confidence gives the accuracy of the first items, not an optimistic pick.
    """
    if len(confidences) != len(correct):
        raise ValueError(f"confidences and correct differ in length: {len(confidences)} != {len(correct)}")
    if not 0 < coverage <= 1:
        raise ValueError(f"coverage must be in (0, 1], got {coverage}")
    if not confidences:
        return None
    n = max(1, math.ceil(coverage * len(confidences)))
    order = sorted(range(len(confidences)), key=lambda i: -confidences[i])[:n]
    return sum(bool(correct[i]) for i in order) / n


# --- Other ---------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation, as numpy's default; 0.0 when empty."""
    if len(values) == 0:
        return 0.0
    return float(np.percentile(np.asarray(values, dtype=float), q))


def bootstrap_ci(
    values_or_pairs: Sequence[Any],
    statistic: Callable[[list], float],
    n_resamples: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """Percentile-bootstrap (1 - alpha) interval of ``statistic`` over per-item records; (0, 0) if empty.

    SciPy's ``bootstrap`` resamples item indices, so ``statistic`` sees lists of the records themselves
    (pairs, report records); it draws ``rng.integers(0, n, (n_resamples, n))`` as the hand-written version
    did. The interval is taken with ``np.percentile`` from its bootstrap distribution: SciPy's own
    ``stats.quantile`` interpolates in another order and moves the bounds in the last digits, which the
    JSON reports print unrounded.
    """
    records = list(values_or_pairs)
    n = len(records)
    if n == 0 or n_resamples < 1:
        return 0.0, 0.0
    if n == 1:  # SciPy needs two observations; every resample of one record is that record
        value = float(statistic(records))
        return value, value
    from scipy.stats import bootstrap

    result = bootstrap(
        (np.arange(n),),
        lambda idx: float(statistic([records[i] for i in idx])),
        n_resamples=n_resamples,
        vectorized=False,
        confidence_level=1 - alpha,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    low, high = np.percentile(result.bootstrap_distribution, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return float(low), float(high)
