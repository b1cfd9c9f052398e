"""The JSON API: each endpoint answers exactly what the CLI prints with ``--json``.

``POST /api/check`` = ``factcheck check --json CLAIM``; ``POST /api/documents`` = ``factcheck ingest --json``;
``GET /api/documents`` = ``factcheck docs --json``; ``DELETE /api/documents/{doc_id}`` = ``factcheck remove``;
``GET /api/log`` = ``factcheck log --json``;
``POST /api/draft`` = ``factcheck draft --json -`` (the draft on stdin).
An error is ``{"error": message, "exit_code": n}`` with the
CLI's message and an HTTP status that says whose side it is on (4xx the request, 5xx the server).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from .. import render
from ..defaults import MAX_K
from ..errors import InputError
from ..schemas import CheckResult
from ..secrets import scrub_line
from .drafts import DraftStore
from .state import NothingIndexed, WebState
from .worker import DONE, FAILED, CheckJob

router = APIRouter(prefix="/api", tags=["api"])


class ErrorBody(BaseModel):
    """An error: the CLI's one-line message and the exit code the CLI would give."""

    error: str
    exit_code: int


class CheckBody(BaseModel):
    """What ``factcheck check`` takes: the claim, and optionally ``--doc``, ``-k`` and ``--pipeline``."""

    claim: str = Field(description="The claim to check, in any language.")
    doc: str | None = Field(default=None, description="Only this document (id or file name).")
    k: int | None = Field(default=None, description=f"Sentences to retrieve (1 to {MAX_K}).")
    pipeline: str | None = Field(default=None, description="Pipeline version, e.g. check.v1.")


class CheckStatus(BaseModel):
    """Where a check stands: queued (with its place), running (with its stage), done or failed."""

    id: str
    status: str
    position: int = Field(description="Place in the queue (1: next); 0 once running or finished.")
    stage: str
    url: str = Field(description="The check's permanent page.")
    result: dict[str, Any] | None = Field(description="What `factcheck check --json` prints, once done.")
    error: str | None
    http_status: int | None = Field(description="The status the check's error is answered with.")
    queued_ms: float | None = Field(description="Milliseconds it waited for the model worker.")
    run_ms: float | None = Field(description="Milliseconds the check ran.")


class DraftBody(BaseModel):
    """What ``factcheck draft`` takes: the draft's text, and optionally ``--doc`` and ``--limit``."""

    text: str = Field(description="The draft (plain text or Markdown), as `factcheck draft -` reads it.")
    doc: str | None = Field(default=None, description="Check against this document only (id or file name).")
    limit: int | None = Field(default=None, description="Check only the first N claims (needed above 150).")


class DraftProgress(BaseModel):
    """A draft's claims decided so far, of its claims to check."""

    done: int
    total: int


class DraftStatus(BaseModel):
    """Where a draft stands: queued (with its place), running (claim n of N), done or failed."""

    id: str
    status: str
    position: int = Field(description="Place in the queue (1: next); 0 once running or finished.")
    stage: str = Field(description="'claim 3 of 12: asking the model…' while it runs.")
    progress: DraftProgress
    url: str = Field(description="The draft's permanent page.")
    result: dict[str, Any] | None = Field(description="What `factcheck draft --json` prints, once done.")
    error: str | None
    http_status: int | None = Field(description="The status the draft's error is answered with.")
    queued_ms: float | None
    run_ms: float | None


def _state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


_ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorBody, "description": d}
    for s, d in (
        (400, "bad input (the CLI's message)"),
        (401, "the token is missing or wrong"),
        (404, "no such document or check"),
        (409, "nothing indexed yet"),
        (413, "upload or draft too large"),
        (422, "malformed request"),
        (502, "the model or a server behind the app failed"),
        (503, "the index is locked or unusable"),
    )
}


async def _answered(job: CheckJob, url: str) -> Response:
    """Wait for a queued job; its result JSON, or its error as the CLI's message, with its permanent link."""
    await job.finished_async()
    headers = {"Content-Location": url}
    if job.status == FAILED or job.result is None:
        return JSONResponse(
            {"error": job.error, "exit_code": job.error_code}, status_code=job.error_status, headers=headers
        )
    return Response(job.result.model_dump_json(), media_type="application/json", headers=headers)


@router.post(
    "/check",
    summary="Check a claim (factcheck check --json)",
    responses={
        200: {"model": CheckResult, "description": "the result, as `factcheck check --json`"},
        **_ERRORS,
    },
)
async def check(request: Request, body: CheckBody) -> Response:
    """Queue the claim behind the checks already asked and answer when it is done.

    The check belongs to the server's queue: if the client goes away, it still finishes and is stored
    under the URL in ``Content-Location``.
    """
    state = _state(request)
    job = await run_in_threadpool(
        state.submit_check, body.claim, doc=body.doc, k=body.k, pipeline=body.pipeline
    )
    return await _answered(job, f"/checks/{job.id}")


