#!/usr/bin/env python
"""Speed benchmark: ingest throughput, retrieval and check latency, each next to its raw cost.

Usage: .venv/bin/python evals/benchmark.py [--corpus-docs N] [--claims N] [--json FILE]

- ingest: sentences/s through `ingest_paths` (split + embed + Chroma) vs the embedder's raw encode rate
  on the same sentences;
- retrieval: p50/p95 of retriever.invoke (embed query + Chroma search) vs raw query embedding time;
- check: p50/p95 end-to-end latency on the embedded model, split by llama.cpp's own counters (prompt tokens
  evaluated after KV-cache prefix reuse, tokens generated, time in each, time outside the model), next to the
  floor computed from the raw prompt-read and generation rates measured in the same run; `--pipelines A,B`
  times several pipeline versions (each with its own model instance, `A@library` with llama-cpp-python's
  own sampler) on the same claims, taken in turn, as ratios against the first (the median's ratio with a
  95% bootstrap interval over the claims).
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.app import App
from assistant.check import Checker
from assistant.config import resolve_settings
from assistant.evaluation.datasets import load_check_covid, load_jsonl
from assistant.evaluation.metrics import bootstrap_ci, percentile
from assistant.ingest import ingest_paths
from assistant.llm.local import make_local_chat
from assistant.llm.model_file import ensure_model
from assistant.pipelines import DEFAULT_PIPELINE
from assistant.sentences import split_sentences

ROOT = Path(__file__).resolve().parents[1]

SHARED = ROOT.parent / "shared" / "data"


def corpus_files(folder: Path, n_docs: int) -> list[Path]:
    """The seed article plus up to n_docs Check-COVID abstracts (real sentences) written as files."""
    files = [ROOT / "seeds" / "musk-nato.de.txt"]
    covid = SHARED / "check-covid"
    if covid.exists() and n_docs:
        ds = load_check_covid(covid)
        for doc in ds.corpus[:n_docs]:
            p = folder / doc.name
            p.write_text(doc.text, encoding="utf-8")
            files.append(p)
    return files


def bench_ingest(app: App, files: list[Path]) -> dict[str, float]:
    """Ingest throughput next to the raw encode rate on the same sentences."""
    sentences = [s.text for f in files for s in split_sentences(f.read_text("utf-8"))]
    app.embeddings.embed_documents(sentences[:8])  # load the model outside the timings
    t0 = time.perf_counter()
    app.embeddings.embed_documents(sentences)
    raw = len(sentences) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    report = ingest_paths(app.store, app.embeddings, files)
    elapsed = time.perf_counter() - t0
    assert report.ok, report.errors
    return {
        "sentences": len(sentences),
        "ingest_sentences_per_s": round(len(sentences) / elapsed, 1),
        "raw_encode_sentences_per_s": round(raw, 1),
        "ratio": round(len(sentences) / elapsed / raw, 3),
    }


def bench_retrieval(app: App, queries: list[str]) -> dict[str, float]:
    """Retriever latency (embed + search) next to raw query-embedding latency."""
    raw, full = [], []
    for q in queries:
        t0 = time.perf_counter()
        app.embeddings.embed_query(q)
        raw.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        app.retriever.invoke(q)
        full.append((time.perf_counter() - t0) * 1000)
    return {
        "queries": len(queries),
        "retrieval_p50_ms": round(percentile(full, 50), 2),
        "retrieval_p95_ms": round(percentile(full, 95), 2),
        "raw_query_embed_p50_ms": round(percentile(raw, 50), 2),
    }


def bench_llm_raw(chat: Any) -> dict[str, float]:
    """The embedded model's raw prompt-read and generation rates (no grammar, no cache)."""
    llm = chat.chat_model.load()
    prompt = "Die NATO ist ein Militärbündnis, das 1949 gegründet wurde. " * 20
    tokens = llm.tokenize(prompt.encode())
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(tokens)
    read = len(tokens) / (time.perf_counter() - t0)
    llm.reset()
    t0 = time.perf_counter()
    out = llm.create_completion("Write a long story about a cat:", max_tokens=48, temperature=0)
    gen = out["usage"]["completion_tokens"] / (time.perf_counter() - t0)
    llm.reset()
    return {"raw_prompt_tokens_per_s": round(read, 1), "raw_generation_tokens_per_s": round(gen, 1)}


