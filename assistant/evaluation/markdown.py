"""The evaluation report as Markdown: what a terminal, a CI log and a pull request show."""

from __future__ import annotations

from typing import Any

from .report import _fmt, failed_items


def _n(count: int, noun: str) -> str:
    """``1 claim``, ``2 claims``, ``1 query``…"""
    return f"{count} {noun if count == 1 else noun + 's'}"


def _ece_context(report: dict[str, Any]) -> str:
    """`` (95% CI a–b; a calibrated confidence would show m, up to p)``: the ECE's interval and its sampling
    floor (:func:`~assistant.evaluation.metrics.ece_if_calibrated`); empty for older reports without them."""
    interval = report["confidence_intervals"].get("ece")
    reference = report.get("ece_if_calibrated")
    if not interval or not reference:
        return ""
    f = _fmt
    return (
        f" (95% CI {f(interval[0])}–{f(interval[1])}; a calibrated confidence would show "
        f"{f(reference[0])}, up to {f(reference[1])})"
    )


def _one_slot_rows(report: dict[str, Any]) -> list[str]:
    """Rows of the one-slot-changed claims and of the confident verdicts (reports before #29 have none)."""
    rows = []
    one = report.get("one_slot") or {}
    if one.get("n"):
        rows.append(
            f"| one-slot-changed claims ({one['n']}): refuted recall / correction shown with its span "
            f"| {one['refuted_recall']:.3f} / {one['correction_shown']:.3f} |"
        )
    confident = report.get("confident") or {}
    if confident.get("n"):
        n, accuracy = confident["n"], confident["accuracy"]
        rows.append(f"| verdicts at confidence ≥ 0.8 ({n}): right | {accuracy:.3f} |")
    return rows


