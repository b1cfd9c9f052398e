"""The pages: Sources, Check and Draft (live progress) and History, each a view over the API's calls.

Forms post to the page routes (protected by the CSRF token of their cookie, besides the same-origin check
every state-changing request gets); a check's page is its permanent link, and while the check runs it shows
the check's place in the queue and its stage (``static/check.js`` polls ``/api/checks/{id}``).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile as StarletteUpload
from starlette.exceptions import HTTPException

from ..documents import MAX_FILE_BYTES
from ..draft import DraftResult, read_draft
from ..draft.html import draft_report_html
from ..draft.render import DRAFT_LABEL as DRAFT_LABEL_TEXT
from ..errors import FactCheckError, InputError
from ..html_report import TextLookup, check_report_html
from ..schemas import CheckResult
from ..secrets import scrub_line
from .drafts import DraftTooLarge
from .security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    TOKEN_COOKIE,
    csrf_matches,
    path_inside,
    safe_upload_name,
    token_matches,
)
from .state import COPY_CHUNK, WebState
from .views import claim_view, document_segments, draft_view, login_page, page, report_css
from .worker import DONE, FAILED, status_of

router = APIRouter(include_in_schema=False)


def _state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def _check_csrf(request: Request, field: str | None) -> None:
    if not csrf_matches(request.cookies.get(CSRF_COOKIE), field):
        raise HTTPException(
            403, "the form has expired or came from another site; reload the page and try again"
        )


def _texts(state: WebState) -> TextLookup:
    return state.app.document_texts()


@router.get("/")
def home() -> RedirectResponse:
    """The Check page is where people start."""
    return RedirectResponse("/check", status_code=303)


@router.get("/static/draft.css")
def draft_stylesheet() -> Response:
    """The draft report's stylesheet (``assistant/templates/draft.html.j2``), for the annotated draft."""
    return PlainTextResponse(report_css("draft.html.j2"), media_type="text/css")


@router.get("/static/report.css")
def stylesheet() -> Response:
    """The HTML report's stylesheet (registered before the static mount, so it takes this path)."""
    return PlainTextResponse(report_css(), media_type="text/css")


# ---- sign in (only when the server has a token) ----------------------------------------------------


@router.get("/login")
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    """Ask for the access token."""
    return login_page(request, next_path=next)


@router.post("/login")
def login(request: Request, token: Annotated[str, Form()], next: Annotated[str, Form()] = "/") -> Response:
    """Check the token and keep a session cookie derived from it."""
    from .app import session_value

    expected = request.app.state.token
    if expected is None:
        return RedirectResponse("/", status_code=303)
    if not token_matches(token.strip(), expected):
        return login_page(request, status_code=401, next_path=next, error="that is not this server's token")
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(TOKEN_COOKIE, session_value(expected), httponly=True, samesite="strict")
    return response


# ---- sources ------------------------------------------------------------------------------------


def _sources_page(request: Request, *, status_code: int = 200, **context: object) -> HTMLResponse:
    state = _state(request)
    docs = state.documents()
    rows = [
        {
            "doc": d,
            "format": getattr(d, "format", None)
            or (d.name.rsplit(".", 1)[-1].lower() if "." in d.name else "text"),
            "pages": getattr(d, "pages", None),
        }
        for d in docs
    ]
    context.setdefault("outcomes", [])
    context.setdefault("errors", [])
    context.setdefault("removed", None)
    return page(request, "sources.html.j2", status_code=status_code, title="Sources", rows=rows, **context)


@router.get("/sources")
def sources(request: Request, removed: str | None = None) -> HTMLResponse:
    """The indexed documents and the upload form."""
    return _sources_page(request, removed=removed)


@router.post("/sources")
def upload(
    request: Request,
    file: Annotated[list[UploadFile], Form()],
    csrf: Annotated[str | None, Form(alias=CSRF_FIELD)] = None,
) -> HTMLResponse:
    """Ingest the uploaded files and show what became of each."""
    _check_csrf(request, csrf)
    report = _state(request).ingest_uploads((f.filename, f.file) for f in file if f.filename)
    return _sources_page(
        request, status_code=200 if report.ok else 400, outcomes=report.outcomes, errors=report.errors
    )


@router.post("/sources/{doc_id}/remove")
def remove(
    request: Request, doc_id: str, csrf: Annotated[str | None, Form(alias=CSRF_FIELD)] = None
) -> Response:
    """Remove a document, then back to the list."""
    _check_csrf(request, csrf)
    removed = _state(request).remove(doc_id)
    return RedirectResponse(f"/sources?removed={quote(removed)}", status_code=303)


