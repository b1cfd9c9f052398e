"""Trust the llama.cpp runtime only after a real decode has run in a child process.

A llama.cpp build can hold instructions the host cannot run: a ``-march=native`` build made on (or for) a
CPU that reports AMX or AVX-512 which the hypervisor does not grant dies with SIGILL, and only on a
multi-token decode, so loading the model or a one-token smoke test passes. The check here loads the model
in a child process, decodes a prompt of several hundred tokens as one batch and generates a few tokens;
if the child dies by a signal, the command ends with one line naming the cause and the rebuild command
(exit code 4) instead of a bare "Illegal instruction".

The outcome is cached per runtime build (sha256 of llama-cpp-python's shared libraries) and model file
(path, size, mtime), so the check costs once: about the time of one short check.

Run as ``python -m assistant.llm.runtime_check MODEL`` it is the child itself.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ModelError

#: The child loads 1.1 GB and decodes ~600 tokens: seconds on 2 cores; this only bounds a hung child.
PROBE_TIMEOUT_S = 600
#: Several hundred tokens, decoded as one batch: the path that faulted (AMX ``tilezero`` in a
#: multi-token matrix multiply), which a one-token prompt never reaches.
PROBE_MIN_PROMPT_TOKENS = 300
PROBE_N_CTX = 1024
PROBE_GENERATE = 8
CACHE_NAME = "runtime-checks.json"

_lock = threading.Lock()
_verified: set[str] = set()


def probe_prompt() -> str:
    """A fixed prompt of about 600 tokens, English and German, with numbers (many distinct tokens)."""
    lines = [
        f"Satz {i}: Im Jahr {1990 + i} stimmten {i * 7} Abgeordnete zu; sentence {i} reports {i * 13} votes."
        for i in range(24)
    ]
    return "\n".join(lines) + "\nSummary:"


def runtime_libraries() -> list[Path]:
    """llama-cpp-python's shared libraries, found without importing (and so loading) them."""
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("llama-cpp-python is not installed; run `make setup`")
    root = Path(next(iter(spec.submodule_search_locations)))
    libs = sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink() and (".so" in p.name or p.suffix in {".dylib", ".dll"})
    )
    if not libs:
        raise ModelError(f"llama-cpp-python at {root} has no compiled library; run `make setup`")
    return libs


def runtime_key(model_path: Path, libraries: Sequence[Path] | None = None) -> str:
    """Identity of (runtime build, model file): changes when either is rebuilt or replaced."""
    digest = hashlib.sha256()
    for lib in libraries if libraries is not None else runtime_libraries():
        digest.update(lib.name.encode())
        digest.update(hashlib.sha256(lib.read_bytes()).digest())
    st = model_path.stat()
    digest.update(f"{model_path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode())
    return digest.hexdigest()


def recorded_build() -> str | None:
    """The llama.cpp build flags `make setup` recorded for this environment, if it did."""
    stamp = Path(sys.prefix) / ".llama-build"
    try:
        return stamp.read_text().strip() or None
    except OSError:
        return None


def rebuild_hint(build: str | None) -> str:
    """The command that fixes a runtime built for instructions this CPU does not run."""
    if build is None or "GGML_NATIVE=ON" in build:
        return "rebuild it for the portable baseline: `make setup LLAMA_BUILD=portable`"
    if "GGML_AVX2=ON" in build:
        return (
            "this CPU lacks the portable baseline (AVX2/FMA/F16C): "
            "rebuild with `make setup LLAMA_BUILD=generic`"
        )
    return "rebuild it with `make setup` and report the CPU (`grep -m1 flags /proc/cpuinfo`)"


def _describe(returncode: int) -> str:
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    cause = {
        "SIGILL": "an illegal instruction: it was compiled for instructions this CPU does not grant",
        "SIGKILL": "killed, most likely out of memory",
        "SIGSEGV": "a segmentation fault",
        "SIGBUS": "a bus error",
    }.get(name, "a crash")
    return f"{name}, {cause}"


def _cache_file(cache_dir: Path) -> Path:
    return cache_dir / CACHE_NAME


def _read_cache(path: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(path: Path, key: str) -> None:
    data = _read_cache(path)
    data[key] = {
        "ok": True,
        "checked_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build": recorded_build(),
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # an unwritable cache only means the check runs again next time


def probe_command(model_path: Path) -> list[str]:
    """The child that does the test decode."""
    return [sys.executable, "-m", "assistant.llm.runtime_check", str(model_path)]


def verify_runtime(model_path: Path, cache_dir: Path | None = None, *, force: bool = False) -> bool:
    """Raise :class:`ModelError` unless a test decode of ``model_path`` runs in a child process.

    Returns True when the child ran now, False when a cached result for this build and model was used.
    """
    model_path = Path(model_path)
    cache_dir = cache_dir or model_path.parent
    key = runtime_key(model_path)
    cache = _cache_file(cache_dir)
    with _lock:
        if not force and (key in _verified or _read_cache(cache).get(key, {}).get("ok") is True):
            _verified.add(key)
            return False
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        try:
            proc = subprocess.run(
                probe_command(model_path), capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, env=env
            )
        except subprocess.TimeoutExpired:
            raise ModelError(
                f"the llama.cpp runtime did not finish a test decode in {PROBE_TIMEOUT_S} s; "
                "check the machine's load, then run `factcheck prepare` again"
            ) from None
        if proc.returncode < 0:
            raise ModelError(
                f"the llama.cpp runtime died on a test decode ({_describe(proc.returncode)}); "
                + rebuild_hint(recorded_build())
            )
        if proc.returncode != 0:
            last = next((ln for ln in reversed(proc.stderr.strip().splitlines()) if ln.strip()), "no output")
            raise ModelError(
                f"the llama.cpp runtime failed a test decode (exit {proc.returncode}): {last[:300]}"
            )
        _verified.add(key)
        _write_cache(cache, key)
        return True


def decode_probe(model_path: str, n_threads: int | None = None) -> dict[str, int]:
    """Load the model, decode :func:`probe_prompt` as one batch and generate a few tokens, here."""
    from llama_cpp import Llama

    llm = Llama(
        model_path=model_path,
        n_ctx=PROBE_N_CTX,
        n_batch=512,
        n_threads=n_threads or os.cpu_count() or 1,
        seed=0,
        verbose=False,
    )
    prompt = probe_prompt()
    n_prompt = len(llm.tokenize(prompt.encode("utf-8")))
    if n_prompt < PROBE_MIN_PROMPT_TOKENS:
        raise ModelError(
            f"probe prompt has only {n_prompt} tokens; expected at least {PROBE_MIN_PROMPT_TOKENS}"
        )
    # One completion: the prompt is decoded in batches of n_batch (here one batch), then tokens are sampled.
    out = llm.create_completion(prompt, max_tokens=PROBE_GENERATE, temperature=0.0, seed=0, stream=False)
    usage: dict[str, Any] = dict(out.get("usage") or {}) if isinstance(out, dict) else {}
    return {
        "prompt_tokens": int(usage.get("prompt_tokens", n_prompt)),
        "generated": int(usage.get("completion_tokens", 0)),
        "n_past": int(llm.n_tokens),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Child entry point: decode the probe and print its counts as JSON."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m assistant.llm.runtime_check MODEL.gguf", file=sys.stderr)
        return 2
    print(json.dumps(decode_probe(args[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