def to_markdown(report: dict[str, Any], title: str) -> str:
    """A Markdown summary suited to a CI job summary."""
    f = _fmt
    ci = report["confidence_intervals"]
    lines = [
        f"## Evaluation: {title}",
        "",
        f"{_n(report['n_items'], 'item')} ({_n(report['counts']['claims'], 'claim')}, "
        f"{_n(report['counts']['questions'], 'question')}) · commit `{report['config'].get('commit')}` · "
        f"model {report['config'].get('model')} · "
        f"pipeline {report['config'].get('pipeline')} · embedder {report['config'].get('embedder')} · "
        f"k={report['config'].get('k')}",
        "",
        "| metric | value |",
        "|---|---|",
        f"| verdict accuracy | {f(report['verdict_accuracy'])} (95% CI {f(ci['verdict_accuracy'][0])}–"
        f"{f(ci['verdict_accuracy'][1])}) |",
        f"| macro-F1 | {f(report['macro_f1'])} (95% CI {f(ci['macro_f1'][0])}–{f(ci['macro_f1'][1])}) |",
        f"| balanced accuracy | {f(report['balanced_accuracy'])} |",
        f"| not_enough_info recall | {f(report['nei_recall'])} |",
        f"| refuted recall | {f(report.get('refuted_recall'))} |",
        *_one_slot_rows(report),
        f"| supported vs rest, balanced accuracy | {f(report['supported_vs_rest_balanced_accuracy'])} |",
        f"| recall@1 / @3 / @5 / @10 | {f(report['recall_at_1'])} / {f(report['recall_at_3'])} / "
        f"{f(report['recall_at_5'])} / {f(report['recall_at_10'])} (@5 95% CI {f(ci['recall_at_5'][0])}–"
        f"{f(ci['recall_at_5'][1])}) |",
        f"| MRR | {f(report['mrr'])} |",
        f"| evidence P / R / F1 | {f(report['evidence_precision'])} / {f(report['evidence_recall'])} / "
        f"{f(report['evidence_f1'])} |",
        f"| span F1 (characters) | {f(report['span_f1'])} |",
        f"| span validity | {f(report['span_validity'])} |",
        f"| strict score | {f(report['strict_score'])} |",
        f"| ECE / Brier | {f(report['ece'])}{_ece_context(report)} / {f(report['brier'])} |",
        f"| confidence AUROC (right vs wrong verdicts) | {f(report.get('confidence_auroc'))} |",
        f"| selective accuracy: the 50% / 80% most confident verdicts | "
        f"{f(report.get('selective_accuracy_50'))} / {f(report.get('selective_accuracy_80'))} |",
        f"| schema failure rate | {f(report['schema_failure_rate'])} |",
        f"| dropped citations / item errors | {report['dropped_citations']} / {report['errors']} |",
        f"| statements set aside (off-claim or repeats) | {report.get('set_aside_statements', 0)} |",
        f"| latency p50 / p95 | {f(report['latency_p50_s'])} s / {f(report['latency_p95_s'])} s |",
        f"| tokens per item (prompt / completion) | {f(report['prompt_tokens_per_item'])} / "
        f"{f(report['completion_tokens_per_item'])} |",
        "",
        "### Per class",
        "",
        "| label | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
    ]
    for label, m in report["per_class"].items():
        if not m["support"]:  # no gold item of this class: its recall and F1 are not measured
            lines.append(f"| {label} | {f(m['precision'])} | n/a | n/a | 0 |")
            continue
        lines.append(f"| {label} | {f(m['precision'])} | {f(m['recall'])} | {f(m['f1'])} | {m['support']} |")
    labels = list(report["confusion"])
    lines += [
        "",
        "### Confusion (rows: gold, columns: predicted)",
        "",
        "| gold \\ pred | " + " | ".join(labels) + " |",
        "|---" * (len(labels) + 1) + "|",
    ]
    for g in labels:
        lines.append(f"| {g} | " + " | ".join(str(report["confusion"][g].get(p, 0)) for p in labels) + " |")
    lines += [
        "",
        "### Retrieval ablations (same items)",
        "",
        "| variant | recall@1 | recall@3 | recall@5 | recall@10 | MRR |",
        "|---|---|---|---|---|---|",
    ]
    for name, m in report["retrieval_ablations"].items():
        lines.append(
            f"| {name} | {f(m['recall_at_1'])} | {f(m['recall_at_3'])} | {f(m['recall_at_5'])} | "
            f"{f(m['recall_at_10'])} | {f(m['mrr'])} |"
        )
    by_lang = report.get("retrieval_by_lang", {})
    if by_lang:
        variants = list(report["retrieval_ablations"])
        lines += [
            "",
            "Recall@5 by claim language:",
            "",
            "| lang | " + " | ".join(variants) + " |",
            "|---" * (len(variants) + 1) + "|",
        ]
        for lang, row in by_lang.items():
            lines.append(f"| {lang} | " + " | ".join(f(row.get(v)) for v in variants) + " |")
    if "pipelines_compared" in report:
        b = report["pipelines_compared"]
        lines += [
            "",
            f"### Pipelines side by side ({b['n_items']} claims, same items; main: {b['main']})",
            "",
            "| pipeline | accuracy | macro-F1 | balanced accuracy | NEI recall | refuted recall | ECE "
            "| AUROC | selective acc. @50% |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for name, m in b["rows"].items():
            lines.append(
                f"| {name} | {f(m['accuracy'])} | {f(m['macro_f1'])} | {f(m['balanced_accuracy'])} "
                f"| {f(m['nei_recall'])} | {f(m.get('refuted_recall'))} | {f(m['ece'])} "
                f"| {f(m.get('confidence_auroc'))} | {f(m.get('selective_accuracy_50'))} |"
            )
    if "partially_supported" in report:
        p = report["partially_supported"]
        lines += ["", f"WiCE partially_supported ({p['n_items']} claims), predicted: {p['predicted']}"]
    failed = failed_items(report)
    lines += ["", f"### Items the pipeline got wrong ({len(failed)})", ""]
    if failed:
        lines += ["| item | claim | gold | predicted | confidence |", "|---|---|---|---|---|"]
        for item in failed:
            claim = (item.get("claim") or (item.get("result") or {}).get("claim") or "").replace("|", "\\|")
            pred = item["pred"] or f"error: {item.get('error')}"
            lines.append(f"| {item['id']} | {' '.join(claim.split())} | {item['gold']} | {pred} | "
                         f"{f(item['confidence'])} |")  # fmt: skip
    else:
        lines.append("None.")
    if report.get("injection"):
        from .injection_suite import markdown_lines

        lines += markdown_lines(report["injection"])
    if report.get("gate"):
        lines += ["", "### Quality gate", "", "| metric | value | threshold | ok |", "|---|---|---|---|"]
        for g in report["gate"]:
            lines.append(
                f"| {g['metric']} | {f(g['value'])} | {g['op']} {g['threshold']} | "
                f"{'✅' if g['ok'] else '❌'} |"
            )
    return "\n".join(lines) + "\n"