def _llama_counters(chat: Any) -> dict[str, float] | None:
    counters = getattr(chat.chat_model, "perf_counters", None)
    return counters() if counters is not None else None


@dataclass
class Variant:
    """A pipeline and the decoding it runs with (``check.v22@library``: llama-cpp-python's own sampler)."""

    spec: str
    checker: Checker
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def chat(self) -> Any:
        """The variant's chat backend."""
        return self.checker.chat


def make_variant(app: App, spec: str) -> Variant:
    """A checker for ``PIPELINE[@library]`` over the app's index, with a model instance of its own.

    Each variant keeps its own llama.cpp context, so its prompt's fixed part stays in its own KV cache as it
    would in a process that runs only that pipeline (once warmed: ``variant.checker.warm()``).
    """
    pipeline, _, decoding = spec.strip().partition("@")
    if decoding not in ("", "library"):
        raise SystemExit(f"unknown decoding {decoding!r} in {spec!r} (known: @library)")
    chat = app.chat
    if app.settings.backend == "local":
        chat = make_local_chat(
            str(ensure_model(app.settings.model_dir)), library_decoding=decoding == "library"
        )
    return Variant(spec.strip(), Checker(app.store, app.retriever, chat, pipeline=pipeline))


def check_row(variant: Variant, claim: str, raw: dict[str, float] | None) -> dict[str, Any]:
    """One timed check, split by llama.cpp's own counters, next to the floor of this run's speeds."""
    before = _llama_counters(variant.chat)
    t0 = time.perf_counter()
    r = variant.checker.check(claim)
    total = time.perf_counter() - t0
    row: dict[str, Any] = {
        "claim": claim,
        "verdict": r.verdict,
        "total_s": round(total, 3),
        "usage_prompt_tokens": r.usage["prompt_tokens"],
        "usage_completion_tokens": r.usage["completion_tokens"],
        "llm_s": round(r.timings_ms["llm"] / 1000, 3),
        "after_model_ms": round(r.timings_ms["verify"], 1),
    }
    after = _llama_counters(variant.chat)
    if before is not None and after is not None:
        d = {k: after[k] - before[k] for k in after}
        row |= {
            "evaluated_prompt_tokens": int(d["prompt_eval_tokens"]),
            "generated_tokens": int(d["gen_tokens"]),
            "prompt_eval_s": round(d["prompt_eval_ms"] / 1000, 3),
            "gen_s": round(d["gen_ms"] / 1000, 3),
            "outside_model_s": round(total - (d["prompt_eval_ms"] + d["gen_ms"]) / 1000, 3),
        }
        if raw:
            row["floor_s"] = round(
                d["prompt_eval_tokens"] / raw["raw_prompt_tokens_per_s"]
                + d["gen_tokens"] / raw["raw_generation_tokens_per_s"],
                3,
            )
    return row


def bench_checks(
    variants: list[Variant], claims: list[str], raw: dict[str, float] | None
) -> list[dict[str, Any]]:
    """End-to-end check latency of each variant on the same claims, claim by claim in turn.

    The variants take each claim one after the other, so load from other work falls on all of them alike.
    Per check: prompt tokens actually evaluated (after the KV-cache prefix reuse; the ``usage`` field counts
    the whole prompt), tokens generated, time in each, time outside the model, and the floor
    ``evaluated / prompt speed + generated / generation speed`` from the raw speeds measured in this run.
    """
    for n, claim in enumerate(claims, 1):
        for variant in variants:
            variant.rows.append(check_row(variant, claim, raw))
        print(f"claim {n}/{len(claims)} checked by {len(variants)} variants", file=sys.stderr, flush=True)
    return [summarize(v.spec, v.rows) for v in variants]