@router.get("/checks/{check_id}", summary="A check's state and result", response_model=CheckStatus,
            responses=_ERRORS)  # fmt: skip
def check_status(request: Request, check_id: str) -> CheckStatus:
    """Where a check stands; once done, its result (the page polls this while a check runs)."""
    state = _state(request)
    url = f"/checks/{check_id}"
    job = state.queue.get(check_id)
    if job is not None and job.status not in (DONE, FAILED):
        return CheckStatus(
            id=job.id, status=job.status, position=state.queue.position(job), stage=job.stage, url=url,
            result=None, error=None, http_status=None, queued_ms=round(job.queued_ms, 1),
            run_ms=round(job.run_ms, 1),
        )  # fmt: skip
    row = state.results.get(check_id)
    if row is None:
        from fastapi import HTTPException

        raise HTTPException(404, f"no check {check_id!r}")
    return CheckStatus(
        id=row.id, status=row.status, position=0, stage="", url=url,
        result=state.results.result_dict(row), error=row.error, http_status=row.error_status,
        queued_ms=row.queued_ms, run_ms=row.run_ms,
    )  # fmt: skip


@router.post("/documents", summary="Ingest uploaded files (factcheck ingest --json)", responses=_ERRORS)
def upload(
    request: Request, file: Annotated[list[UploadFile], File(description="One or more files.")]
) -> JSONResponse:
    """Add or update documents; answers 200 when every file went in, 400 when any was refused (the others
    still go in; the body says which)."""
    report = _state(request).ingest_uploads((f.filename, f.file) for f in file)
    body = {"documents": [o.__dict__ for o in report.outcomes], "errors": report.errors}
    return JSONResponse(body, status_code=200 if report.ok else 400)


@router.get("/documents", summary="The indexed documents (factcheck docs --json)")
def documents(request: Request) -> Response:
    """Every indexed document."""
    return Response(render.documents_json(_state(request).documents()), media_type="application/json")


@router.delete("/documents/{doc_id}", summary="Remove a document (factcheck remove)", responses=_ERRORS)
def remove(request: Request, doc_id: str) -> JSONResponse:
    """Remove a document and its sentences from the index."""
    try:
        return JSONResponse({"removed": _state(request).remove(doc_id)})
    except (InputError, NothingIndexed) as exc:  # no such document: the CLI's message, as a 404
        return JSONResponse({"error": scrub_line(str(exc)), "exit_code": exc.exit_code}, status_code=404)


@router.get("/log", summary="Past checks (factcheck log --json)")
def log(
    request: Request, limit: Annotated[int, Query(ge=1, description="The last N checks.")] = 20
) -> Response:
    """The last ``limit`` checks of the local log, oldest first."""
    from ..checklog import CheckLog

    entries = CheckLog(_state(request).settings.home).recent(limit)
    return Response(
        json.dumps([dataclasses.asdict(e) for e in entries], ensure_ascii=False),
        media_type="application/json",
    )


@router.post(
    "/draft",
    summary="Check a whole draft (factcheck draft --json)",
    responses={200: {"description": "the result, as `factcheck draft --json -` prints it"}, **_ERRORS},
)
async def draft(request: Request, body: DraftBody) -> Response:
    """Queue the draft as one job behind the checks already asked and answer when every claim is decided.

    Like a check, the draft belongs to the server's queue: it finishes if the client goes away, and is
    stored under the URL in ``Content-Location`` (its progress: ``GET /api/drafts/{id}``).
    """
    state = _state(request)
    job = await run_in_threadpool(state.submit_draft, body.text, doc=body.doc, limit=body.limit)
    return await _answered(job, f"/drafts/{job.id}")


@router.get("/drafts/{draft_id}", summary="A draft's state and result", response_model=DraftStatus,
            responses=_ERRORS)  # fmt: skip
def draft_status(request: Request, draft_id: str) -> DraftStatus:
    """Where a draft stands (claim n of N while it runs); once done, its result. The page polls this."""
    state = _state(request)
    url = f"/drafts/{draft_id}"
    job = state.queue.get(draft_id)
    if job is not None and job.status not in (DONE, FAILED):
        done, total = job.progress
        return DraftStatus(
            id=job.id, status=job.status, position=state.queue.position(job), stage=job.stage,
            progress=DraftProgress(done=done, total=total), url=url, result=None, error=None,
            http_status=None, queued_ms=round(job.queued_ms, 1), run_ms=round(job.run_ms, 1),
        )  # fmt: skip
    row = state.drafts.get(draft_id)
    if row is None:
        from fastapi import HTTPException

        raise HTTPException(404, f"no draft {draft_id!r}")
    result = DraftStore.result_dict(row)
    summary: Any = result.get("summary", {}) if result else {}
    return DraftStatus(
        id=row.id, status=row.status, position=0, stage="",
        progress=DraftProgress(done=summary.get("checked", 0), total=summary.get("checked", 0)), url=url,
        result=result, error=row.error, http_status=row.error_status, queued_ms=row.queued_ms,
        run_ms=row.run_ms,
    )  # fmt: skip
