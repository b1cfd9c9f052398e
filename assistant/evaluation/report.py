"""Turn per-item records into the evaluation report (JSON and Markdown) and check CI thresholds."""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

from ..errors import ConfigError, FactCheckError
from . import metrics as M
from .corrections import confident_accuracy, one_slot_metrics
from .runner import ItemRecord

RECALL_DEPTHS = (1, 3, 5, 10)


class QualityGateError(FactCheckError):
    """A metric fell below (or above) its threshold in the checked-in thresholds file."""

    exit_code = 6


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None else round(x, nd)


def retrieval_metrics(records: list[ItemRecord], variant: str) -> dict[str, float | None]:
    """recall@1/3/5/10 and MRR of gold evidence sentences for one retrieval variant."""
    scored = [r for r in records if r.gold_sets and variant in r.ranked]
    out: dict[str, float | None] = {
        f"recall_at_{k}": _r(M.mean_defined(M.recall_at_k(r.ranked[variant], r.gold_sets, k) for r in scored))
        for k in RECALL_DEPTHS
    }
    out["mrr"] = _r(M.mean_defined(M.reciprocal_rank(r.ranked[variant], r.gold_sets) for r in scored))
    out["n_items"] = len(scored)
    return out


def _nei_recall(cls: dict[str, Any]) -> float | None:
    """not_enough_info recall; None (n/a) when no gold item is not_enough_info, rather than a false 0."""
    nei = cls["per_class"]["not_enough_info"]
    return nei["recall"] if nei["support"] else None


def _refuted_recall(cls: dict[str, Any]) -> float | None:
    """refuted recall; None (n/a) when no gold item is refuted."""
    refuted = cls["per_class"]["refuted"]
    return refuted["recall"] if refuted["support"] else None


def _selective(conf: list[float], correct: list[bool], coverage: float) -> float | None:
    return _r(M.selective_accuracy(conf, correct, coverage))


def _verdict_row(gold: list[str], pred: list[str], conf: list[float]) -> dict[str, float | None]:
    cls = M.classification_report(gold, pred)
    correct = [g == p for g, p in zip(gold, pred, strict=True)]
    return {
        "accuracy": cls["accuracy"],
        "macro_f1": cls["macro_f1"],
        "balanced_accuracy": cls["balanced_accuracy"],
        "nei_recall": _nei_recall(cls),
        "refuted_recall": _refuted_recall(cls),
        "ece": _r(M.expected_calibration_error(conf, correct)),
        "confidence_auroc": _r(M.confidence_auroc(conf, correct)),
        "selective_accuracy_50": _selective(conf, correct, 0.5),
    }


def _supported_vs_rest(gold: list[str], pred: list[str]) -> float | None:
    sup = [p == "supported" for g, p in zip(gold, pred, strict=True) if g == "supported"]
    rest = [p != "supported" for g, p in zip(gold, pred, strict=True) if g != "supported"]
    if not sup or not rest:
        return None
    return _r((sum(sup) / len(sup) + sum(rest) / len(rest)) / 2)


def compare_pipelines(records: list[ItemRecord], main: str) -> dict[str, Any]:
    """Each compared pipeline next to the main one, on exactly the same claims."""
    ids = sorted({pid for r in records for pid in r.others})
    rows: dict[str, Any] = {}
    for pid in ids:
        same = [r for r in records if pid in r.others]
        rows[pid] = _verdict_row(
            [r.gold or "" for r in same],
            [r.others[pid][0] or "error" for r in same],
            [r.others[pid][1] for r in same],
        )
    rows[main] = _verdict_row(
        [r.gold or "" for r in records], [r.pred or "error" for r in records], [r.confidence for r in records]
    )
    return {"n_items": len(records), "main": main, "rows": rows}


