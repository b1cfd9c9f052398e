"""``factcheck check`` and ``factcheck draft``: claims, files of claims and whole drafts."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import cli as _cli
from .cli import HtmlOpt
from .cli_options import ALL, DebugOpt, DocOpt, JsonOpt, shared_options
from .errors import InputError

if TYPE_CHECKING:
    from .app import App
    from .batch import ClaimInput
    from .schemas import CheckResult


@_cli.cli.command()
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
    from . import render
    from .batch import read_claims
    from .progress import check_status, status
    from .schemas import result_json

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
    app = _cli._app(**flags)
    _ = app.embeddings, app.chat  # configuration errors first, before touching the index
    doc_id = app.resolve_doc(doc)
    app.require_documents()
    with status("loading the model…", _cli.err):
        app.chat.load()
    if app.checker.fallback_note is not None:
        render.say(_cli.err, f"note: {app.checker.fallback_note}")
    if file is not None:
        _check_file(
            app, file, claims, out_path, doc_id=doc_id, concurrency=concurrency, as_json=as_json, html=html,
            debug=debug,
        )  # fmt: skip
        return
    log = app.check_log()
    results: list[CheckResult] = []
    for n, text in enumerate(texts, 1):
        with check_status(_cli.err, n, len(texts)):
            result = app.checker.check(text, doc_id=doc_id, k=flags.get("k"))
        results.append(result)
        if log is not None:
            log.add(result, "check")
        if as_json:  # one object; several claims: JSON lines, one object per claim
            pretty = len(texts) == 1 and _cli.out.is_terminal
            render.print_json(result_json(result, debug=debug), _cli.out, pretty=pretty)
        else:
            render.render_result(result, _cli.out)
    if html is not None:
        _write_check_html(app, html, results)


@_cli.cli.command()
@shared_options(*ALL)
def draft(
    ctx: typer.Context,
    flags: dict[str, Any],
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="The draft: a .txt or .md file, or - for stdin.")
    ],
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, help="Check only the first N claims (needed above 150 claims)."),
    ] = None,
    doc: DocOpt = None,
    as_json: JsonOpt = False,
    html: HtmlOpt = None,
) -> None:
    """Check a whole draft: every check-worthy sentence found, decided and shown in place."""
    from .draft.command import run_draft_command

    run_draft_command(
        _cli._app, flags, file, limit=limit, doc=doc, as_json=as_json, html=html, out=_cli.out, err=_cli.err
    )


def _stdin_claims() -> list[str]:
    """Claims read from stdin, one per non-empty line."""
    from . import render

    if sys.stdin.isatty():
        render.say(_cli.err, "reading claims from stdin, one per line; end with Ctrl-D")
    claims = [line.strip() for line in sys.stdin.read().splitlines() if line.strip()]
    if not claims:
        raise InputError("no claims on stdin: give one per line")
    return claims


def _write_check_html(app: App, path: Path, results: list[CheckResult]) -> None:
    from . import render
    from .html_report import check_report_html, write_html

    title = results[0].claim if len(results) == 1 else f"factcheck: {len(results)} claims"
    write_html(path, check_report_html(results, app.document_texts(), title=title))
    render.say(_cli.err, f"HTML report → {path}")


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
    from . import render
    from .batch import check_many
    from .progress import StageProgress
    from .schemas import CheckResult

    out_path = out_path or file.with_name(f"{file.stem}.results.jsonl")
    if out_path.resolve() == file.resolve():
        raise typer.BadParameter("--out must not be the claims file", param_hint="--out")
    if doc_id is not None:  # --doc is the default for claims that name no document
        claims = [c if c.doc else dataclasses.replace(c, doc=doc_id) for c in claims]
    with StageProgress(_cli.err) as progress:

        def on_progress(done: int, total: int) -> None:
            if done == 0:
                progress.stage("checking claims", total)
            else:
                progress.advance()

        summary = check_many(
            app.checker, claims, out_path, concurrency=concurrency, on_progress=on_progress, debug=debug
        )
    if as_json:
        render.print_json(json.dumps({"out": str(out_path), **dataclasses.asdict(summary)}), _cli.out)
    else:
        verdicts = ", ".join(f"{n} {v}" for v, n in sorted(summary.verdicts.items()))
        render.say(
            _cli.out,
            f"checked {summary.checked}, failed {summary.failed}, skipped {summary.skipped} already done"
            + (f" ({verdicts})" if verdicts else "")
            + f" → {out_path}",
        )
    if html is not None:  # every result in the file, this run's and earlier ones
        lines = [json.loads(line) for line in out_path.read_text("utf-8").splitlines() if line.strip()]
        _write_check_html(app, html, [CheckResult.model_validate(r) for r in lines if "verdict" in r])
    if summary.failed:
        render.say(_cli.err, f"{summary.failed} claim(s) failed (see {out_path}); run again to retry them")
        raise typer.Exit(1)
