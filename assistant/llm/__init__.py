"""Chat backends by name: ``local`` (embedded llama.cpp, default) and ``openai`` (any compatible server)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import ConfigError
from .base import StructuredChat, Usage

BACKENDS = ("local", "openai")

__all__ = ["BACKENDS", "StructuredChat", "Usage", "make_chat"]


def make_chat(
    backend: str,
    *,
    model_dir: Path,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    on_assemble_progress: Callable[[int, int], None] | None = None,
) -> StructuredChat:
    """Build the named backend; the local one assembles and verifies its model file first."""
    if backend == "local":
        from .local import make_local_chat
        from .model_file import ensure_model

        return make_local_chat(str(ensure_model(model_dir, on_assemble_progress)))
    if backend == "openai":
        from .openai_compat import make_openai_chat

        return make_openai_chat(model, base_url, api_key)
    raise ConfigError(f"unknown backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
