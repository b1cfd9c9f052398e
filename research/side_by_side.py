"""Pipelines side by side on the same items, across evaluation runs.

``factcheck eval --compare`` scores several pipelines in one run. This script does the same from reports
already written (a pipeline's replies need not be recomputed when its code has not changed): it takes a
main report and, from other reports, the verdicts of other pipelines on the items they share (matched by
item id), and prints the Markdown table of ``assistant.evaluation.report.compare_pipelines``.

    python -m research.side_by_side evals/reports/seed-check.v3-test.json \\
        --other check.v1=evals/reports/seed-check.v1.json:pred \\
        --other naive.v1=evals/reports/seed-check.v1.json:baseline_pred
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from assistant.evaluation.report import compare_pipelines
from assistant.evaluation.runner import ItemRecord


def load(path: str) -> dict[str, Any]:
    """A report's items by id."""
    return {i["id"]: i for i in json.loads(Path(path).read_text("utf-8"))["items"]}


def main() -> None:
    """Print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("report", help="main report (JSON)")
    ap.add_argument(
        "--other", action="append", default=[], help="NAME=REPORT.json:FIELD (pred, baseline_pred)"
    )
    args = ap.parse_args()
    main_report = json.loads(Path(args.report).read_text("utf-8"))
    records = []
    others = []
    for spec in args.other:
        name, rest = spec.split("=", 1)
        path, field = rest.rsplit(":", 1)
        others.append((name, load(path), field))
    for item in main_report["items"]:
        if item["kind"] != "claim" or not item["gold"] or item.get("source_label") == "partially_supported":
            continue
        rec = ItemRecord(
            id=item["id"], kind="claim", lang=item["lang"], gold=item["gold"], source_label=None,
            gold_sets=[], gold_spans=[], pred=item["pred"], confidence=item["confidence"],
        )  # fmt: skip
        for pid, (pred, conf) in item.get("others", {}).items():
            rec.others[pid] = (pred, conf)
        for name, items, field in others:
            if item["id"] in items and items[item["id"]].get(field) is not None:
                conf_field = "confidence" if field == "pred" else "baseline_confidence"
                rec.others[name] = (items[item["id"]][field], items[item["id"]].get(conf_field, 0.0))
        records.append(rec)
    table = compare_pipelines(records, main_report["config"]["pipeline"])
    print(
        f"{table['n_items']} claims (main: {table['main']}, commit {main_report['config'].get('commit')})\n"
    )
    print("| pipeline | n | accuracy | macro-F1 | balanced accuracy | NEI recall | ECE |")
    print("|---|---|---|---|---|---|---|")
    for name, m in table["rows"].items():
        n = sum(1 for r in records if name == table["main"] or name in r.others)
        print(
            f"| {name} | {n} | {m['accuracy']:.3f} | {m['macro_f1']:.3f} | {m['balanced_accuracy']:.3f} "
            f"| {m['nei_recall']:.3f} | {m['ece']:.3f} |"
        )


if __name__ == "__main__":
    main()