@router.get("/sources/{doc_id}")
def document(request: Request, doc_id: str, s: int | None = None) -> HTMLResponse:
    """A document's text, with sentence ``s`` highlighted (the evidence links point here)."""
    state = _state(request)
    doc = state.document(doc_id)
    start = end = None
    if s is not None:
        found = [x for x in state.app.store.sentences_of(doc.doc_id) if x.sentence_id == s]
        if not found:
            raise HTTPException(404, f"{doc.name} has no sentence {s}")
        start, end = found[0].start, found[0].end
    before, marked, after = document_segments(doc.text, start, end)
    return page(
        request, "document.html.j2", title=doc.name, doc=doc, sentence=s, before=before, marked=marked,
        after=after, start=start, end=end,
    )  # fmt: skip


# ---- checks -------------------------------------------------------------------------------------


def _check_form(request: Request, *, status_code: int = 200, claim: str = "", doc: str = "",
                error: str = "") -> HTMLResponse:  # fmt: skip
    state = _state(request)
    return page(
        request, "check.html.j2", status_code=status_code, title="Check a claim", claim=claim, doc=doc,
        error=error, documents=state.documents(), recent=state.results.recent(10),
    )  # fmt: skip


@router.get("/check")
def check_form(request: Request, claim: str = "", doc: str = "") -> HTMLResponse:
    """The claim form (prefilled when asked again from a failed check)."""
    return _check_form(request, claim=claim, doc=doc)


@router.post("/check")
async def check(
    request: Request,
    claim: Annotated[str, Form()] = "",
    doc: Annotated[str, Form()] = "",
    csrf: Annotated[str | None, Form(alias=CSRF_FIELD)] = None,
) -> Response:
    """Queue the check and go to its page (which shows the progress, then the result)."""
    _check_csrf(request, csrf)
    state = _state(request)
    try:
        job = await run_in_threadpool(state.submit_check, claim, doc=doc or None)
    except FactCheckError as exc:
        return _check_form(
            request, status_code=status_of(exc), claim=claim, doc=doc, error=scrub_line(str(exc))
        )
    return RedirectResponse(f"/checks/{job.id}", status_code=303)


@router.get("/checks/{check_id}")
def check_page(request: Request, check_id: str) -> HTMLResponse:
    """A check's permanent page: its progress while it runs, then the result with the evidence."""
    state = _state(request)
    job = state.queue.get(check_id)
    row = state.results.get(check_id)
    if row is None:
        raise HTTPException(404, f"no check {check_id!r}")
    if job is not None and job.status not in (DONE, FAILED) or row.status in ("queued", "running"):
        position = state.queue.position(job) if job is not None else 0
        return page(
            request, "progress.html.j2", title="Checking…", asked=row.request.claim, position=position,
            stage=job.stage if job is not None else "", status_url=f"/api/checks/{row.id}", what="check",
        )  # fmt: skip
    result = CheckResult.model_validate_json(row.result_json) if row.result_json else None
    return page(
        request, "result.html.j2", status_code=200 if result else (row.error_status or 500),
        title=row.request.claim, row=row, claim=claim_view(result, _texts(state)) if result else None,
        result=result,
    )  # fmt: skip


@router.get("/checks/{check_id}/report.html")
def export(request: Request, check_id: str) -> Response:
    """The result as the self-contained HTML report (``factcheck check --html``), to send to an editor."""
    state = _state(request)
    row = state.results.get(check_id)
    if row is None or not row.result_json:
        raise HTTPException(404, f"no finished check {check_id!r}")
    result = CheckResult.model_validate_json(row.result_json)
    html = check_report_html([result], _texts(state), title=result.claim)
    return HTMLResponse(
        html,
        headers={
            "Content-Disposition": f'attachment; filename="factcheck-{check_id[:12]}.html"',
            # The report carries its stylesheet inline and runs no script.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        },
    )


# ---- drafts -------------------------------------------------------------------------------------


def _draft_form(request: Request, *, status_code: int = 200, text: str = "", doc: str = "", limit: str = "",
                error: str = "") -> HTMLResponse:  # fmt: skip
    state = _state(request)
    return page(
        request, "draft.html.j2", status_code=status_code, title="Check a draft", text=text, doc=doc,
        limit=limit, error=error, documents=state.documents(), recent=state.drafts.recent(10),
    )  # fmt: skip


def _read_upload(state: WebState, upload: StarletteUpload) -> tuple[str, str]:
    """An uploaded draft file's text and clean name, read as ``factcheck draft FILE`` reads the file.

    The file is saved under its clean name in a fresh folder under ``HOME/uploads`` (``read_draft`` reads
    every format ``ingest`` reads by its suffix), read, and the folder removed: a draft is not a source.
    """
    import tempfile
    from pathlib import Path

    name = safe_upload_name(upload.filename)
    folder = state.settings.home / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix="draft-") as tmp:
        target = path_inside(Path(tmp).resolve(), name)
        size = 0
        with target.open("xb") as out:
            while chunk := upload.file.read(COPY_CHUNK):
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    mib = MAX_FILE_BYTES // 2**20
                    raise DraftTooLarge(f"{name}: larger than {mib} MiB; a draft is a few kB")
                out.write(chunk)
        try:
            return read_draft(target).text, name
        except InputError as exc:  # the temporary folder means nothing to the person who uploaded
            raise InputError(str(exc).replace(str(target), name)) from None


