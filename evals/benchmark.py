#!/usr/bin/env python
"""Speed benchmark: ingest throughput, retrieval and check latency, each next to its raw cost.

Usage: .venv/bin/python evals/benchmark.py [--corpus-docs N] [--claims N] [--json FILE]

- ingest: sentences/s through `ingest_paths` (split + embed + Chroma) vs the embedder's raw encode rate
  on the same sentences;
- retrieval: p50/p95 of retriever.invoke (embed query + Chroma search) vs raw query embedding time;
- check: p50 end-to-end latency on the embedded model vs its raw prompt-read and generation rates.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.app import App  # noqa: E402
from assistant.config import resolve_settings  # noqa: E402
from assistant.evaluation.datasets import load_check_covid, load_jsonl  # noqa: E402
from assistant.evaluation.metrics import percentile  # noqa: E402
from assistant.ingest import ingest_paths  # noqa: E402
from assistant.sentences import split_sentences  # noqa: E402

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


def bench_llm_raw(app: App) -> dict[str, float]:
    """The embedded model's raw prompt-read and generation rates (no grammar, no cache)."""
    llm = app.chat.chat_model.load()  # type: ignore[attr-defined]
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


def bench_check(app: App, claims: list[str]) -> dict[str, float]:
    """End-to-end check latency on the configured backend."""
    times, prompt_toks, gen_toks, llm_ms, after_ms = [], [], [], [], []
    for c in claims:
        t0 = time.perf_counter()
        r = app.checker.check(c)
        times.append(time.perf_counter() - t0)
        prompt_toks.append(r.usage["prompt_tokens"])
        gen_toks.append(r.usage["completion_tokens"])
        llm_ms.append(r.timings_ms["llm"])
        after_ms.append(r.timings_ms["verify"])
    return {
        "claims": len(claims),
        "check_p50_s": round(statistics.median(times), 2),
        "check_p95_s": round(percentile(times, 95), 2),
        "llm_p50_s": round(statistics.median(llm_ms) / 1000, 2),
        "spans_and_verdict_stage_p50_ms": round(statistics.median(after_ms), 1),
        "prompt_tokens_p50": statistics.median(prompt_toks),
        "completion_tokens_p50": statistics.median(gen_toks),
    }


def main() -> int:
    """Run the benchmark and print a JSON object (and a Markdown table)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus-docs", type=int, default=50, help="Check-COVID abstracts added to the corpus")
    ap.add_argument("--claims", type=int, default=10, help="seed claims checked end to end (0 skips the LLM)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    items = load_jsonl(ROOT / "evals" / "seed_claims.jsonl", ROOT / "seeds").items
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "docs").mkdir()
        app = App(resolve_settings(home=folder / "home"))
        results = {
            "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
            "embedder": app.settings.embedder,
            "backend": app.settings.backend,
            "pipeline": app.settings.pipeline,
        }
        results["ingest"] = bench_ingest(app, corpus_files(folder / "docs", args.corpus_docs))
        results["retrieval"] = bench_retrieval(app, [i.claim for i in items])
        if args.claims:
            app.chat.load()
            results["llm_raw"] = bench_llm_raw(app)
            claims = [i.claim for i in items if i.kind == "claim"][: args.claims]
            results["check"] = bench_check(app, claims)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
