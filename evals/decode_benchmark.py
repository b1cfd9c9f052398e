"""Decoding settings of the embedded model, side by side on real check prompts in one run (issue 15).

Each variant is its own ``llama_cpp.Llama`` instance over the same model file; the claims' check prompts
(check.v1 with the sentences the default pipeline retrieves from the seed article, and the reply's JSON schema
as a grammar, exactly as ``factcheck check`` asks) go to the variants in turn, claim by claim, so load from
other jobs falls on every variant alike. Per call it records wall time, llama.cpp's own counters (prompt
tokens evaluated after the KV-cache prefix reuse, decode steps, time in each) and the reply text, and reports
each variant's p50/p95 as a ratio against the first, with how many replies are byte-identical to the first's.

    python evals/decode_benchmark.py --claims 12 --variant base --variant lookup:10 --variant threads:1 \\
        --json evals/reports/decode-benchmark.json

Variants: ``base`` (the backend's settings and its decoding, ``assistant/llm/decoding.py``), ``library``
(llama-cpp-python's own sampler chain, as before that module), ``lookup:N`` (prompt-lookup speculative
decoding drafting N tokens, on the library's sampler), ``threads:N``, ``batch:N`` (n_batch), ``flash``
(flash attention); join with ``+`` (``lookup:10+flash``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from assistant.app import App
from assistant.config import resolve_settings
from assistant.evaluation.datasets import load_jsonl
from assistant.evaluation.metrics import percentile
from assistant.evaluation.runner import select_split
from assistant.ingest import ingest_paths
from assistant.llm.local import N_CTX
from assistant.llm.model_file import ensure_model
from assistant.prompts_loader import load_prompt
from assistant.schemas import ModelCheckReply, reply_schema

ROOT = Path(__file__).resolve().parents[1]

SEED = ROOT / "seeds" / "musk-nato.de.txt"


def llama_params(variant: str) -> dict[str, Any]:
    """``Llama`` keyword arguments for a variant name."""
    params: dict[str, Any] = {"n_ctx": N_CTX, "n_threads": os.cpu_count() or 1, "seed": 0, "verbose": False}
    for part in variant.split("+"):
        name, _, value = part.partition(":")
        if name in ("base", "library"):
            continue
        if name == "lookup":
            from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

            params["draft_model"] = LlamaPromptLookupDecoding(num_pred_tokens=int(value or 10))
            # llama-cpp-python 0.3.36 sizes its logits buffer from this argument, not from the draft model's
            # need for every position's logits: without it, a prompt past n_batch tokens fails to broadcast.
            params["logits_all"] = True
        elif name == "threads":
            params["n_threads"] = int(value)
        elif name == "batch":
            params["n_batch"] = int(value)
        elif name == "flash":
            params["flash_attn"] = True
        else:
            raise SystemExit(f"unknown variant part {part!r}")
    return params


def counters(llm: Any) -> dict[str, float]:
    """llama.cpp's cumulative perf counters of one context."""
    import llama_cpp

    d = llama_cpp.llama_perf_context(llm._ctx.ctx)
    return {"p_tok": d.n_p_eval, "p_ms": d.t_p_eval_ms, "g_tok": d.n_eval, "g_ms": d.t_eval_ms}


def main() -> int:
    """Time each variant on the same check prompts, interleaved, and print ratios against the first."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claims", type=int, default=12, help="seed test-split claims (the first is a warm-up)")
    ap.add_argument("--variant", action="append", default=[], help="see above (repeatable; first = baseline)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    variants = args.variant or ["base"]
    prompt = load_prompt("check.v1")
    schema = {"type": "json_object", "schema": reply_schema(ModelCheckReply)}
    items = [
        i
        for i in select_split(load_jsonl(ROOT / "evals" / "seed_claims.jsonl", ROOT / "seeds").items, "test")
    ]
    claims = [i.claim for i in items if i.kind == "claim"][: args.claims + 1]
    with tempfile.TemporaryDirectory() as tmp:
        app = App(resolve_settings(home=Path(tmp) / "home", cache="0"))
        assert ingest_paths(app.store, app.embeddings, [SEED]).ok
        messages = []
        for claim in claims:
            docs = app.retriever.invoke(claim, k=app.settings.k)
            system, user = prompt.render(
                claim=claim, sentences=[{"number": n + 1, "text": d.page_content} for n, d in enumerate(docs)]
            )
            messages.append([{"role": "system", "content": system}, {"role": "user", "content": user}])
        model = str(ensure_model(app.settings.model_dir))
    from llama_cpp import Llama

    from assistant.llm.decoding import GreedyLlama

    def decoder(variant: str) -> type[Llama]:
        parts = [p.partition(":")[0] for p in variant.split("+")]
        return Llama if "library" in parts or "lookup" in parts else GreedyLlama

    llms = {v: decoder(v)(model_path=model, **llama_params(v)) for v in variants}
    rows: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    for n, msgs in enumerate(messages):
        for v, llm in llms.items():
            before = counters(llm)
            t0 = time.perf_counter()
            out = llm.create_chat_completion(
                messages=msgs, response_format=schema, max_tokens=600, temperature=0.0, seed=0
            )
            wall = time.perf_counter() - t0
            after = counters(llm)
            if n == 0:
                continue  # warm-up: loads the fixed prompt prefix into each variant's KV cache
            rows[v].append(
                {
                    "wall_s": wall,
                    "reply": out["choices"][0]["message"]["content"],
                    "evaluated_prompt_tokens": after["p_tok"] - before["p_tok"],
                    "decode_steps": after["g_tok"] - before["g_tok"],
                    "prompt_s": (after["p_ms"] - before["p_ms"]) / 1000,
                    "gen_s": (after["g_ms"] - before["g_ms"]) / 1000,
                    "completion_tokens": out["usage"]["completion_tokens"],
                }
            )
        print(f"claim {n}/{len(messages) - 1} done", file=sys.stderr, flush=True)
    base = rows[variants[0]]
    summary = {}
    print(f"{'variant':<18} {'p50 s':>7} {'p95 s':>7} {'p50 ×':>6} {'p95 ×':>6} {'same':>6} {'eval p50':>9}")
    for v, r in rows.items():
        walls = [x["wall_s"] for x in r]
        s = {
            "p50_s": statistics.median(walls),
            "p95_s": percentile(walls, 95),
            "same_replies": sum(a["reply"] == b["reply"] for a, b in zip(base, r, strict=True)),
            "evaluated_prompt_tokens_p50": statistics.median(x["evaluated_prompt_tokens"] for x in r),
            "completion_tokens_p50": statistics.median(x["completion_tokens"] for x in r),
            "decode_steps_p50": statistics.median(x["decode_steps"] for x in r),
            "prompt_s_p50": statistics.median(x["prompt_s"] for x in r),
            "gen_s_p50": statistics.median(x["gen_s"] for x in r),
        }
        s["p50_ratio"] = s["p50_s"] / summary.get(variants[0], s)["p50_s"]
        s["p95_ratio"] = s["p95_s"] / summary.get(variants[0], s)["p95_s"]
        summary[v] = s
        print(
            f"{v:<18} {s['p50_s']:>7.2f} {s['p95_s']:>7.2f} {s['p50_ratio']:>6.2f} {s['p95_ratio']:>6.2f} "
            f"{s['same_replies']:>3}/{len(r):<2} {s['evaluated_prompt_tokens_p50']:>9.0f}"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"summary": summary, "calls": rows, "variants": variants}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
