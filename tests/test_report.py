"""The evaluation report: stable keys, pipelines side by side, the quality gate."""

from __future__ import annotations

import json

import pytest

from assistant.errors import ConfigError
from assistant.evaluation.items import EvalItem
from assistant.evaluation.report import build_report, check_thresholds, to_markdown, write_reports
from assistant.evaluation.runner import ItemRecord, select_split, split_of

STABLE_KEYS = {
    "n_items", "verdict_accuracy", "macro_f1", "balanced_accuracy", "recall_at_1", "recall_at_5", "mrr",
    "evidence_f1", "span_f1", "span_validity", "strict_score", "ece", "schema_failure_rate",
    "latency_p50_s", "latency_p95_s", "per_class", "confusion", "config",
}  # fmt: skip


def _record(i: int, gold: str, pred: str, *, others=None, cited=True) -> ItemRecord:
    key = ("doc.txt", i)
    return ItemRecord(
        id=f"c{i}",
        kind="claim",
        lang="en",
        gold=gold,
        source_label=None,
        gold_sets=[{key}] if gold != "not_enough_info" else [],
        gold_spans=[("doc.txt", i * 10, i * 10 + 5)] if gold != "not_enough_info" else [],
        ranked={"pipeline": [key, ("doc.txt", 99)]},
        pred=pred,
        confidence=0.8,
        cited={key} if cited else set(),
        cited_spans=[("doc.txt", i * 10, i * 10 + 5)] if cited else [],
        latency_s=2.0,
        others=others or {},
    )


@pytest.fixture
def records():
    return [
        _record(1, "supported", "supported", others={"check.v1": ("refuted", 0.9)}),
        _record(2, "refuted", "refuted", others={"check.v1": ("refuted", 0.9)}),
        _record(
            3, "not_enough_info", "not_enough_info", others={"check.v1": ("supported", 0.9)}, cited=False
        ),
        _record(4, "supported", "refuted", others={"check.v1": ("supported", 0.6)}),
    ]


def test_stable_keys_and_values(records):
    report = build_report(records, {"pipeline": "check.v3", "commit": "abc"})
    assert STABLE_KEYS <= set(report)
    assert report["verdict_accuracy"] == 0.75
    assert report["nei_recall"] == 1.0
    # supported recall 1/2, rest (refuted, nei) recall 2/2
    assert report["supported_vs_rest_balanced_accuracy"] == 0.75
    assert report["recall_at_1"] == 1.0 and report["span_validity"] == 1.0
    assert report["latency_p50_s"] == 2.0
    json.dumps(report, default=list)  # JSON-ready


def test_the_ece_comes_with_its_interval_and_what_a_calibrated_confidence_would_show(records):
    report = build_report(records, {"pipeline": "check.v3"})
    low, high = report["confidence_intervals"]["ece"]
    mean, p95 = report["ece_if_calibrated"]
    # the ECE is rounded, its interval is not
    assert low - 1e-6 <= report["ece"] <= high + 1e-6 and 0 < mean <= p95
    assert "a calibrated confidence would show" in to_markdown(report, "seed")


def test_a_report_item_reads_back_as_the_record_it_was(records):
    for record in records:
        assert ItemRecord.from_json(json.loads(json.dumps(record.as_json()))) == record


def test_pipelines_side_by_side_on_the_same_items(records):
    report = build_report(records, {"pipeline": "check.v3"})
    rows = report["pipelines_compared"]["rows"]
    assert rows["check.v3"]["accuracy"] == 0.75
    assert rows["check.v1"]["accuracy"] == 0.5
    assert rows["check.v1"]["nei_recall"] == 0.0
    md = to_markdown(report, "seed")
    assert "Pipelines side by side" in md and "| check.v1 | 0.5" in md


def test_gate_fails_below_a_minimum_and_rejects_unknown_metrics(records, tmp_path):
    report = build_report(records, {"pipeline": "check.v3"})
    spec = tmp_path / "t.toml"
    spec.write_text("[min]\nverdict_accuracy = 0.8\nspan_validity = 1.0\n[max]\nece = 0.5\n")
    rows = {r["metric"]: r["ok"] for r in check_thresholds(report, spec)}
    assert rows == {"verdict_accuracy": False, "span_validity": True, "ece": True}
    spec.write_text("[min]\nno_such_metric = 1\n")
    with pytest.raises(ConfigError, match="no_such_metric"):
        check_thresholds(report, spec)


def test_reports_are_written_whole(records, tmp_path):
    report = build_report(records, {"pipeline": "check.v3"})
    write_reports(report, tmp_path / "r" / "a.json", tmp_path / "r" / "a.md", title="t")
    assert json.loads((tmp_path / "r" / "a.json").read_text())["n_items"] == 4
    assert not list((tmp_path / "r").glob("*.tmp"))


def test_split_is_stable_and_halves_the_items():
    items = [EvalItem(id=f"x{i}", kind="claim", claim="c", label=None, lang="en") for i in range(200)]
    dev, test = select_split(items, "dev"), select_split(items, "test")
    assert len(dev) + len(test) == 200 and 70 < len(dev) < 130
    assert all(split_of(i.id) == "dev" for i in dev)
    with pytest.raises(ConfigError):
        select_split(items, "train")