def build_report(records: list[ItemRecord], config: dict[str, Any]) -> dict[str, Any]:
    """Every metric the suite reports, with stable top-level keys."""
    claims = [r for r in records if r.kind == "claim" and r.gold is not None]
    # WiCE partially_supported is scored separately, not as a verdict class.
    verdict_items = [r for r in claims if r.source_label != "partially_supported"]
    judged = [r for r in verdict_items if r.pred is not None or r.error]
    gold = [r.gold or "" for r in judged]
    pred = [r.pred or "error" for r in judged]
    cls = M.classification_report(gold, pred)
    correct = [g == p for g, p in zip(gold, pred, strict=True)]
    conf = [r.confidence for r in judged]

    answered = [r for r in records if r.pred is not None]
    evid = [M.evidence_prf(r.cited, r.gold_sets) for r in answered]
    evid_ok = [e for e in evid if e is not None]
    n_spans = sum(len(r.cited_spans) for r in answered)
    n_invalid = sum(r.invalid_spans for r in answered)
    # Every answered item ends in one valid reply; failed replies are counted on top.
    schema_fail = sum(r.schema_failures for r in records)
    # Cached replies cost nothing: latency and tokens are measured on the items the model really answered.
    fresh = [r for r in answered if not r.cached]
    latencies = [r.latency_s for r in fresh]
    pipeline_variant = (
        "pipeline" if any("pipeline" in r.ranked for r in records) else f"dense:{config.get('embedder')}"
    )
    retrieval = retrieval_metrics(records, pipeline_variant)

    report: dict[str, Any] = {
        "n_items": len(records),
        "verdict_accuracy": cls["accuracy"],
        "macro_f1": cls["macro_f1"],
        "balanced_accuracy": cls["balanced_accuracy"],
        "nei_recall": _nei_recall(cls),
        "refuted_recall": _refuted_recall(cls),
        # Supported vs everything else (WiCE's supported / not_supported task).
        "supported_vs_rest_balanced_accuracy": _supported_vs_rest(gold, pred),
        "recall_at_1": retrieval["recall_at_1"],
        "recall_at_3": retrieval["recall_at_3"],
        "recall_at_5": retrieval["recall_at_5"],
        "recall_at_10": retrieval["recall_at_10"],
        "mrr": retrieval["mrr"],
        "evidence_precision": _r(_mean([e[0] for e in evid_ok])),
        "evidence_recall": _r(_mean([e[1] for e in evid_ok])),
        "evidence_f1": _r(_mean([e[2] for e in evid_ok])),
        "span_f1": _r(M.mean_defined(M.span_f1(r.cited_spans, r.gold_spans) for r in answered)),
        "span_validity": _r(1.0 - n_invalid / n_spans) if n_spans else 1.0,
        "strict_score": _r(
            _mean([float(M.strict_correct(r.gold or "", r.pred or "", r.cited, r.gold_sets)) for r in judged])
        ),
        "ece": _r(M.expected_calibration_error(conf, correct)),
        # The ECE a perfectly calibrated confidence would show on these claims (mean, 95th percentile).
        "ece_if_calibrated": [_r(v) for v in M.ece_if_calibrated(conf)],
        "brier": _r(M.brier_score(conf, correct)),
        "confidence_auroc": _r(M.confidence_auroc(conf, correct)),
        # Accuracy of the 50% / 80% most confident verdicts: what trusting only confident verdicts buys.
        "selective_accuracy_50": _selective(conf, correct, 0.5),
        "selective_accuracy_80": _selective(conf, correct, 0.8),
        "schema_failure_rate": _r(schema_fail / max(1, len(answered) + schema_fail)),
        "dropped_citations": sum(r.dropped_citations for r in records),
        "set_aside_statements": sum(r.set_aside for r in records),
        "errors": sum(1 for r in records if r.error),
        "latency_p50_s": _r(M.percentile(latencies, 50), 2),
        "latency_p95_s": _r(M.percentile(latencies, 95), 2),
        "prompt_tokens_per_item": _r(_mean([r.prompt_tokens for r in fresh]), 1),
        "completion_tokens_per_item": _r(_mean([r.completion_tokens for r in fresh]), 1),
        "cached_replies": len(answered) - len(fresh),
        # The one-slot-changed gold claims (evaluation/corrections.py) and the confident verdicts, in full
        # and as the gate's metrics.
        "one_slot": (one_slot := one_slot_metrics(judged)),
        "confident": (confident := confident_accuracy(gold, pred, conf)),
        "one_slot_refuted_recall": one_slot["refuted_recall"],
        "one_slot_correction_shown": one_slot["correction_shown"],
        "confident_accuracy": confident["accuracy"],
        "per_class": cls["per_class"],
        "confusion": cls["confusion"],
        "confidence_intervals": _intervals(judged, records, pipeline_variant),
        "retrieval_ablations": {v: retrieval_metrics(records, v) for v in _variants(records)},
        "retrieval_by_lang": {
            lang: {
                v: retrieval_metrics([r for r in records if r.lang == lang], v)["recall_at_5"]
                for v in _variants(records)
            }
            for lang in sorted({r.lang for r in records})
        },
        "counts": {
            "claims": len(verdict_items),
            "questions": sum(r.kind == "question" for r in records),
            "labels": dict(Counter(r.gold for r in verdict_items)),
        },
        "config": config,
    }
    compared = [r for r in verdict_items if r.others]
    if compared:
        report["pipelines_compared"] = compare_pipelines(compared, str(config.get("pipeline", "pipeline")))
    partial = [r for r in claims if r.source_label == "partially_supported" and r.pred]
    if partial:
        report["partially_supported"] = {
            "n_items": len(partial),
            "predicted": dict(Counter(r.pred for r in partial)),
        }
    if not judged:  # retrieval-only run: verdict metrics were not measured
        for key in (
            "verdict_accuracy",
            "macro_f1",
            "balanced_accuracy",
            "nei_recall",
            "refuted_recall",
            "supported_vs_rest_balanced_accuracy",
            "strict_score",
            "ece",
            "brier",
            "confidence_auroc",
            "selective_accuracy_50",
            "selective_accuracy_80",
            "latency_p50_s",
            "latency_p95_s",
        ):
            report[key] = None
    report["items"] = [r.as_json() for r in records]
    return report


