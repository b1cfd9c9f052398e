"""The latency benchmark's comparison of two pipelines (evals/benchmark.py): the statistic, not timings."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "evals" / "benchmark.py"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("benchmark_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def run_of(name: str, times: list[float]) -> dict:
    bench = load_benchmark()
    return bench.summarize(name, [{"total_s": t, "verdict": "supported"} for t in times])


def test_the_median_ratio_comes_with_an_interval_over_claims():
    bench = load_benchmark()
    base = run_of("a", [5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0])
    slower = run_of("b", [t * 1.5 for t in [5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0]])
    out = bench.compare(base, slower)
    assert out["p50_ratio"] == 1.5
    # Every claim is 1.5 times slower, so every resample gives 1.5.
    assert out["p50_ratio_ci95"] == [1.5, 1.5]
    assert out["same_verdicts"] == 8


def test_noisy_timings_widen_the_interval_around_the_ratio():
    bench = load_benchmark()
    base = run_of("a", [4.0, 13.0, 7.0, 6.5, 11.0, 5.0, 9.5, 8.0, 12.0, 6.0])
    noisy = run_of("b", [9.0, 7.0, 12.0, 6.0, 8.0, 13.0, 5.0, 11.0, 6.5, 10.0])
    low, high = bench.compare(base, noisy)["p50_ratio_ci95"]
    assert low < bench.compare(base, noisy)["p50_ratio"] < high
    assert high - low > 0.2
