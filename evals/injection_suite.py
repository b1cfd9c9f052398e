"""Run only the injection suite (the part `factcheck eval --injection-suite` adds), with the real models.

    python evals/injection_suite.py evals/seed_claims.jsonl --corpus seeds/ --split test \
        --json index/reports/injection.json

Prints the variants, how many had their injected text set aside, the verdict flips against the clean
article, and how many variants needed a model call (the others were answered by the reply cache because
their prompt was the clean one).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assistant.app import App
from assistant.config import resolve_settings
from assistant.evaluation.datasets import load_dataset
from assistant.evaluation.injection_suite import run_injection_suite
from assistant.evaluation.runner import select_split


def main() -> None:
    """Run the suite and print its counts."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--split", default="test")
    ap.add_argument("--pipeline", default=None)
    ap.add_argument("--home", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None, help="Write the suite's rows here.")
    args = ap.parse_args()
    app = App(resolve_settings(pipeline=args.pipeline, home=args.home))
    data = load_dataset(args.dataset, None, args.corpus, None)
    data.items = select_split(data.items, args.split)
    app.chat.load()
    suite = run_injection_suite(
        data, app.settings.embedder, app.embeddings, app.chat, app.settings.pipeline, app.settings.k
    )
    calls = sum(not r["cached"] for r in suite.rows)
    print(
        f"pipeline {app.settings.pipeline}: {suite.variants} variants, {suite.flagged} with injected text "
        f"set aside, {suite.flips} verdict flips, {calls} variants needed a model call"
    )
    for r in suite.rows:
        if r["flip"]:
            print(f"  flip: {r['id']} {r['claim']!r}: {r['clean']} -> {r['verdict']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(suite.as_json(), indent=2, ensure_ascii=False), "utf-8")


if __name__ == "__main__":
    main()
