"""The ``factcheck`` command: a thin shell over the library. Errors become one line and an exit code.

Each command parses its options, calls the library and hands what it got to :mod:`assistant.render` (and
:mod:`assistant.progress` while it runs); shared options are declared once in :mod:`assistant.cli_options`.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.markup import escape

from . import __version__, render
from .app import App
from .batch import ClaimInput, check_many, read_claims
from .checklog import CheckLog
from .cli_options import ALL, INDEX, BackendOpt, DebugOpt, DocOpt, JsonOpt, shared_options
from .config import Settings, resolve_settings
from .errors import FactCheckError, InputError
from .html_report import check_report_html, write_html
from .ingest import ingest_paths
from .progress import EtaColumn, StageProgress, assembly_progress, check_status, ingest_bar, status
from .schemas import CheckResult, result_json

__all__ = ["EtaColumn", "cli", "main"]

cli = typer.Typer(
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
    settings = resolve_settings(**flags)
    return App(settings, on_assemble_progress=assembly_progress(err))


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

    raise typer.Exit(run_chat(resolve_settings(**flags), doc=doc))


@cli.command()
@shared_options(*ALL)
def check(
    ctx: typer.Context,
    flags: dict[str, Any],
    claim: Annotated[
        str | None,
        typer.Argument(
            metavar="CLAIM",
            help="The claim to check, in any language; - reads claims from stdin, one per line (or --file).",
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Check every claim in a .txt (one per line) or .jsonl file."),
    ] = None,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Results of --file as JSON lines (default: FILE_STEM.results.jsonl next to FILE); "
            "a rerun skips the claims already done.",
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=32, help="Claims checked at once with --file.")
    ] = 1,
    doc: DocOpt = None,
    as_json: JsonOpt = False,
    debug: DebugOpt = False,
    html: HtmlOpt = None,
) -> None:
    """Check claims against the indexed documents. One CLAIM, the claims on stdin (-) or a --file."""
    if (claim is None) == (file is None):
        raise typer.BadParameter("give either a CLAIM or --file PATH", param_hint="CLAIM / --file")
    if file is None and (out_path is not None or concurrency != 1):
        raise typer.BadParameter("--out and --concurrency go with --file", param_hint="--file")
    if claim is not None and not claim.strip():
        raise typer.BadParameter("the claim is empty", param_hint="CLAIM")
    if html is not None and html.is_dir():
        raise InputError(f"--html {html}: is a folder; give a file name such as report.html")
    # Bad input fails before any model loads.
    claims = read_claims(file) if file is not None else []
    texts = _stdin_claims() if claim == "-" else [claim] if claim is not None else []
    app = _app(**flags)
    _ = app.embeddings, app.chat  # configuration errors first, before touching the index
    doc_id = _resolve_doc(app, doc)
    _require_documents(app)
    with status("loading the model…", err):
        app.chat.load()
    if app.checker.fallback_note is not None:
        render.say(err, f"note: {app.checker.fallback_note}")
    if file is not None:
        _check_file(
            app, file, claims, out_path, doc_id=doc_id, concurrency=concurrency, as_json=as_json, html=html,
            debug=debug,
        )  # fmt: skip
        return
    log = _check_log(app.settings)
    results: list[CheckResult] = []
    for n, text in enumerate(texts, 1):
        with check_status(err, n, len(texts)):
            result = app.checker.check(text, doc_id=doc_id, k=flags.get("k"))
        results.append(result)
        if log is not None:
            log.add(result, "check")
        if as_json:  # one object; several claims: JSON lines, one object per claim
            pretty = len(texts) == 1 and out.is_terminal
            render.print_json(result_json(result, debug=debug), out, pretty=pretty)
        else:
            render.render_result(result, out)
    if html is not None:
        _write_check_html(app, html, results)


def _stdin_claims() -> list[str]:
    """Claims read from stdin, one per non-empty line."""
    if sys.stdin.isatty():
        render.say(err, "reading claims from stdin, one per line; end with Ctrl-D")
    claims = [line.strip() for line in sys.stdin.read().splitlines() if line.strip()]
    if not claims:
        raise InputError("no claims on stdin: give one per line")
    return claims


def _check_log(settings: Settings) -> CheckLog | None:
    """The log that checks are added to, or None when logging is off."""
    return CheckLog(settings.home, secrets=[settings.api_key]) if settings.log else None


def _document_texts(app: App) -> Callable[[str], str | None]:
    """Document text by id, read once each from the index."""
    texts: dict[str, str | None] = {}

    def lookup(doc_id: str) -> str | None:
        if doc_id not in texts:
            doc = app.store.get_document(doc_id)
            texts[doc_id] = doc.text if doc is not None else None
        return texts[doc_id]

    return lookup


def _write_check_html(app: App, path: Path, results: list[CheckResult]) -> None:
    title = results[0].claim if len(results) == 1 else f"factcheck: {len(results)} claims"
    write_html(path, check_report_html(results, _document_texts(app), title=title))
    render.say(err, f"HTML report → {path}")


def _check_file(
    app: App,
    file: Path,
    claims: list[ClaimInput],
    out_path: Path | None,
    *,
    doc_id: str | None,
    concurrency: int,
    as_json: bool,
    html: Path | None = None,
    debug: bool = False,
) -> None:
    out_path = out_path or file.with_name(f"{file.stem}.results.jsonl")
    if out_path.resolve() == file.resolve():
        raise typer.BadParameter("--out must not be the claims file", param_hint="--out")
    if doc_id is not None:  # --doc is the default for claims that name no document
        claims = [c if c.doc else dataclasses.replace(c, doc=doc_id) for c in claims]
    with StageProgress(err) as progress:

        def on_progress(done: int, total: int) -> None:
            if done == 0:
                progress.stage("checking claims", total)
            else:
                progress.advance()

        summary = check_many(
            app.checker, claims, out_path, concurrency=concurrency, on_progress=on_progress, debug=debug
        )
    if as_json:
        render.print_json(json.dumps({"out": str(out_path), **dataclasses.asdict(summary)}), out)
    else:
        verdicts = ", ".join(f"{n} {v}" for v, n in sorted(summary.verdicts.items()))
        render.say(
            out,
            f"checked {summary.checked}, failed {summary.failed}, skipped {summary.skipped} already done"
            + (f" ({verdicts})" if verdicts else "")
            + f" → {out_path}",
        )
    if html is not None:  # every result in the file, this run's and earlier ones
        lines = [json.loads(line) for line in out_path.read_text("utf-8").splitlines() if line.strip()]
        _write_check_html(app, html, [CheckResult.model_validate(r) for r in lines if "verdict" in r])
    if summary.failed:
        render.say(err, f"{summary.failed} claim(s) failed (see {out_path}); run again to retry them")
        raise typer.Exit(1)


@cli.command()
@shared_options(*INDEX)
def ingest(
    ctx: typer.Context,
    flags: dict[str, Any],
    paths: Annotated[
        list[Path],
        typer.Argument(metavar="PATH...", help=".txt/.md files or folders (searched recursively)."),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Add or update documents in the index. Unchanged files are skipped."""
    app = _app(**flags)
    bar = ingest_bar(err)
    # On a terminal a live bar of sentences; in a log (not a terminal) a line every 10% of the files.
    lines = StageProgress(err) if not err.is_terminal else None
    counts = {"files": 0, "done": 0}

    def on_files(n: int) -> None:
        counts["files"] = n
        if lines:
            lines.stage("ingesting files", n)

    def on_file_done() -> None:
        counts["done"] += 1
        if lines:
            lines.advance()

    try:
        with bar:
            task = bar.add_task("ingesting", total=None)

            def on_start(name: str, _chars: int) -> None:
                bar.update(task, description=escape(name))

            report = ingest_paths(
                app.store,
                app.embeddings,
                paths,
                on_start=on_start,
                on_progress=lambda n: bar.advance(task, n),
                on_files=on_files,
                on_file_done=on_file_done,
            )
    except KeyboardInterrupt:
        render.say(
            err,
            f"interrupted after {counts['done']} of {counts['files']} files: each document is either "
            "committed whole or not at all; run the same command again to finish (unchanged files are "
            "skipped)",
        )
        raise typer.Exit(130) from None
    if as_json:
        render.print_json(
            json.dumps({"documents": [o.__dict__ for o in report.outcomes], "errors": report.errors}), out
        )
    else:
        for line in render.ingest_outcome_lines(report):
            render.say(out, line)
        for e in report.errors:
            render.say(err, render.skipped_line(e))
    if not report.ok:
        raise typer.Exit(2)