@router.get("/draft")
def draft_form(request: Request) -> HTMLResponse:
    """The draft form: paste or upload."""
    return _draft_form(request)


@router.post("/draft")
async def draft(request: Request) -> Response:
    """Queue the draft (one job on the model worker) and go to its page: progress, then the draft marked."""
    form = await request.form()
    _check_csrf(request, str(form.get(CSRF_FIELD) or "") or None)
    text, doc, limit = (str(form.get(k) or "") for k in ("text", "doc", "limit"))
    upload = form.get("file")
    state = _state(request)
    try:
        if not limit.strip():
            n = None
        elif limit.strip().isdigit():
            n = int(limit)
        else:
            raise InputError(f"--limit must be a whole number, got {limit!r}")
        name = None
        if isinstance(upload, StarletteUpload) and upload.filename:
            text, name = await run_in_threadpool(_read_upload, state, upload)
        job = await run_in_threadpool(state.submit_draft, text, name=name, doc=doc or None, limit=n)
    except FactCheckError as exc:
        return _draft_form(
            request, status_code=status_of(exc), text=text, doc=doc, limit=limit, error=scrub_line(str(exc))
        )
    return RedirectResponse(f"/drafts/{job.id}", status_code=303)


def _draft_result(state: WebState, draft_id: str) -> DraftResult | None:
    row = state.drafts.get(draft_id)
    if row is None or not row.result_json:
        return None
    return DraftResult.model_validate_json(row.result_json).model_copy(update={"text": row.request.text})


@router.get("/drafts/{draft_id}")
def draft_page(request: Request, draft_id: str) -> HTMLResponse:
    """A draft's permanent page: claim n of N while it runs, then the draft with each claim marked."""
    state = _state(request)
    job = state.queue.get(draft_id)
    row = state.drafts.get(draft_id)
    if row is None:
        raise HTTPException(404, f"no draft {draft_id!r}")
    if job is not None and job.status not in (DONE, FAILED) or row.status in ("queued", "running"):
        return page(
            request, "progress.html.j2", title="Checking the draft…", asked=row.request.claim,
            position=state.queue.position(job) if job is not None else 0,
            stage=job.stage if job is not None else "", status_url=f"/api/drafts/{row.id}", what="draft",
        )  # fmt: skip
    result = _draft_result(state, draft_id)
    summary = ""
    if result is not None:
        s = result.summary
        counts = [(s.supported, "supported"), (s.refuted, "refuted"), (s.not_enough_info, "not_enough_info")]
        summary = ", ".join(f"{k} {DRAFT_LABEL_TEXT[v]}" for k, v in counts if k) or "no claim checked"
    return page(
        request, "draft_result.html.j2", status_code=200 if result else (row.error_status or 500),
        title=row.request.claim, row=row, result=result, summary=summary,
        view=draft_view(result, _texts(state)) if result else None,
    )  # fmt: skip


@router.get("/drafts/{draft_id}/report.html")
def export_draft(request: Request, draft_id: str) -> Response:
    """The annotated draft as the self-contained page ``factcheck draft --html`` writes."""
    state = _state(request)
    result = _draft_result(state, draft_id)
    if result is None:
        raise HTTPException(404, f"no finished draft {draft_id!r}")
    row = state.drafts.get(draft_id)
    title = f"factcheck: {row.request.name}" if row is not None and row.request.name else None
    return HTMLResponse(
        draft_report_html(result, _texts(state), title=title),
        headers={
            "Content-Disposition": f'attachment; filename="factcheck-draft-{draft_id[:12]}.html"',
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        },
    )


# ---- history ------------------------------------------------------------------------------------


@router.get("/history")
def history(request: Request, limit: int = 100) -> HTMLResponse:
    """The check log (``factcheck log``), newest first, each web check linked to its page."""
    state = _state(request)
    from ..checklog import CheckLog

    entries = list(reversed(CheckLog(state.settings.home).recent(max(1, min(limit, 1000)))))
    links = state.results.by_log_ids([e.id for e in entries])
    return page(
        request, "history.html.j2", title="History", entries=entries, links=links,
        logging=state.settings.log, recent=state.results.recent(20),
    )  # fmt: skip
