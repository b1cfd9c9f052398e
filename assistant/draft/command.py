"""``factcheck draft``: read the draft, plan it (bad input fails before a model loads), check it with progress
on stderr, and print the result (terminal, ``--json`` or ``--html``). The CLI's command is a thin shell over
this, and this over :mod:`assistant.draft.run`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from .. import render
from ..app import App
from ..checklog import CheckLog
from ..errors import FactCheckError, InputError
from ..html_report import write_html
from ..progress import status
from .html import draft_report_html
from .render import DRAFT_LABEL, render_draft
from .result import DraftResult
from .run import ClaimProgress, check_plan, plan_draft
from .split import read_draft


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60}:{s % 60:02d}"


def progress_line(p: ClaimProgress) -> Text:
    """``[3/12] ✘ refuted (0.82) Mike Lee is a Democrat. · 0:21 elapsed · eta 1:03``."""
    line = Text(f"[{p.n}/{p.total}] ", style="bold")
    if p.claim is None:
        line.append(f"failed: {p.error}", style="red")
    else:
        style = render.VERDICT_STYLE[p.claim.verdict]
        line.append(f"{render.VERDICT_MARK[p.claim.verdict]} {DRAFT_LABEL[p.claim.verdict]}", style=style)
        line.append(f" ({p.claim.confidence:.2f}{', uncertain' if p.claim.uncertain else ''})", style="dim")
    short = " ".join(p.text.split())
    line.append(" " + (short if len(short) <= 70 else short[:69] + "…"))
    line.append(f" · {_clock(p.elapsed_s)} elapsed · eta {_clock(p.eta_s)}", style="dim")
    return line


def run_draft_command(
    make_app: Callable[..., App],
    flags: dict[str, Any],
    source: str,
    *,
    limit: int | None,
    doc: str | None,
    as_json: bool,
    html: Path | None,
    out: Console,
    err: Console,
) -> None:
    """The whole ``factcheck draft`` command; raises a FactCheckError or typer.Exit for a non-zero exit."""
    if html is not None and html.is_dir():
        raise InputError(f"--html {html}: is a folder; give a file name such as draft.html")
    draft = read_draft(source)
    plan = plan_draft(draft.text, path=draft.path, limit=limit)  # bad input fails before any model loads
    app = make_app(**flags)
    _ = app.embeddings, app.chat  # configuration errors first, before touching the index
    if not app.store.list_documents():
        raise FactCheckError(f"the index at {app.settings.index} is empty: run `factcheck ingest PATH` first")
    doc_id = None
    if doc is not None:
        found = app.store.find_document(doc)
        if found is None:
            raise InputError(f"no document {doc!r} in the index; `factcheck docs` lists them")
        doc_id = found.doc_id
    render.say(
        err,
        f"{len(plan.claims)} claim(s) to check, {len(plan.skipped)} sentence(s) skipped "
        f"({len(plan.sentences)} in the draft)",
    )
    if plan.claims:
        with status("loading the model…", err):
            app.chat.load()
        if app.checker.fallback_note is not None:
            render.say(err, f"note: {app.checker.fallback_note}")
    result = check_plan(
        app.checker, plan, on_claim=lambda p: err.print(progress_line(p), soft_wrap=True), doc_id=doc_id
    )
    if app.settings.log:
        log = CheckLog(app.settings.home, secrets=[app.settings.api_key])
        for claim in result.claims:
            if claim.result is not None:
                log.add(claim.result, "draft")
    if as_json:
        render.print_json(json.dumps(result.to_json(), ensure_ascii=False), out)
    else:
        render_draft(result, out)
    if html is not None:
        write_html(html, draft_report_html(result, _texts(app)))
        render.say(err, f"HTML report → {html}")
    _exit_status(result, err)


def _texts(app: App) -> Callable[[str], str | None]:
    cache: dict[str, str | None] = {}

    def lookup(doc_id: str) -> str | None:
        if doc_id not in cache:
            found = app.store.get_document(doc_id)
            cache[doc_id] = found.text if found is not None else None
        return cache[doc_id]

    return lookup


def _exit_status(result: DraftResult, err: Console) -> None:
    if result.summary.interrupted:
        render.say(err, "interrupted: the claims checked so far are shown; run again to finish")
        raise typer.Exit(130)
    if result.summary.failed:
        render.say(err, f"{result.summary.failed} claim(s) could not be checked (listed as skipped)")
        raise typer.Exit(1)