def summarize(spec: str, per_check: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of one variant's checks."""

    def p50(key: str) -> float | None:
        values = [float(row[key]) for row in per_check if key in row]
        return round(statistics.median(values), 3) if values else None

    times = [float(row["total_s"]) for row in per_check]
    summary: dict[str, Any] = {
        "pipeline": spec,
        "claims": len(per_check),
        "check_p50_s": round(statistics.median(times), 2),
        "check_p95_s": round(percentile(times, 95), 2),
    }
    for key in (
        "llm_s",
        "after_model_ms",
        "usage_prompt_tokens",
        "usage_completion_tokens",
        "evaluated_prompt_tokens",
        "generated_tokens",
        "prompt_eval_s",
        "gen_s",
        "outside_model_s",
        "floor_s",
    ):
        if (value := p50(key)) is not None:
            summary[f"{key}_p50"] = value
    summary["per_check"] = per_check
    return summary


def p50_ratio_ci(base: list[float], run: list[float]) -> tuple[float, float]:
    """95% bootstrap interval of the ratio of medians ``median(run) / median(base)``, over claims.

    The two pipelines checked the same claims in turn, so a resample draws claims, each with both its
    timings: the ratio's noise from which claims were drawn (a ten-claim run of two pipelines with the
    same prompt and replies has shown 1.16) is in the interval.
    """
    return bootstrap_ci(
        list(zip(base, run, strict=True)),
        lambda pairs: statistics.median(r for _, r in pairs) / statistics.median(b for b, _ in pairs),
    )


def compare(base: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
    """A pipeline's latency as ratios against the first one's (the median's with its 95% interval over
    claims), and how many verdicts both share."""
    low, high = p50_ratio_ci(
        [float(row["total_s"]) for row in base["per_check"]],
        [float(row["total_s"]) for row in run["per_check"]],
    )
    return {
        "pipeline": run["pipeline"],
        "p50_ratio": round(run["check_p50_s"] / base["check_p50_s"], 3),
        "p50_ratio_ci95": [round(low, 3), round(high, 3)],
        "p95_ratio": round(run["check_p95_s"] / base["check_p95_s"], 3),
        "same_verdicts": sum(
            a["verdict"] == b["verdict"] for a, b in zip(base["per_check"], run["per_check"], strict=True)
        ),
    }


def main() -> int:
    """Run the benchmark and print a JSON object (and a Markdown table)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus-docs", type=int, default=50, help="Check-COVID abstracts added to the corpus")
    ap.add_argument("--claims", type=int, default=10, help="seed claims checked end to end (0 skips the LLM)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument(
        "--pipelines",
        default=DEFAULT_PIPELINE,
        help="comma-separated pipelines checked on the same claims in this run, claim by claim in turn; "
        "ratios against the first. PIPELINE@library decodes with llama-cpp-python's own sampler chain "
        "(the decoding before decoding.py), e.g. check.v22@library,check.v22",
    )
    args = ap.parse_args()
    items = load_jsonl(ROOT / "evals" / "seed_claims.jsonl", ROOT / "seeds").items
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "docs").mkdir()
        # No reply cache: every check asks the model, so pipelines sharing a prompt are timed alike.
        app = App(resolve_settings(home=folder / "home", cache="0"))
        results: dict[str, Any] = {
            "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
            "embedder": app.settings.embedder,
            "backend": app.settings.backend,
            "pipeline": app.settings.pipeline,
        }
        results["ingest"] = bench_ingest(app, corpus_files(folder / "docs", args.corpus_docs))
        results["retrieval"] = bench_retrieval(app, [i.claim for i in items])
        if args.claims:
            claims = [i.claim for i in items if i.kind == "claim"][: args.claims]
            variants = [make_variant(app, spec) for spec in args.pipelines.split(",")]
            # The raw rates on the first variant's model (no extra instance), before any prefix is warmed.
            raw = results["llm_raw"] = bench_llm_raw(variants[0].chat)
            for variant in variants:
                variant.checker.warm()
            runs = bench_checks(variants, claims, raw)
            results["check"] = runs[0]
            if len(runs) > 1:
                results["compared"] = runs[1:]
                results["compare"] = [compare(runs[0], run) for run in runs[1:]]
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
