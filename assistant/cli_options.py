"""The options several commands share, declared once: :func:`shared_options` adds them to a command.

A command decorated with ``@shared_options(*names)`` lists those options in its ``--help`` like its own, and
receives them as one ``flags`` dict for :func:`assistant.config.resolve_settings`: the ones given to the
command, and for the others the same option given before the command (``factcheck --home X docs``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from .defaults import MAX_K

T = TypeVar("T")

HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="State folder (default ./index, env FACTCHECK_HOME).")
]
IndexOpt = Annotated[str | None, typer.Option("--index", help="Index folder (default HOME/chroma).")]
ChromaOpt = Annotated[
    str | None, typer.Option("--chroma-url", help="Use a Chroma server, e.g. http://127.0.0.1:8000.")
]
EmbedderOpt = Annotated[
    str | None, typer.Option("--embedder", help="use-multilingual (default), minilm, st:NAME.")
]
BackendOpt = Annotated[str | None, typer.Option("--backend", help="local (default) or openai.")]
ModelOpt = Annotated[
    str | None, typer.Option("--model", help="Model name for the openai backend (env OPENAI_MODEL).")
]
BaseUrlOpt = Annotated[
    str | None, typer.Option("--base-url", help="OpenAI-compatible endpoint (env OPENAI_BASE_URL).")
]
ApiKeyOpt = Annotated[
    str | None, typer.Option("--api-key", help="API key (prefer env OPENAI_API_KEY).", show_default=False)
]
KOpt = Annotated[int | None, typer.Option("-k", help="Sentences to retrieve (default 5).", min=1, max=MAX_K)]
PipelineOpt = Annotated[
    str | None,
    typer.Option(
        "--pipeline",
        help="default, server, model, baseline or previous, or a version such as check.v21 "
        "(env FACTCHECK_PIPELINE).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object per result, for pipelines.")]
DebugOpt = Annotated[
    bool,
    typer.Option("--debug", help="With --json: add each statement's signals and model probabilities."),
]
DocOpt = Annotated[str | None, typer.Option("--doc", help="Only use this document (id or file name).")]

#: Parameter name → option, in the order ``--help`` lists them.
SHARED: dict[str, Any] = {
    "k": KOpt,
    "pipeline": PipelineOpt,
    "home": HomeOpt,
    "index": IndexOpt,
    "chroma_url": ChromaOpt,
    "embedder": EmbedderOpt,
    "backend": BackendOpt,
    "model": ModelOpt,
    "base_url": BaseUrlOpt,
    "api_key": ApiKeyOpt,
}
#: Where the index is and how it is embedded: what every command that opens the index takes.
INDEX = ("home", "index", "chroma_url", "embedder")
#: Everything a check needs: the index, the model and the pipeline.
ALL = tuple(SHARED)


def given_before(ctx: typer.Context) -> dict[str, Any]:
    """The shared options given before the command (``factcheck --home X docs``), saved by the root."""
    obj = ctx.find_root().obj
    return dict(obj) if isinstance(obj, dict) else {}


def shared_options(*names: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Add the shared options ``names`` to a command that takes ``ctx`` and ``flags``.

    ``flags`` holds the options given to the command; one it was not given falls back to the same option
    given before the command.
    """
    unknown = set(names) - set(SHARED)
    if unknown:
        raise ValueError(f"no shared option {sorted(unknown)}")
    ordered = [n for n in SHARED if n in names]

    def decorate(fn: Callable[..., T]) -> Callable[..., T]:
        signature = inspect.signature(fn, eval_str=True)
        own = [p for p in signature.parameters.values() if p.name != "flags"]
        added = [
            inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=SHARED[n])
            for n in ordered
        ]

        @functools.wraps(fn)
        def command(*args: Any, **kwargs: Any) -> T:
            given = {n: kwargs.pop(n, None) for n in ordered}
            ctx = kwargs["ctx"] if "ctx" in kwargs else args[0]
            flags = {**given_before(ctx), **{n: v for n, v in given.items() if v is not None}}
            return fn(*args, flags=flags, **kwargs)

        command.__signature__ = signature.replace(parameters=[*own, *added])  # type: ignore[attr-defined]
        return command

    return decorate
