#!/usr/bin/env python
"""Batch-check throughput: claims per minute on the embedded model, and against an OpenAI-compatible server
at several concurrency limits.

Usage: HF_HUB_OFFLINE=1 .venv/bin/python evals/batch_benchmark.py [--claims 8] [--concurrency 1,2,4]
       [--server-threads 2] [--json FILE]

Each setting checks the same claims (the first ``--claims`` claims of the seed gold set's test split) with
``check_many``, the code behind ``factcheck check --file``, against the seed article, with the reply cache
off so every claim reaches the model:

- ``embedded``: the in-process llama.cpp model (concurrency 1: one model in one process);
- ``server cN``: the ``openai`` backend against ``python -m llama_cpp.server`` serving the same GGUF on
  127.0.0.1, with ``--concurrency N`` requests in flight.

Reported per setting: wall time, claims/minute, p50/p95 latency of one claim as the caller sees it
(queueing included), and the verdicts (so a setting that fails or degrades shows). Timings are
measurements on this machine; no test asserts on them.
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
from dataclasses import replace
from pathlib import Path
from typing import Any

from assistant.app import App
from assistant.batch import ClaimInput, check_many
from assistant.config import resolve_settings
from assistant.evaluation.datasets import load_jsonl
from assistant.evaluation.metrics import percentile
from assistant.evaluation.runner import split_of
from assistant.ingest import ingest_paths
from assistant.llm.model_file import ensure_model

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "musk-nato.de.txt"


def _llama_server_class() -> Any:
    """``tests/servers.py``'s LlamaServer, loaded from its file: ``tests`` is no installed package, and
    the benchmark runs the server exactly as the tests do."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("factcheck_test_servers", ROOT / "tests" / "servers.py")
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {ROOT / 'tests' / 'servers.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.LlamaServer


def seed_claims(n: int) -> list[ClaimInput]:
    """The first ``n`` claims (not questions) of the seed gold set's test split."""
    items = load_jsonl(ROOT / "evals" / "seed_claims.jsonl", ROOT / "seeds").items
    picked = [i for i in items if i.kind == "claim" and split_of(i.id) == "test"][:n]
    return [ClaimInput(i.id, i.claim, None) for i in picked]


class Timed:
    """Wraps ``checker.check`` to record each claim's latency as its caller sees it."""

    def __init__(self, checker: Any) -> None:
        self._checker = checker
        self.seconds: list[float] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._checker, name)

    def check(self, *args: Any, **kwargs: Any) -> Any:
        """Check one claim and time it."""
        t0 = time.perf_counter()
        try:
            return self._checker.check(*args, **kwargs)
        finally:
            self.seconds.append(time.perf_counter() - t0)


def run_setting(app: App, claims: list[ClaimInput], concurrency: int, out: Path) -> dict[str, Any]:
    """Check ``claims`` with ``check_many`` at ``concurrency``; throughput and latency."""
    timed = Timed(app.checker)
    t0 = time.perf_counter()
    summary = check_many(timed, claims, out, concurrency=concurrency)  # type: ignore[arg-type]
    wall = time.perf_counter() - t0
    return {
        "concurrency": concurrency,
        "claims": len(claims),
        "checked": summary.checked,
        "failed": summary.failed,
        "wall_s": round(wall, 1),
        "claims_per_min": round(60 * summary.checked / wall, 2) if wall else 0.0,
        "latency_p50_s": round(statistics.median(timed.seconds), 1) if timed.seconds else None,
        "latency_p95_s": round(percentile(timed.seconds, 95), 1) if timed.seconds else None,
        "verdicts": summary.verdicts,
    }


def main() -> int:
    """Run every setting and print a JSON object and a Markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, default=8, help="claims per setting")
    ap.add_argument("--concurrency", default="1,2,4", help="concurrency limits against the server")
    ap.add_argument("--server-threads", type=int, default=2, help="llama.cpp threads in the server")
    ap.add_argument("--no-embedded", action="store_true", help="skip the in-process setting")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    claims = seed_claims(args.claims)
    levels = [int(x) for x in args.concurrency.split(",") if x.strip()]
    results: dict[str, Any] = {
        "command": [Path(sys.executable).name, *sys.argv],
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        "settings": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = replace(resolve_settings(home=folder / "home"), cache=False)
        results["pipeline"] = base.pipeline
        if not args.no_embedded:
            app = App(base)
            assert ingest_paths(app.store, app.embeddings, [SEED]).ok
            print(f"embedded: {len(claims)} claims …", file=sys.stderr)
            results["settings"]["embedded"] = run_setting(app, claims, 1, folder / "embedded.jsonl")
            del app  # frees the in-process model before the server loads its own copy
        model = ensure_model(base.model_dir)
        server = _llama_server_class()(
            model, n_threads=args.server_threads, log_path=folder / "llama-server.log"
        )
        with server:
            settings = replace(
                base, backend="openai", base_url=server.base_url, model=server.model_alias, api_key="none"
            )
            app = App(settings)
            assert ingest_paths(app.store, app.embeddings, [SEED]).ok
            for n in levels:
                print(f"server c{n}: {len(claims)} claims …", file=sys.stderr)
                results["settings"][f"server c{n}"] = run_setting(
                    app, claims, n, folder / f"server-c{n}.jsonl"
                )
    print_table(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


def print_table(results: dict[str, Any]) -> None:
    """The settings as a Markdown table."""
    print("| setting | claims | wall s | claims/min | latency p50 / p95 s | failed | verdicts |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results["settings"].items():
        verdicts = ", ".join(f"{k} {v}" for k, v in sorted(r["verdicts"].items()))
        print(
            f"| {name} | {r['claims']} | {r['wall_s']} | {r['claims_per_min']} | "
            f"{r['latency_p50_s']} / {r['latency_p95_s']} | {r['failed']} | {verdicts} |"
        )


if __name__ == "__main__":
    raise SystemExit(main())