def _variants(records: list[ItemRecord]) -> list[str]:
    seen: dict[str, None] = {}
    for r in records:
        for v in r.ranked:
            seen.setdefault(v, None)
    return list(seen)


def _mean(values: list[float] | list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def _intervals(judged: list[ItemRecord], records: list[ItemRecord], variant: str) -> dict[str, Any]:
    def acc(rs: list[ItemRecord]) -> float:
        return sum(r.pred == r.gold for r in rs) / len(rs) if rs else 0.0

    def macro(rs: list[ItemRecord]) -> float:
        return M.classification_report([r.gold or "" for r in rs], [r.pred or "error" for r in rs])[
            "macro_f1"
        ]

    def r5(rs: list[ItemRecord]) -> float:
        return M.mean_defined(M.recall_at_k(r.ranked.get(variant, []), r.gold_sets, 5) for r in rs) or 0.0

    def ece(rs: list[ItemRecord]) -> float:
        return M.expected_calibration_error([r.confidence for r in rs], [r.pred == r.gold for r in rs])

    with_gold = [r for r in records if r.gold_sets]
    return {
        "verdict_accuracy": list(M.bootstrap_ci(judged, acc)),
        "ece": list(M.bootstrap_ci(judged, ece)),
        "macro_f1": list(M.bootstrap_ci(judged, macro, n_resamples=300)),
        "recall_at_5": list(M.bootstrap_ci(with_gold, r5)),
    }


def judged_items(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's items that the verdict metrics were computed on (as ``build_report`` selects them)."""
    return [
        i
        for i in report.get("items", [])
        if i["kind"] == "claim"
        and i["gold"] is not None
        and i.get("source_label") != "partially_supported"
        and (i["pred"] is not None or i.get("error"))
    ]


def failed_items(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The judged items whose verdict is not the gold one (an error counts as wrong)."""
    return [i for i in judged_items(report) if i["pred"] != i["gold"]]


def _fmt(x: Any) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:.3f}"
    return str(x)


def check_thresholds(report: dict[str, Any], path: Path) -> list[dict[str, Any]]:
    """Compare the report with ``[min]`` and ``[max]`` tables of a TOML file; returns one row per metric."""
    try:
        spec = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: thresholds file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    rows = []
    for op, table in (("≥", spec.get("min", {})), ("≤", spec.get("max", {}))):
        for metric, threshold in table.items():
            if metric not in report:
                raise ConfigError(f"{path}: unknown metric {metric!r}")
            value = report[metric]
            ok = value is not None and (value >= threshold if op == "≥" else value <= threshold)
            rows.append({"metric": metric, "value": value, "op": op, "threshold": threshold, "ok": ok})
    return rows


def write_reports(report: dict[str, Any], json_path: Path | None, md_path: Path | None, title: str) -> None:
    """Write the JSON and Markdown reports (folders are created)."""
    for path, text in (
        (json_path, lambda: json.dumps(report, indent=2, ensure_ascii=False, default=list)),
        (md_path, lambda: to_markdown(report, title)),
    ):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(text(), encoding="utf-8")
            tmp.replace(path)


# The Markdown view reads this module's helpers, so it is imported after them.
from .markdown import to_markdown  # noqa: E402
