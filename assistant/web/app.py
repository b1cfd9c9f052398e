"""The web app factory: routes, the access checks in front of them, and errors as the CLI words them.

``create_app(app)`` gives a FastAPI application over one :class:`~assistant.app.App`; ``factcheck serve``
runs it with uvicorn, tests drive it in-process with FastAPI's ``TestClient``. Pages (:mod:`.pages`) and
the JSON API (:mod:`.api`) are two routers over the same :class:`~.state.WebState`; a new page or endpoint
is one function in one of them.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from .. import __version__
from ..app import App
from ..errors import FactCheckError, InputError
from ..secrets import scrub_line
from . import api, pages
from .security import (
    CSRF_COOKIE,
    LOOPBACK_HOSTS,
    SAFE_METHODS,
    TOKEN_COOKIE,
    BodyLimit,
    cross_site,
    new_csrf_token,
    presented_token,
    token_matches,
)
from .state import WebState
from .views import error_page, login_page
from .worker import status_of

#: The largest request (all files of one upload together); a single file has the library's own limit.
MAX_REQUEST_BYTES = 64 * 2**20
#: Paths served without the token: the login form and the stylesheet and script it uses.
OPEN_PATHS = ("/login", "/static/")
#: Pages may load only what the app serves: no inline script, no external request of any kind.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def session_value(token: str) -> str:
    """What the login cookie holds: derived from the token, so the cookie never carries the token itself."""
    return hmac.new(token.encode("utf-8"), b"factcheck web session", hashlib.sha256).hexdigest()


def create_app(
    app: App, *, token: str | None = None, loopback_only: bool = True, workers: int | None = None
) -> FastAPI:
    """The web app over ``app``.

    ``token``: required on every page and API call when given. ``loopback_only``: accept only loopback host
    names (``localhost``, ``127.0.0.1``, ``[::1]``) in the Host header, against DNS rebinding. ``workers``:
    checks run at once (default: 1 for the local model, more for a server backend).
    """
    state = WebState(app, workers=workers)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        state.queue.close()

    web = FastAPI(
        title="factcheck",
        version=__version__,
        description="Check claims against your sources. The JSON API answers what `factcheck … --json` "
        'prints; errors are `{"error": message, "exit_code": n}` with the CLI\'s message.',
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        swagger_ui_parameters=None,
    )
    web.state.web = state
    web.state.token = token
    web.include_router(api.router)
    web.include_router(pages.router)
    web.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    _add_error_handlers(web)
    web.middleware("http")(_guard(token, loopback_only))
    web.add_middleware(BodyLimit, limit=MAX_REQUEST_BYTES)
    state.start_loading()
    return web


def _guard(
    token: str | None, loopback_only: bool
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    session = session_value(token) if token else None

    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        if loopback_only and (request.url.hostname or "") not in LOOPBACK_HOSTS:
            return _refuse(request, 400, "this server answers only to localhost and 127.0.0.1")
        if token is not None and not path.startswith(OPEN_PATHS):
            given = presented_token(request.headers, {})
            cookie = request.cookies.get(TOKEN_COOKIE)
            if not (
                token_matches(given, token) or (cookie is not None and token_matches(cookie, session or ""))
            ):
                if path.startswith("/api/"):
                    return JSONResponse(
                        {
                            "error": "this server needs its access token: send Authorization: Bearer TOKEN",
                            "exit_code": 2,
                        },
                        status_code=401,
                        headers={"WWW-Authenticate": "Bearer"},
                    )
                return login_page(request, status_code=401, next_path=path)
        if request.method not in SAFE_METHODS and (why := cross_site(request.headers)) is not None:
            return _refuse(request, 403, why)
        request.state.csrf = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
        response = await call_next(request)
        if CSRF_COOKIE not in request.cookies:
            response.set_cookie(CSRF_COOKIE, request.state.csrf, httponly=True, samesite="strict")
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    return guard


def _refuse(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message, "exit_code": 2}, status_code=status)
    return error_page(request, message, status_code=status)


def error_json(exc: FactCheckError) -> JSONResponse:
    """A library error as the API answers it: the CLI's one-line message (keys masked) and exit code."""
    return JSONResponse(
        {"error": scrub_line(str(exc)), "exit_code": exc.exit_code}, status_code=status_of(exc)
    )


def _add_error_handlers(web: FastAPI) -> None:
    async def library_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FactCheckError)
        if request.url.path.startswith("/api/"):
            return error_json(exc)
        return error_page(request, scrub_line(str(exc)), status_code=status_of(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = str(exc.detail)
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {"error": message, "exit_code": InputError.exit_code},
                status_code=exc.status_code,
                headers=exc.headers,
            )
        return error_page(request, message, status_code=exc.status_code)

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        parts = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path"))
            parts.append(f"{where}: {e.get('msg', 'invalid')}" if where else str(e.get("msg", "invalid")))
        message = "; ".join(parts) or "invalid request"
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message, "exit_code": InputError.exit_code}, status_code=422)
        return error_page(request, message, status_code=422)

    web.add_exception_handler(FactCheckError, library_error)
    web.add_exception_handler(HTTPException, http_error)
    web.add_exception_handler(RequestValidationError, invalid_request)
