#!/usr/bin/env python
"""Queueing in the web app: N checks posted at once to ``factcheck serve``'s API, on the fake backend.

Usage: PYTHONPATH=. .venv/bin/python evals/web_benchmark.py [--checks 50] [--model-ms 0,20] [--json FILE]

The app runs under uvicorn on 127.0.0.1 (a free port) with the fake embedder and a fake chat model that
answers each claim about itself after ``--model-ms`` milliseconds (standing in for the model's time; the
embedded model takes seconds). All claims are posted at once with httpx; per setting it reports:

- queueing: how long each check waited for a model worker (the server's own record, ``queued_ms``), p50,
  p95 and max;
- latency: from posting to the answer, as the client sees it, p50 and p95; wall time and checks/second;
- correctness: answers that are 200 and carry their own claim's statement and verdict (must be all).

Settings: ``local`` (one worker: the embedded model is not thread-safe) and ``server`` (the openai backend's
4 workers). Timings are measurements on this machine; no test asserts on them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the fakes live in tests/ (no installed package)

from assistant.evaluation.metrics import percentile  # noqa: E402
from assistant.web import create_app  # noqa: E402
from tests.conftest import SEED  # noqa: E402
from tests.web_fakes import LiveServer, claims_for_load, echo_app, post_checks, verdict_for  # noqa: E402


def run_setting(backend: str, n: int, model_ms: float) -> dict[str, Any]:
    """Post ``n`` checks at once to a fresh app and read back what the server recorded."""
    import httpx

    with tempfile.TemporaryDirectory(prefix="web-bench-") as home:
        app, model = echo_app(Path(home), delay_s=model_ms / 1000, backend=backend)
        web = create_app(app)
        state = web.state.web
        with LiveServer(web) as server:
            httpx.post(server.url + "/api/documents", files={"file": ("musk-nato.de.txt", SEED.read_bytes())},
                       trust_env=False).raise_for_status()  # fmt: skip
            claims = claims_for_load(n)
            t0 = time.perf_counter()
            answers = asyncio.run(post_checks(server.url, claims))
            wall = time.perf_counter() - t0
        rows = {row.id: row for row in state.results.recent(n)}
    correct = sum(
        status == 200 and body["claim"] == claim and [s["text"] for s in body["statements"]] == [claim]
        and body["verdict"] == verdict_for(claim)
        for claim, (status, body, _, _) in zip(claims, answers, strict=True)
    )  # fmt: skip
    queued = [rows[loc.rsplit("/", 1)[1]].queued_ms or 0.0 for _, _, loc, _ in answers if loc]
    latency = [s * 1000 for *_, s in answers]
    return {
        "setting": backend if backend == "local" else "server",
        "workers": state.queue.workers,
        "checks": n,
        "model_ms": model_ms,
        "correct": correct,
        "lost": n - len(queued),
        "max_overlap": model.max_overlap,
        "queued_ms_p50": round(percentile(queued, 50), 1),
        "queued_ms_p95": round(percentile(queued, 95), 1),
        "queued_ms_max": round(max(queued), 1),
        "latency_ms_p50": round(percentile(latency, 50), 1),
        "latency_ms_p95": round(percentile(latency, 95), 1),
        "wall_s": round(wall, 2),
        "checks_per_s": round(n / wall, 1),
    }


def markdown(rows: list[dict[str, Any]]) -> str:
    """The results as a Markdown table."""
    head = ("setting", "workers", "model ms", "correct", "lost", "queued p50", "queued p95", "queued max",
            "latency p50", "latency p95", "wall s", "checks/s")  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = (r["setting"], r["workers"], r["model_ms"], f"{r['correct']}/{r['checks']}", r["lost"],
                 r["queued_ms_p50"], r["queued_ms_p95"], r["queued_ms_max"], r["latency_ms_p50"],
                 r["latency_ms_p95"], r["wall_s"], r["checks_per_s"])  # fmt: skip
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def main() -> int:
    """Run every setting and print the table (and write JSON)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--checks", type=int, default=50)
    parser.add_argument("--model-ms", default="0,20", help="Fake model time per check, comma-separated.")
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    args = parser.parse_args()
    rows = [
        run_setting(backend, args.checks, float(ms))
        for ms in args.model_ms.split(",")
        for backend in ("local", "openai")
    ]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    print(f"commit {commit.stdout.strip()} · {platform.processor() or platform.machine()} · "
          f"Python {platform.python_version()}")  # fmt: skip
    print(markdown(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0 if all(r["correct"] == r["checks"] and r["lost"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
