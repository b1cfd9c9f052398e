import random
import time

import numpy as np
import pytest

from assistant.evaluation.metrics import (
    LABELS,
    bootstrap_ci,
    brier_score,
    classification_report,
    complete_evidence,
    confidence_auroc,
    ece_if_calibrated,
    evidence_prf,
    expected_calibration_error,
    mean_defined,
    percentile,
    recall_at_k,
    reciprocal_rank,
    span_f1,
    strict_correct,
)

S, R, N = "supported", "refuted", "not_enough_info"


def test_labels_order():
    assert LABELS == ("supported", "refuted", "not_enough_info")


# --- recall_at_k ---------------------------------------------------------------------------------------


def test_recall_at_k_takes_best_gold_set():
    ranked = ["a", "b", "c", "d"]
    assert recall_at_k(ranked, [{"c", "x"}, {"b"}], 2) == 1.0
    assert recall_at_k(ranked, [{"c", "x"}, {"b"}], 1) == 0.0
    assert recall_at_k(ranked, [{"c", "x"}, {"a", "d"}], 3) == 0.5
    assert recall_at_k(ranked, [{"c", "x"}, {"a", "d"}], 4) == 1.0


def test_recall_at_k_with_tuple_keys_and_partial_set():
    ranked = [("doc", 3), ("doc", 1), ("other", 0)]
    gold = [{("doc", 1), ("doc", 2), ("other", 0)}]
    assert recall_at_k(ranked, gold, 2) == pytest.approx(1 / 3)
    assert recall_at_k(ranked, gold, 3) == pytest.approx(2 / 3)


def test_recall_at_k_edges():
    assert recall_at_k(["a"], [], 5) is None
    assert recall_at_k(["a"], [set()], 5) is None
    assert recall_at_k([], [{"a"}], 5) == 0.0
    assert recall_at_k(["a", "b"], [{"a"}], 0) == 0.0
    assert recall_at_k(["a", "b"], [{"b"}], 100) == 1.0


def test_recall_at_k_cutoff_is_by_list_position_with_duplicates():
    # A repeated key still occupies a slot: "b" at position 3 is outside k=2.
    assert recall_at_k(["a", "a", "b"], [{"b"}], 2) == 0.0
    assert recall_at_k(["a", "a", "b"], [{"b"}], 3) == 1.0


# --- reciprocal_rank -----------------------------------------------------------------------------------


def test_reciprocal_rank_first_hit_in_any_gold_set():
    assert reciprocal_rank(["a", "b", "c"], [{"c"}, {"b", "z"}]) == 0.5
    assert reciprocal_rank(["a", "b", "c"], [{"a"}]) == 1.0
    assert reciprocal_rank(["a", "b", "c", "d"], [{"d"}]) == 0.25


def test_reciprocal_rank_ties_between_gold_sentences_take_the_earlier():
    # Two gold sentences at ranks 2 and 3 (e.g. equal retrieval scores): the earlier listed one counts.
    assert reciprocal_rank(["x", "g1", "g2"], [{"g1", "g2"}]) == 0.5
    assert reciprocal_rank(["x", "g2", "g1"], [{"g1"}, {"g2"}]) == 0.5


def test_reciprocal_rank_edges():
    assert reciprocal_rank(["a", "b"], [{"z"}]) == 0.0
    assert reciprocal_rank([], [{"z"}]) == 0.0
    assert reciprocal_rank(["a"], []) is None
    assert reciprocal_rank(["a"], [set()]) is None


# --- mean_defined --------------------------------------------------------------------------------------


def test_mean_defined():
    assert mean_defined([None, 1.0, None, 0.0, 0.5]) == 0.5
    assert mean_defined([0.0]) == 0.0
    assert mean_defined([None, None]) is None
    assert mean_defined([]) is None
    assert mean_defined(v for v in [0.25, 0.75]) == 0.5


# --- classification_report -----------------------------------------------------------------------------


def test_classification_report_hand_computed():
    gold = [S, S, S, R, R, N]
    pred = [S, R, S, R, S, N]
    rep = classification_report(gold, pred)
    assert rep["accuracy"] == 0.6667
    assert rep["macro_f1"] == 0.7222
    assert rep["balanced_accuracy"] == 0.7222
    assert rep["per_class"] == {
        S: {"precision": 0.6667, "recall": 0.6667, "f1": 0.6667, "support": 3},
        R: {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2},
        N: {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1},
    }
    assert rep["confusion"] == {
        S: {S: 2, R: 1, N: 0},
        R: {S: 1, R: 1, N: 0},
        N: {S: 0, R: 0, N: 1},
    }


