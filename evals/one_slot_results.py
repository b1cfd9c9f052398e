"""Score a ``factcheck check --file`` results file on the one-slot-changed gold claims, item by item.

``factcheck eval`` reports the same metrics (``one_slot`` in its report) when a run completes; this reads the
results file that ``check --file`` writes as each claim finishes, so a run cut short still counts what it did:

    factcheck check --file CLAIMS.jsonl --out RESULTS.jsonl --pipeline check.v21 --json
    python evals/one_slot_results.py evals/seed_claims.jsonl RESULTS.jsonl

CLAIMS.jsonl holds ``{"id", "claim"}`` of the gold items with a ``slot``. Prints one line per item and the
refuted recall and the share showing the right correction with its span, per split half.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assistant.evaluation.corrections import one_slot_metrics, shows_correction
from assistant.evaluation.runner import ItemRecord, split_of


def main() -> None:
    """Print the per-item table and the metrics."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", type=Path)
    parser.add_argument("results", type=Path)
    args = parser.parse_args()
    gold = {
        r["id"]: r
        for r in map(json.loads, args.gold.read_text("utf-8").splitlines())
        if r.get("slot") is not None
    }
    records: list[ItemRecord] = []
    for line in args.results.read_text("utf-8").splitlines():
        result = json.loads(line)
        item = gold.get(str(result.get("id")))
        if item is None or "verdict" not in result:
            continue
        record = ItemRecord(
            id=item["id"], kind="claim", lang=item["lang"], gold=item["label"], source_label=None,
            gold_sets=[], gold_spans=[], claim=item["claim"], pred=result["verdict"],
            confidence=result["confidence"], result=result, slot=item["slot"], correct=item["correct"],
        )  # fmt: skip
        records.append(record)
        shown = shows_correction(record)
        print(
            f"{record.id} {split_of(record.id):4} {item['slot']:11} {record.pred:15} {record.confidence:.2f} "
            f"{'correction shown' if shown else '-':16} {item['claim']}"
        )
    for half in ("dev", "test", "all"):
        rows = [r for r in records if half == "all" or split_of(r.id) == half]
        metrics = one_slot_metrics(rows)
        print(f"{half}: n={metrics['n']} refuted recall={metrics['refuted_recall']} "
              f"correction shown={metrics['correction_shown']}")  # fmt: skip


if __name__ == "__main__":
    main()
