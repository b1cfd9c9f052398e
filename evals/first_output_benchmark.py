#!/usr/bin/env python
"""Time to first visible output of a check on the embedded model: evidence, first statement, result.

Usage: .venv/bin/python evals/first_output_benchmark.py [--claims N] [--verify] [--json FILE]

Per seed claim, from the start of the check: when the retrieved sentences are shown (``on_retriever_end``),
when the first statement of the streamed reply is shown (its closing brace generated), when the last one
is, and when the result is ready. The reply cache is off, so every check asks the model. ``--verify`` checks
the first claim once more without streaming and reports whether the result (without timings) is the same.
Timings are measurements on this machine; tests never assert on them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from assistant.app import App
from assistant.config import resolve_settings
from assistant.evaluation.datasets import load_jsonl
from assistant.ingest import ingest_paths
from assistant.stages import ProgressHandler, reporting_stages

ROOT = Path(__file__).resolve().parents[1]


def timed_check(app: App, claim: str) -> dict[str, Any]:
    """One streamed check, with the seconds from its start to each thing shown."""
    marks: dict[str, float] = {}
    statements: list[float] = []
    t0 = time.perf_counter()

    def mark(name: str) -> None:
        marks.setdefault(name, time.perf_counter() - t0)

    handler = ProgressHandler(
        lambda _stage: None,
        on_evidence=lambda _sentences: mark("evidence"),
        on_statement=lambda _st: statements.append(time.perf_counter() - t0),
        on_reply=lambda: mark("model_start"),
    )
    with reporting_stages(handler):
        result = app.checker.check(claim)
    total = time.perf_counter() - t0
    return {
        "claim": claim,
        "verdict": result.verdict,
        "evidence_s": round(marks.get("evidence", float("nan")), 3),
        "model_start_s": round(marks.get("model_start", float("nan")), 3),
        "first_statement_s": round(statements[0], 3) if statements else None,
        "last_statement_s": round(statements[-1], 3) if statements else None,
        "statements_streamed": len(statements),
        "result_s": round(total, 3),
        "completion_tokens": result.usage["completion_tokens"],
        "result": result.model_dump(exclude={"timings_ms"}),
    }


def main() -> int:
    """Run the benchmark and print a JSON object."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, default=3, help="seed claims checked")
    ap.add_argument("--verify", action="store_true", help="also check the first claim without streaming")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    items = load_jsonl(ROOT / "evals" / "seed_claims.jsonl", ROOT / "seeds").items
    claims = [i.claim for i in items if i.kind == "claim"][: args.claims]
    with tempfile.TemporaryDirectory() as tmp:
        app = App(resolve_settings(home=Path(tmp) / "home", cache="0"))
        report = ingest_paths(app.store, app.embeddings, [ROOT / "seeds"])
        assert report.ok, report.errors
        app.chat.load()
        results: dict[str, Any] = {
            "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
            "model": app.chat.name,
            "pipeline": app.settings.pipeline,
        }
        rows = []
        for c in claims:
            rows.append(timed_check(app, c))
            print(
                json.dumps({k: v for k, v in rows[-1].items() if k != "result"}), file=sys.stderr, flush=True
            )
            if args.verify and len(rows) == 1:
                plain = app.checker.check(claims[0]).model_dump(exclude={"timings_ms"})
                results["unstreamed_result_identical"] = plain == rows[0]["result"]
                print(
                    f"unstreamed result identical: {results['unstreamed_result_identical']}", file=sys.stderr
                )
    for key in ("evidence_s", "first_statement_s", "result_s"):
        values = [float(r[key]) for r in rows if r[key] is not None]
        results[f"{key}_p50"] = round(statistics.median(values), 3) if values else None
    results["per_check"] = [{k: v for k, v in r.items() if k != "result"} for r in rows]
    text = json.dumps(results, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
