"""``factcheck eval FILE --format drafts``: load the model, score the gold drafts with progress, write the
reports and apply the thresholds (a miss is a :class:`~assistant.evaluation.report.QualityGateError`)."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

from .. import render
from ..app import App
from ..errors import InputError
from ..progress import StageProgress, status
from .drafts import drafts_markdown, load_drafts, run_drafts_eval, write_drafts_report
from .report import QualityGateError, check_thresholds


def run_drafts_command(
    app: App,
    dataset: Path,
    corpus: Path | None,
    split: str | None,
    limit: int | None,
    thresholds: Path | None,
    report_json: Path | None,
    report_md: Path | None,
    out: Console,
) -> None:
    """Score ``dataset`` (gold drafts) against ``corpus``; QualityGateError when a threshold is missed."""
    err = Console(stderr=True)
    if corpus is None:
        corpus = dataset.resolve().parent.parent / "seeds"
        if not corpus.is_dir():
            raise InputError(f"{dataset}: no --corpus given and the default {corpus} does not exist")
    load_drafts(dataset, corpus)  # bad input fails before the model loads
    with status("loading the model…", err):
        app.chat.load()
    with StageProgress(err) as progress:
        report = run_drafts_eval(
            app,
            dataset,
            corpus,
            split=split,
            limit=limit,
            on_stage=progress.stage,
            on_progress=progress.advance,
        )
    report["gate"] = check_thresholds(report, thresholds) if thresholds is not None else []
    write_drafts_report(report, report_json, report_md, dataset.stem)
    markdown = drafts_markdown(report, dataset.stem)
    if out.is_terminal:
        render.print_markdown(markdown, out)
    else:
        sys.stdout.write(markdown)
    failed = [g for g in report["gate"] if not g["ok"]]
    if failed:
        raise QualityGateError(
            "quality gate failed: "
            + "; ".join(f"{g['metric']} = {g['value']} (needs {g['op']} {g['threshold']})" for g in failed)
        )
