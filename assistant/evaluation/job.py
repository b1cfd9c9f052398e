"""One ``factcheck eval`` run without the terminal: dataset and split, the runner and the injection suite, the
report with its config and quality gate, and the CI job summary. The CLI parses options and shows progress."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..app import App
from ..errors import FactCheckError
from ..html_report import eval_report_html, write_html
from ..llm import StructuredChat
from ..pipelines import get_pipeline
from .datasets import EvalDataset, load_dataset
from .provenance import git_commit
from .report import QualityGateError, build_report, check_thresholds, to_markdown, write_reports
from .runner import NAIVE_PIPELINE, EvalRunner, select_split

#: GitHub Actions appends this file's Markdown to the job's summary page.
JOB_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


@dataclass(frozen=True)
class EvalOptions:
    """What to score and how, as the command line gives it."""

    dataset: Path
    corpus: Path | None = None
    fmt: str | None = None
    limit: int | None = None
    split: str | None = None
    thresholds: Path | None = None
    embedders: list[str] = field(default_factory=list)
    compare: list[str] = field(default_factory=list)
    baseline: bool = False
    retrieval_only: bool = False
    injection_suite: bool = False


@dataclass
class EvalOutcome:
    """The report of a run and the dataset it scored."""

    report: dict[str, Any]
    dataset: EvalDataset

    @property
    def markdown(self) -> str:
        """The Markdown report: printed, written with ``--report-md`` and added to the CI job summary."""
        return to_markdown(self.report, self.dataset.name)

    def write(self, *, json_path: Path | None, md_path: Path | None, html_path: Path | None) -> None:
        """Write the reports asked for (folders are created)."""
        write_reports(self.report, json_path, md_path, title=self.dataset.name)
        if html_path is not None:
            corpus = {d.name: d.text for d in self.dataset.corpus}
            write_html(html_path, eval_report_html(self.report, self.dataset.name, corpus))

    def gate_error(self) -> QualityGateError | None:
        """The error naming every metric that missed its threshold; None when the gate passed (or none)."""
        failed = [g for g in self.report["gate"] if not g["ok"]]
        if not failed:
            return None
        return QualityGateError(
            "quality gate failed: "
            + "; ".join(f"{g['metric']} = {g['value']} (needs {g['op']} {g['threshold']})" for g in failed)
        )


class EvalJob:
    """Reads the dataset when built, so bad input fails before any model loads; :meth:`run` scores it."""

    def __init__(self, app: App, options: EvalOptions) -> None:
        self.app = app
        self.options = options
        self.dataset = load_dataset(options.dataset, options.fmt, options.corpus, options.limit)
        self.dataset.items = select_split(self.dataset.items, options.split)
        if not self.dataset.items:
            raise FactCheckError(f"{options.dataset}: no items to score")

    @property
    def needs_model(self) -> bool:
        """False for ``--retrieval-only``: no LLM is loaded."""
        return not self.options.retrieval_only

    def load_model(self) -> StructuredChat:
        """Build and load the chat model (slow the first time: the caller shows a status)."""
        chat = self.app.chat
        chat.load()
        return chat

    def run(
        self,
        chat: StructuredChat | None,
        *,
        on_stage: Callable[[str, int], None] | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> EvalOutcome:
        """Score the items (and the injection suite, when asked and a model is given); build the report."""
        o, settings = self.options, self.app.settings
        runner = EvalRunner(
            settings,
            self.dataset,
            chat,
            embedders=[e for e in o.embedders if e],
            compare=[p for p in o.compare if p] + ([NAIVE_PIPELINE] if o.baseline else []),
            on_stage=on_stage,
            on_progress=on_progress,
        )
        try:
            records = runner.run()
        finally:
            runner.close()
        suite = None
        if o.injection_suite and chat is not None:
            from .injection_suite import N_VARIANTS, run_injection_suite

            if on_stage is not None:
                on_stage("injection suite", N_VARIANTS)
            suite = run_injection_suite(
                self.dataset,
                settings.embedder,
                self.app.embeddings,
                chat,
                settings.pipeline,
                settings.k,
                on_progress=on_progress,
            )
        report = build_report(records, self.config(chat))
        # None when the suite did not run, so a gate that requires it fails instead of passing unseen.
        report["injection_flips"] = suite.flips if suite is not None else None
        if suite is not None:
            report["injection"] = suite.as_json()
        report["gate"] = check_thresholds(report, o.thresholds) if o.thresholds else []
        return EvalOutcome(report, self.dataset)

    def config(self, chat: StructuredChat | None) -> dict[str, Any]:
        """The report's ``config`` section: what was scored, with which model, pipeline and commit."""
        o, s = self.options, self.app.settings
        # The pipeline that ran: a backend that cannot score text runs the asked one's fallback.
        ran = get_pipeline(s.pipeline).for_backend(chat.can_score).id if chat else s.pipeline
        return {
            "dataset": str(o.dataset),
            "format": o.fmt,
            "split": o.split or "all",
            "limit": o.limit,
            "model": chat.name if chat else None,
            "pipeline": ran,
            **({"pipeline_asked": s.pipeline} if ran != s.pipeline else {}),
            "embedder": s.embedder,
            "k": s.k,
            "commit": git_commit(),
            "backend": s.backend,
        }


def append_job_summary(markdown: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Append the report to the CI job summary when the CI names one; True when it did."""
    path = environ.get(JOB_SUMMARY_ENV)
    if not path:
        return False
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(markdown)
    return True