@cli.command()
@shared_options(*INDEX)
def docs(ctx: typer.Context, flags: dict[str, Any], as_json: JsonOpt = False) -> None:
    """List the indexed documents."""
    app = _app(**flags)
    documents = app.store.list_documents() if _index_exists(app.settings) else []
    if as_json:
        render.print_json(render.documents_json(documents), out)
    elif not documents:
        render.say(out, f"no documents in {app.settings.index}; add some with `factcheck ingest PATH`")
    else:
        out.print(render.documents_table(documents))


@cli.command()
@shared_options(*INDEX)
def remove(
    ctx: typer.Context,
    flags: dict[str, Any],
    name: Annotated[str, typer.Argument(metavar="NAME", help="Document id or file name.")],
) -> None:
    """Remove a document and its sentences from the index."""
    app = _app(**flags)
    if not _index_exists(app.settings):
        raise FactCheckError(f"no document {name!r}: nothing is indexed in {app.settings.index}")
    doc_id = _resolve_doc(app, name)
    assert doc_id is not None
    with app.store.write_lock():
        app.store.delete_document(doc_id)
    render.say(out, f"removed {doc_id}")


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


@cli.command("eval")
@shared_options(*ALL)
def eval_(
    ctx: typer.Context,
    flags: dict[str, Any],
    dataset: Annotated[
        Path,
        typer.Argument(
            metavar="DATASET", help="A JSON-lines gold file, WiCE claim_dev.jsonl or a Check-COVID folder."
        ),
    ],
    corpus: Annotated[
        Path | None, typer.Option("--corpus", help="Corpus file or folder for a JSON-lines dataset.")
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="jsonl, wice or check-covid (default: inferred).")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Score only the first N items.")] = None,
    split: Annotated[
        str | None, typer.Option("--split", help="dev, test or all (halves by hash of item id).")
    ] = None,
    report_json: Annotated[
        Path | None, typer.Option("--report-json", help="Write the JSON report here.")
    ] = None,
    report_md: Annotated[
        Path | None, typer.Option("--report-md", help="Write the Markdown report here.")
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            help="Write the HTML report here: metrics, confusion, reliability diagram, items it got wrong.",
        ),
    ] = None,
    thresholds: Annotated[
        Path | None,
        typer.Option("--thresholds", help="TOML file of [min]/[max] metrics; fail below them."),
    ] = None,
    compare_embedders: Annotated[
        str, typer.Option("--compare-embedders", help="Comma-separated embedders for the retrieval ablation.")
    ] = "use-multilingual,minilm",
    baseline: Annotated[
        bool, typer.Option("--baseline/--no-baseline", help="Also run the naive single-prompt RAG baseline.")
    ] = False,
    compare: Annotated[
        str,
        typer.Option(
            "--compare", help="Comma-separated pipeline versions to score side by side, e.g. check.v1."
        ),
    ] = "",
    retrieval_only: Annotated[
        bool, typer.Option("--retrieval-only", help="Score retrieval only; load no LLM.")
    ] = False,
    injection_suite: Annotated[
        bool,
        typer.Option(
            "--injection-suite",
            help="Also check hostile variants of the corpus article; the report counts verdict flips.",
        ),
    ] = False,
) -> None:
    """Score a dataset with the pipeline users get. Writes JSON, Markdown and HTML reports."""
    from .evaluation.job import EvalJob, EvalOptions, append_job_summary

    options = EvalOptions(
        dataset=dataset,
        corpus=corpus,
        fmt=fmt,
        limit=limit,
        split=split,
        thresholds=thresholds,
        embedders=compare_embedders.split(","),
        compare=compare.split(","),
        baseline=baseline,
        retrieval_only=retrieval_only,
        injection_suite=injection_suite,
    )
    job = EvalJob(_app(**flags), options)
    chat = None
    if job.needs_model:
        with status("loading the model…", err):
            chat = job.load_model()
    with StageProgress(err) as progress:
        outcome = job.run(chat, on_stage=progress.stage, on_progress=progress.advance)
    outcome.write(json_path=report_json, md_path=report_md, html_path=html)
    if html is not None:
        render.say(err, f"HTML report → {html}")
    summary = outcome.markdown
    append_job_summary(summary)
    render.print_markdown(summary, out)
    if (gate_failed := outcome.gate_error()) is not None:
        raise gate_failed


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


def _index_exists(settings: Settings) -> bool:
    """False for a local index folder that was never created (nothing is indexed; do not create it)."""
    return settings.index.startswith(("http://", "https://")) or Path(settings.index).exists()


def _require_documents(app: App) -> None:
    if not app.store.list_documents():
        raise FactCheckError(f"the index at {app.settings.index} is empty: run `factcheck ingest PATH` first")


def _resolve_doc(app: App, name: str | None) -> str | None:
    if name is None:
        return None
    found = app.store.find_document(name)
    if found is None:
        raise InputError(f"no document {name!r} in the index; `factcheck docs` lists them")
    return found.doc_id


def main() -> None:
    """Console entry point."""
    try:
        rc = cli(standalone_mode=False)
        sys.exit(rc if isinstance(rc, int) else 0)
    except FactCheckError as exc:
        render.say(err, render.error_line(str(exc)))
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (click.ClickException, typer.TyperException) as exc:
        # typer >= 0.29 vendors click: its usage errors (BadParameter, …) are not click.ClickException
        if hasattr(exc, "show"):
            exc.show()
        else:
            render.say(err, f"error: {exc.format_message()}")
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, typer.Abort, KeyboardInterrupt):
        render.say(err, "interrupted")
        sys.exit(130)
