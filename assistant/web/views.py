"""Rendering the pages: one Jinja environment (autoescape on, strict), the report's look and its macros.

The pages use the HTML report's stylesheet, read from the report template itself (``/static/report.css``),
so a page and an exported report look the same and cannot drift apart; ``web.css`` adds only what a page
has and a report has not (navigation, forms, the progress line).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from ..draft import DraftResult
from ..draft.render import DRAFT_LABEL
from ..html_report import _claim_view, _num
from ..render import VERDICT_LABEL, VERDICT_MARK
from ..schemas import CheckResult
from .security import CSRF_FIELD


@cache
def environment() -> jinja2.Environment:
    """The pages' templates (package data of ``assistant.web``)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("assistant.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.globals.update(MARK=VERDICT_MARK, LABEL=VERDICT_LABEL, CSRF_FIELD=CSRF_FIELD, DRAFT_LABEL=DRAFT_LABEL)
    return env


@cache
def report_css(template: str = "report.html.j2") -> str:
    """The stylesheet of one of the HTML reports (the check report, or ``draft.html.j2``), as it holds it."""
    report = jinja2.Environment(loader=jinja2.PackageLoader("assistant", "templates"))
    assert report.loader is not None
    source, _, _ = report.loader.get_source(report, template)
    found = re.search(r"<style>(.*?)</style>", source, re.S)
    return found.group(1) if found else ""


def page(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A rendered page; every page gets the CSRF token for its forms and the current path for its menu."""
    html = (
        environment()
        .get_template(template)
        .render(csrf=getattr(request.state, "csrf", ""), path=request.url.path, **context)
    )
    return HTMLResponse(html, status_code=status_code)


def error_page(request: Request, message: str, *, status_code: int) -> HTMLResponse:
    """The error as the CLI words it, on a page."""
    return page(request, "error.html.j2", status_code=status_code, title="error", message=message)


def login_page(
    request: Request, *, status_code: int = 200, next_path: str = "/", error: str = ""
) -> HTMLResponse:
    """The form that asks for the access token."""
    return page(
        request, "login.html.j2", status_code=status_code, title="factcheck: sign in",
        next_path=next_path if next_path.startswith("/") and not next_path.startswith("//") else "/",
        error=error,
    )  # fmt: skip


def claim_view(result: CheckResult, texts: Any) -> dict[str, Any]:
    """The result as the report shows it: statements, verdicts, evidence in its paragraph."""
    return _claim_view(result, texts, "claim")


def document_segments(text: str, start: int | None, end: int | None) -> tuple[str, str, str]:
    """The text split around the highlighted span (all in the first part when none is)."""
    if start is None or end is None or not 0 <= start <= end <= len(text):
        return text, "", ""
    return text[:start], text[start:end], text[end:]


def draft_view(result: DraftResult, texts: Any) -> dict[str, Any]:
    """The checked draft as its HTML report draws it: the text cut into claims and the rest, each claim's
    statements with their evidence passages (``assistant.draft.html``, so page and export agree)."""
    from ..draft.html import _claim_view as draft_claim_view
    from ..draft.html import _segments

    return {
        "segments": _segments(result),
        "claims": [draft_claim_view(n, c, texts) for n, c in enumerate(result.claims, 1)],
    }