def test_classification_report_label_absent_from_gold_is_not_averaged():
    rep = classification_report([S, S, R], [S, N, R])
    assert rep["accuracy"] == 0.6667
    assert rep["per_class"][N] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert rep["per_class"][S] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    # Averages over S and R only (N has no support).
    assert rep["macro_f1"] == 0.8333
    assert rep["balanced_accuracy"] == 0.75


def test_classification_report_label_never_predicted_has_zero_precision():
    rep = classification_report([S, R], [S, S])
    assert rep["per_class"][R] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert rep["per_class"][S] == {"precision": 0.5, "recall": 1.0, "f1": 0.6667, "support": 1}
    assert rep["macro_f1"] == 0.3333
    assert rep["balanced_accuracy"] == 0.5
    assert rep["accuracy"] == 0.5


def test_classification_report_empty():
    rep = classification_report([], [])
    assert rep["accuracy"] == 0.0
    assert rep["macro_f1"] == 0.0
    assert rep["balanced_accuracy"] == 0.0
    assert rep["per_class"] == {
        label: {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0} for label in LABELS
    }
    assert rep["confusion"] == {g: {p: 0 for p in LABELS} for g in LABELS}


def test_classification_report_custom_labels_and_length_mismatch():
    rep = classification_report(["x", "y"], ["x", "x"], labels=("x", "y"))
    assert list(rep["per_class"]) == ["x", "y"]
    assert rep["confusion"] == {"x": {"x": 1, "y": 0}, "y": {"x": 1, "y": 0}}
    with pytest.raises(ValueError):
        classification_report([S], [S, R])


def test_classification_report_accuracy_matches_confusion_diagonal_on_random_data():
    rng = random.Random(1234)
    for _ in range(50):
        n = rng.randint(1, 60)
        gold = [rng.choice(LABELS) for _ in range(n)]
        pred = [rng.choice(LABELS) for _ in range(n)]
        rep = classification_report(gold, pred)
        conf = rep["confusion"]
        diagonal = sum(conf[label][label] for label in LABELS)
        total = sum(sum(row.values()) for row in conf.values())
        assert total == n
        assert rep["accuracy"] == round(diagonal / total, 4)
        for label in LABELS:
            assert rep["per_class"][label]["support"] == sum(conf[label].values())


# --- evidence ------------------------------------------------------------------------------------------


def test_evidence_prf_hand_computed():
    p, r, f = evidence_prf({1, 2, 3, 4}, [{1, 2}, {3, 5, 6}])
    assert p == 0.75  # 3 of 4 cited are in the gold union
    assert r == 1.0  # the set {1, 2} is fully recalled
    assert f == pytest.approx(6 / 7)

    p, r, f = evidence_prf({3}, [{1, 2}, {3, 5}])
    assert (p, r) == (1.0, 0.5)
    assert f == pytest.approx(2 / 3)


def test_evidence_prf_edges():
    assert evidence_prf(set(), [{1}]) == (0.0, 0.0, 0.0)
    assert evidence_prf({9}, [{1}]) == (0.0, 0.0, 0.0)
    assert evidence_prf({1}, []) is None
    assert evidence_prf(set(), []) is None
    assert evidence_prf({1}, [set()]) is None


def test_span_f1_overlapping_predictions_counted_once_and_two_docs():
    # pred covers a[0:15] (15 chars, the overlap a[5:10] once); gold covers a[10:20] + b[0:5] (15 chars).
    pred = [("a", 0, 10), ("a", 5, 15)]
    gold = [("a", 10, 20), ("b", 0, 5)]
    assert span_f1(pred, gold) == pytest.approx(1 / 3)


def test_span_f1_same_offsets_in_different_docs_do_not_match():
    assert span_f1([("a", 0, 5)], [("b", 0, 5)]) == 0.0
    assert span_f1([("a", 0, 5), ("b", 0, 5)], [("a", 0, 5)]) == pytest.approx(2 / 3)
    assert span_f1([("a", 0, 5), ("b", 0, 5)], [("a", 0, 5), ("b", 0, 5)]) == 1.0


