"""``factcheck eval``: score a dataset with the pipeline users get."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from . import cli as _cli
from .cli_options import ALL, shared_options


@_cli.cli.command("eval")
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
        str | None, typer.Option("--format", help="jsonl, wice, check-covid or drafts (default: inferred).")
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
    from . import render
    from .progress import StageProgress, status

    if fmt == "drafts":  # whole drafts (issue 32): their own loader, metrics and report
        from .evaluation.drafts_command import run_drafts_command

        run_drafts_command(
            _cli._app(**flags), dataset, corpus, split, limit, thresholds, report_json, report_md, _cli.out
        )
        return
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
    job = EvalJob(_cli._app(**flags), options)
    chat = None
    if job.needs_model:
        with status("loading the model…", _cli.err):
            chat = job.load_model()
    with StageProgress(_cli.err) as progress:
        outcome = job.run(chat, on_stage=progress.stage, on_progress=progress.advance)
    outcome.write(json_path=report_json, md_path=report_md, html_path=html)
    if html is not None:
        render.say(_cli.err, f"HTML report → {html}")
    summary = outcome.markdown
    append_job_summary(summary)
    render.print_markdown(summary, _cli.out)
    if (gate_failed := outcome.gate_error()) is not None:
        raise gate_failed
