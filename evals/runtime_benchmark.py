"""Prompt and generation speed of llama.cpp runtime builds, side by side in one run.

Each runtime runs in its own child process (a build is a shared library: two cannot share one process):
``--runtime NAME=DIR`` puts DIR (a ``pip install --target`` folder holding another llama-cpp-python build)
first on the child's path; ``NAME=venv`` uses the installed one. Per runtime it loads the embedded model
and, ``--repeats`` times on a fresh context, decodes a prompt of ``--prompt-tokens`` tokens of the seed
article (batches of 512) and then generates ``--gen`` tokens greedily, timing both.

    python evals/runtime_benchmark.py --runtime portable=venv --runtime native=/tmp/llama-native \\
        --json evals/reports/runtime-benchmark.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "musk-nato.de.txt"


def child(prompt_tokens: int, gen: int, repeats: int, threads: int) -> dict[str, object]:
    """Measure the runtime importable in this process."""
    import llama_cpp
    from llama_cpp import Llama

    from assistant.config import resolve_settings
    from assistant.llm.model_file import ensure_model

    model = ensure_model(resolve_settings().model_dir)
    llm = Llama(model_path=str(model), n_ctx=2048, n_batch=512, n_threads=threads, seed=0, verbose=False)
    tokens = llm.tokenize(SEED.read_text(encoding="utf-8").encode("utf-8"))
    while len(tokens) < prompt_tokens:
        tokens = tokens + tokens
    tokens = tokens[:prompt_tokens]
    prompt_tps, gen_tps = [], []
    for _ in range(repeats):
        llm.reset()
        t0 = time.perf_counter()
        llm.eval(tokens)
        prompt_tps.append(len(tokens) / (time.perf_counter() - t0))
        # Generation as checks run it: llama-cpp-python's own sampling loop, greedy. The prompt is cached, so
        # the loop re-evaluates only its last token; each of the ``gen`` tokens costs one decode step.
        t0 = time.perf_counter()
        for i, _token in enumerate(llm.generate(tokens, temp=0.0, reset=True)):
            if i + 1 >= gen:
                break
        gen_tps.append(gen / (time.perf_counter() - t0))
    return {
        "llama_cpp": llama_cpp.__version__,
        "library": str(Path(llama_cpp.__file__).parent),
        "system_info": llama_cpp.llama_print_system_info().decode(errors="replace"),
        "threads": threads,
        "prompt_tokens": len(tokens),
        "generated_tokens": gen,
        "repeats": repeats,
        "prompt_tok_s": statistics.median(prompt_tps),
        "gen_tok_s": statistics.median(gen_tps),
        "prompt_tok_s_all": prompt_tps,
        "gen_tok_s_all": gen_tps,
    }


def main() -> int:
    """Run each runtime in a child and print speeds and ratios against the first."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runtime", action="append", default=[], help="NAME=DIR or NAME=venv (repeatable)")
    ap.add_argument("--prompt-tokens", type=int, default=512)
    ap.add_argument("--gen", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=2, help="measurements per child")
    ap.add_argument("--rounds", type=int, default=3, help="children per runtime, interleaved")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.prompt_tokens, args.gen, args.repeats, args.threads)))
        return 0
    runtimes = [r.split("=", 1) for r in (args.runtime or ["installed=venv"])]
    runs: dict[str, list[dict[str, object]]] = {name: [] for name, _ in runtimes}
    # Runtimes alternate round by round, so load from anything else on the machine falls on all of them.
    for round_ in range(args.rounds):
        for name, where in runtimes:
            env = dict(os.environ, HF_HUB_OFFLINE="1")
            paths = [str(ROOT)] if where == "venv" else [str(Path(where).resolve()), str(ROOT)]
            env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
            cmd = [sys.executable, __file__, "--child", "--prompt-tokens", str(args.prompt_tokens)]
            cmd += ["--gen", str(args.gen), "--repeats", str(args.repeats), "--threads", str(args.threads)]
            print(f"[{name}] round {round_ + 1}/{args.rounds} ({where}) …", file=sys.stderr, flush=True)
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                tail = proc.stderr.strip()[-400:]
                print(f"[{name}] failed with exit {proc.returncode}: {tail}", file=sys.stderr)
                return 1
            runs[name].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    results: dict[str, dict[str, object]] = {}
    for name, rounds in runs.items():
        prompt_all = [x for r in rounds for x in r["prompt_tok_s_all"]]  # type: ignore[attr-defined]
        gen_all = [x for r in rounds for x in r["gen_tok_s_all"]]  # type: ignore[attr-defined]
        results[name] = rounds[0] | {
            "rounds": len(rounds),
            "prompt_tok_s": statistics.median(prompt_all),
            "gen_tok_s": statistics.median(gen_all),
            "prompt_tok_s_all": prompt_all,
            "gen_tok_s_all": gen_all,
        }
    base = next(iter(results.values()))
    print(f"{'runtime':<12} {'prompt tok/s':>12} {'gen tok/s':>10} {'prompt ×':>9} {'gen ×':>7}")
    for name, r in results.items():
        print(
            f"{name:<12} {r['prompt_tok_s']:>12.1f} {r['gen_tok_s']:>10.1f} "
            f"{r['prompt_tok_s'] / base['prompt_tok_s']:>9.2f} {r['gen_tok_s'] / base['gen_tok_s']:>7.2f}"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {"runtimes": results, "args": vars(args) | {"json": str(args.json)}}, indent=1, default=str
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