def test_span_f1_edges():
    assert span_f1([("a", 0, 5)], []) is None
    assert span_f1([], []) is None
    assert span_f1([("a", 0, 5)], [("a", 3, 3)]) is None  # zero-width gold covers nothing
    assert span_f1([], [("a", 0, 5)]) == 0.0


def test_complete_evidence():
    assert complete_evidence({1, 2, 3}, [{1, 4}, {2, 3}]) is True
    assert complete_evidence({1, 2, 3}, [{1, 4}]) is False
    assert complete_evidence({1}, []) is False
    assert complete_evidence({1}, [set()]) is False
    assert complete_evidence(set(), [{1}]) is False


def test_strict_correct():
    gold_sets = [{("d", 1), ("d", 2)}, {("e", 0)}]
    assert strict_correct(S, S, {("d", 1), ("d", 2), ("x", 9)}, gold_sets) is True
    assert strict_correct(S, S, {("d", 1)}, gold_sets) is False  # incomplete evidence
    assert strict_correct(R, R, {("e", 0)}, gold_sets) is True
    assert strict_correct(S, R, {("e", 0)}, gold_sets) is False  # wrong label
    assert strict_correct(S, S, set(), []) is False  # no gold set to complete
    assert strict_correct(N, N, set(), []) is True
    assert strict_correct(N, N, {("d", 1)}, []) is True
    assert strict_correct(N, S, set(), []) is False


# --- calibration ---------------------------------------------------------------------------------------


def test_ece_hand_computed_with_confidence_one_in_last_bin():
    # bin 1: conf .10, .15 acc .5 -> gap .375; bin 9: conf .9, 1.0 acc .5 -> gap .45; each weight 1/2.
    ece = expected_calibration_error([0.1, 0.15, 0.9, 1.0], [False, True, True, False])
    assert ece == pytest.approx(0.4125)


def test_ece_edges():
    assert expected_calibration_error([], []) == 0.0
    assert expected_calibration_error([1.0, 1.0], [True, True]) == 0.0
    assert expected_calibration_error([1.0, 1.0], [False, False]) == 1.0
    assert expected_calibration_error([0.0], [False]) == 0.0
    assert expected_calibration_error([0.2, 0.8], [True, True], n_bins=1) == pytest.approx(0.5)
    assert expected_calibration_error([0.2, 0.8], [True, True], n_bins=2) == pytest.approx(0.5)
    assert expected_calibration_error([0.25, 0.75], [False, True], n_bins=2) == pytest.approx(0.25)
    with pytest.raises(ValueError):
        expected_calibration_error([0.5], [True, False])


def test_ece_if_calibrated_is_the_sampling_floor_of_a_calibrated_confidence():
    rng = np.random.default_rng(3)
    spread = rng.uniform(0.3, 1.0, 61).tolist()
    mean, p95 = ece_if_calibrated(spread)
    # On 61 claims a calibrated confidence spread over the bins shows an ECE near 0.1, not 0
    assert 0.07 < mean < p95 < 0.25
    # the floor falls with more claims, and with confidences that say nothing (one bin)
    assert ece_if_calibrated(rng.uniform(0.3, 1.0, 2000).tolist())[0] < mean / 3
    assert ece_if_calibrated([0.62] * 61)[0] < mean
    # certain verdicts are certain: nothing to sample
    assert ece_if_calibrated([1.0, 1.0, 0.0]) == (0.0, 0.0)
    assert ece_if_calibrated([]) == (0.0, 0.0)
    # the same draws each time (the report is reproducible)
    assert ece_if_calibrated(spread) == (mean, p95)


def test_brier_score():
    assert brier_score([0.8, 0.3], [True, False]) == pytest.approx(0.065)
    assert brier_score([1.0, 0.0], [True, False]) == 0.0
    assert brier_score([1.0], [False]) == 1.0
    assert brier_score([], []) == 0.0


# --- percentile and bootstrap --------------------------------------------------------------------------


