"""Diff two evaluation reports on what a pipeline decides, ignoring what depends on the run.

A refactor must not change any verdict, confidence, statement, citation, span or metric. Two reports of the
same items and pipelines are compared with the run-dependent fields removed: timings and latency, token
usage and whether a reply came from the cache (a reply computed in one run is cached in the next), the
commit and the report's own config. Exit 0 when the rest is identical, 1 with the differences otherwise.

    python evals/compare_reports.py before.json after.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

#: Keys whose values depend on the run, not on what the pipeline decided.
RUN_DEPENDENT = frozenset(
    {
        "timings_ms",
        "latency_s",
        "latency_p50_s",
        "latency_p95_s",
        "usage",
        "cached",
        "cached_replies",
        "prompt_tokens",
        "completion_tokens",
        "prompt_tokens_per_item",
        "completion_tokens_per_item",
        "config",
    }
)


def stripped(node: Any) -> Any:
    """The report without run-dependent keys, at any depth."""
    if isinstance(node, dict):
        return {k: stripped(v) for k, v in node.items() if k not in RUN_DEPENDENT}
    if isinstance(node, list):
        return [stripped(v) for v in node]
    return node


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Paths where the two differ (keys only in one side included)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            where = f"{path}.{k}" if path else str(k)
            if k not in a or k not in b:
                out.append(f"{where}: only in {'after' if k not in a else 'before'}")
            else:
                out += differences(a[k], b[k], where)
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} entries"]
        return [
            d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def main() -> None:
    """Compare and print."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    args = ap.parse_args()
    before, after = (stripped(json.loads(p.read_text("utf-8"))) for p in (args.before, args.after))
    found = differences(before, after)
    items = len(before.get("items", []))
    pipelines = len(before.get("pipelines_compared", {}).get("rows", {})) or 1
    if found:
        print(f"{len(found)} differences:")
        print("\n".join(found[:50]))
        sys.exit(1)
    print(
        f"identical: {items} items, {pipelines} pipeline(s) side by side, every verdict, confidence, "
        "statement, citation, span and metric (run-dependent fields left out)"
    )


if __name__ == "__main__":
    main()
