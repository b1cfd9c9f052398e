"""The ``factcheck`` command: a thin shell over the library. Errors become one line and an exit code.

Each command parses its options, calls the library and hands what it got to :mod:`assistant.render` (and
:mod:`assistant.progress` while it runs); shared options are declared once in :mod:`assistant.cli_options`.
The commands live in modules by what they work on: :mod:`assistant.cli_check` (claims and drafts),
:mod:`assistant.cli_sources` (the documents), :mod:`assistant.cli_eval` (evaluation); this module holds the
root, the small commands and what they share. The library is imported inside the commands, so
``factcheck --help`` and ``--version`` load no model, no torch and no verdict weights.
"""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import click
import typer
from rich.console import Console

from . import __version__
from .cli_options import ALL, BackendOpt, DocOpt, JsonOpt, shared_options
from .errors import FactCheckError

if TYPE_CHECKING:
    from .app import App

__all__ = ["cli", "main"]

cli: typer.Typer = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    invoke_without_command=True,
    help="Check claims against your sources and see exactly where the answer stands in the text.",
    pretty_exceptions_enable=False,
    # Plain help: rich's panels cut option names at 80 columns, tag flags <bool> and read "[min]" as markup.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
out = Console()
err = Console(stderr=True)

HtmlOpt = Annotated[
    Path | None,
    typer.Option("--html", help="Also write the results as one self-contained HTML page (open it, send it)."),
]


def _app(**flags: Any) -> App:
    from .app import App
    from .config import resolve_settings
    from .progress import assembly_progress

    settings = resolve_settings(**flags)
    app = App(settings, on_assemble_progress=assembly_progress(err))
    # The index is closed when the command ends, however it ends (its files are released at once, which
    # matters where commands run in one process: the chat's /ingest, tests).
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(app.close)
    return app


def _version(value: bool) -> None:
    if value:
        try:
            version = importlib.metadata.version("factcheck-assistant")
        except importlib.metadata.PackageNotFoundError:
            version = __version__
        print(f"factcheck {version}")
        raise typer.Exit()


@cli.callback()
@shared_options(*ALL)
def _default(
    ctx: typer.Context,
    flags: dict[str, Any],
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", is_eager=True, callback=_version),
    ] = False,
    no_log: Annotated[
        bool, typer.Option("--no-log", help="Do not add checks to the local log (env FACTCHECK_LOG=0).")
    ] = False,
) -> None:
    """Check claims against your sources; with no command, open the chat.

    Options given here, before the command, apply to it (factcheck --home X docs).
    """
    ctx.obj = {**flags, **({"log": False} if no_log else {})}
    if ctx.invoked_subcommand is None:
        chat(ctx=ctx)


@cli.command()
@shared_options(*ALL)
def chat(ctx: typer.Context, flags: dict[str, Any], doc: DocOpt = None) -> None:
    """Ask questions and check claims interactively. The default command."""
    from .chat import run_chat
    from .config import resolve_settings

    raise typer.Exit(run_chat(resolve_settings(**flags), doc=doc))


@cli.command()
@shared_options(*ALL)
def serve(
    ctx: typer.Context,
    flags: dict[str, Any],
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; other than loopback needs a token.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")] = 8765,
    token_file: Annotated[
        Path | None, typer.Option("--token-file", help="Access token (first line); or env FACTCHECK_TOKEN.")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, max=32, help="Checks at once (default: 1 local, 4 server)."),
    ] = None,
) -> None:
    """Open the web app: sources, checks and the log in the browser (http://127.0.0.1:8765/)."""
    from . import render
    from .web.serve import serve as run_server

    run_server(
        _app(**flags), host=host, port=port, token_file=token_file, workers=workers,
        on_ready=lambda url: render.say(err, f"factcheck web app on {url} (Ctrl-C to stop)"),
    )  # fmt: skip


@cli.command()
@shared_options("home")
def prepare(
    ctx: typer.Context,
    flags: dict[str, Any],
    backend: BackendOpt = None,
    recheck: Annotated[
        bool, typer.Option("--recheck", help="Run the runtime's test decode again even if it passed before.")
    ] = False,
) -> None:
    """Assemble and verify the model file, then test-decode it in a child process (also done on first use)."""
    from . import render
    from .progress import assembly_progress

    # Only this command's --backend counts: prepare is for the local model unless told otherwise.
    app = _app(**{**flags, "backend": backend or "local"})
    from .llm.model_file import ensure_model
    from .llm.runtime_check import verify_runtime

    path = ensure_model(app.settings.model_dir, assembly_progress(err))
    render.say(out, f"model ready: {path}")
    with err.status("testing the llama.cpp runtime on a multi-token decode…"):
        ran = verify_runtime(path, force=recheck)
    render.say(
        out, "runtime verified: test decode passed" + ("" if ran else " (cached for this build and model)")
    )


@cli.command("log")
@shared_options("home")
def log_(
    ctx: typer.Context,
    flags: dict[str, Any],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Show the last N checks.")] = 20,
    wide: Annotated[bool, typer.Option("--wide", help="Every column: full date, pipeline, origin.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List past checks and their verdicts. They are kept in HOME/log.sqlite."""
    import dataclasses
    import json

    from . import render
    from .checklog import CheckLog
    from .config import resolve_settings

    settings = resolve_settings(**flags)
    log = CheckLog(settings.home)
    entries = log.recent(limit)
    if as_json:
        render.print_json(json.dumps([dataclasses.asdict(e) for e in entries], ensure_ascii=False), out)
    elif not entries:
        off = "" if settings.log else " (logging is off: FACTCHECK_LOG / log in config.toml / --no-log)"
        render.say(out, f"no checks logged in {log.path}{off}")
    else:
        out.print(render.log_table(entries, wide=wide))


def main() -> None:
    """Console entry point."""
    try:
        rc = cli(standalone_mode=False)
        sys.exit(rc if isinstance(rc, int) else 0)
    except FactCheckError as exc:
        from . import render

        render.say(err, render.error_line(str(exc)))
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (click.ClickException, typer.TyperException) as exc:
        # typer >= 0.29 vendors click: its usage errors (BadParameter, …) are not click.ClickException
        if hasattr(exc, "show"):
            exc.show()
        else:
            err.print(f"error: {exc.format_message()}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, typer.Abort, KeyboardInterrupt):
        err.print("interrupted", markup=False, highlight=False, soft_wrap=True)
        sys.exit(130)


# The commands of the other modules register on ``cli`` when imported (they import this module first).
from . import cli_check, cli_eval, cli_sources  # noqa: E402, F401