def test_percentile_linear_interpolation():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([4, 1, 3, 2], 25) == 1.75
    assert percentile([1, 2, 3, 4], 0) == 1.0
    assert percentile([1, 2, 3, 4], 100) == 4.0
    assert percentile([10, 20], 90) == 19.0
    assert percentile([7], 37) == 7.0
    assert percentile([], 50) == 0.0


def _accuracy(records: list) -> float:
    return sum(records) / len(records)


def test_bootstrap_ci_constant_and_empty():
    assert bootstrap_ci([1, 1, 1, 1], _accuracy) == (1.0, 1.0)
    assert bootstrap_ci([], _accuracy) == (0.0, 0.0)
    assert bootstrap_ci([0.3], _accuracy, n_resamples=10) == (0.3, 0.3)


def test_bootstrap_ci_matches_documented_resampling_scheme():
    values = [1, 0, 1, 1, 0, 1, 0, 1, 1, 1]
    n_resamples, seed = 200, 7
    idx = np.random.default_rng(seed).integers(0, len(values), size=(n_resamples, len(values)))
    stats = [sum(values[i] for i in row) / len(row) for row in idx]
    expected = tuple(float(x) for x in np.percentile(stats, [2.5, 97.5]))
    assert bootstrap_ci(values, _accuracy, n_resamples=n_resamples, seed=seed) == expected


def test_bootstrap_ci_deterministic_and_seed_sensitive():
    rng = random.Random(0)
    values = [rng.random() < 0.6 for _ in range(100)]
    a = bootstrap_ci(values, _accuracy, seed=3)
    assert a == bootstrap_ci(values, _accuracy, seed=3)
    assert a != bootstrap_ci(values, _accuracy, seed=4)
    point = _accuracy(values)
    assert a[0] <= point <= a[1]
    assert 0.0 <= a[0] < a[1] <= 1.0


def test_bootstrap_ci_alpha_one_collapses_to_median():
    values = [1, 0, 1, 1, 0]
    low, high = bootstrap_ci(values, _accuracy, n_resamples=101, seed=1, alpha=1.0)
    assert low == high


def test_bootstrap_ci_passes_record_lists_of_pairs():
    pairs = [(S, S), (R, S), (N, N), (S, S)]
    seen: list[type] = []

    def stat(records: list) -> float:
        seen.append(type(records))
        return sum(g == p for g, p in records) / len(records)

    low, high = bootstrap_ci(pairs, stat, n_resamples=50)
    assert seen == [list] * 50
    assert 0.0 <= low <= high <= 1.0


def test_bootstrap_ci_is_fast_for_400_items_1000_resamples():
    rng = random.Random(5)
    pairs = [(rng.choice(LABELS), rng.choice(LABELS)) for _ in range(400)]

    def acc(records: list) -> float:
        return sum(g == p for g, p in records) / len(records)

    start = time.perf_counter()
    low, high = bootstrap_ci(pairs, acc, n_resamples=1000, seed=0)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0
    assert low < acc(pairs) < high


def test_confidence_auroc_ranks_right_above_wrong():
    assert confidence_auroc([0.9, 0.8, 0.2], [True, True, False]) == 1.0
    assert confidence_auroc([0.2, 0.9], [True, False]) == 0.0
    # A constant confidence can have zero ECE but says nothing: AUROC 0.5.
    assert confidence_auroc([0.6] * 5, [True, True, True, False, False]) == 0.5
    assert expected_calibration_error([0.6] * 5, [True, True, True, False, False]) < 1e-9
    assert confidence_auroc([0.7, 0.8], [True, True]) is None


def test_selective_accuracy_rewards_a_confidence_that_ranks():
    from assistant.evaluation.metrics import selective_accuracy

    correct = [True, True, False, False]
    assert selective_accuracy([0.9, 0.8, 0.2, 0.1], correct, 0.5) == 1.0  # the confident half is right
    assert selective_accuracy([0.1, 0.2, 0.8, 0.9], correct, 0.5) == 0.0  # the confident half is wrong
    assert selective_accuracy([0.5] * 4, [False, False, True, True], 0.5) == 0.0  # ties: no optimistic pick
    assert selective_accuracy([0.9, 0.8, 0.2, 0.1], correct, 1.0) == 0.5  # full coverage = accuracy
    assert selective_accuracy([], [], 0.8) is None
    with pytest.raises(ValueError):
        selective_accuracy([0.5], [True], 0.0)
