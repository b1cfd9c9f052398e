"""What keeps the web app safe to run: the access token, cross-site checks, body limits and upload names.

- **Token**: bound to anything but loopback the server needs one (``FACTCHECK_TOKEN`` or ``--token-file``);
  every page and API call must carry it (``Authorization: Bearer …``, or the cookie the login form sets),
  or it is answered 401. On loopback a token is optional (checked when given).
- **Host**: on loopback without a token only ``localhost``/``127.0.0.1``/``[::1]`` are accepted as Host, so a
  web page elsewhere cannot reach the app through DNS rebinding.
- **Cross-site**: every state-changing request from a browser must come from the app's own origin
  (``Sec-Fetch-Site`` / ``Origin``), and every form post carries the CSRF token of its cookie.
- **Uploads**: the request body is capped while it streams in; file names are reduced to a safe basename
  that cannot leave the folder it is saved in.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import re
import secrets
import unicodedata
from pathlib import Path
from typing import Any

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import ConfigError, InputError
from ..secrets import register_secret

TOKEN_ENV = "FACTCHECK_TOKEN"
#: A shorter token is refused: it could be guessed by anyone who can reach the port.
MIN_TOKEN_CHARS = 16
TOKEN_COOKIE = "factcheck_token"
CSRF_COOKIE = "factcheck_csrf"
CSRF_FIELD = "csrf"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")
#: The longest upload file name kept (bytes of UTF-8 stay well under every file system's 255).
MAX_NAME_CHARS = 120
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def is_loopback(host: str) -> bool:
    """True for a host name or address that only this machine can reach."""
    if host.strip("[]") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def read_token(token_file: Path | None) -> str | None:
    """The access token from ``token_file`` (first line) or ``FACTCHECK_TOKEN``; None when neither is set.

    A token shorter than ``MIN_TOKEN_CHARS`` is refused. The token is registered as a secret, so it is
    masked wherever an error or log line would show it.
    """
    if token_file is not None:
        try:
            lines = token_file.read_text("utf-8").strip().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"--token-file {token_file}: cannot be read ({exc})") from None
        token = lines[0].strip() if lines else ""
        where = f"--token-file {token_file}"
    else:
        token = os.environ.get(TOKEN_ENV, "").strip()
        where = TOKEN_ENV
        if not token:
            return None
    if len(token) < MIN_TOKEN_CHARS:
        raise ConfigError(
            f"{where}: the token must have at least {MIN_TOKEN_CHARS} characters, e.g. from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(24))'`"
        )
    register_secret(token)
    return token


def require_token_off_loopback(host: str, token: str | None) -> None:
    """Refuse to serve on a non-loopback address without a token."""
    if token is None and not is_loopback(host):
        raise ConfigError(
            f"--host {host} makes the app reachable from other machines: set {TOKEN_ENV} or pass "
            "--token-file FILE (every page and API call then needs the token), or bind to 127.0.0.1"
        )


def token_matches(given: str | None, token: str) -> bool:
    """Constant-time comparison, so the token cannot be guessed byte by byte from response times."""
    return given is not None and hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))


def presented_token(headers: Headers, cookies: dict[str, str]) -> str | None:
    """The token a request carries: ``Authorization: Bearer …`` first, else the login cookie."""
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return cookies.get(TOKEN_COOKIE)


def new_csrf_token() -> str:
    """A fresh random CSRF token (stored in a cookie and echoed by every form)."""
    return secrets.token_urlsafe(24)


def csrf_matches(cookie: str | None, field: str | None) -> bool:
    """The double-submit check: the form's hidden field equals the cookie the app set."""
    return bool(cookie) and bool(field) and hmac.compare_digest(str(cookie), str(field))


def cross_site(headers: Headers) -> str | None:
    """Why a state-changing request looks cross-site (None when it does not).

    Browsers send ``Sec-Fetch-Site`` (``same-origin`` for the app's own pages, ``none`` for a typed URL); a
    browser that does not is judged by ``Origin``. A client that sends neither (curl, a script) is not a
    browser acting for some other page.
    """
    site = headers.get("sec-fetch-site")
    if site is not None:
        return None if site in ("same-origin", "none") else f"a {site} request cannot change anything here"
    origin = headers.get("origin")
    if origin is not None and (
        origin == "null" or re.sub(r"^https?://", "", origin) != headers.get("host", "")
    ):
        return "a request from another origin cannot change anything here"
    return None


def safe_upload_name(name: str | None) -> str:
    """The basename of an uploaded file, safe to create in a folder of ours.

    Any folder part (``../``, ``C:\\``), control characters and leading dots are dropped; letters of every
    script are kept (``Übersicht.txt`` stays as it is). A name with nothing left is refused.
    """
    raw = unicodedata.normalize("NFC", name or "")
    base = re.split(r"[/\\]", raw)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")  # controls, format chars
    base = re.sub(r"[<>:\"|?*]", "_", base).strip().lstrip(".").strip()
    if len(base) > MAX_NAME_CHARS:
        stem, dot, suffix = base.rpartition(".")
        base = (
            (stem[: MAX_NAME_CHARS - len(suffix) - 1] + dot + suffix)
            if dot and len(suffix) < 10
            else base[:MAX_NAME_CHARS]
        )
    if not base or not any(ch.isalnum() for ch in base):
        raise InputError(f"{name!r}: not a usable file name; rename the file and upload it again")
    return base


def path_inside(folder: Path, name: str) -> Path:
    """``folder / name``, refused unless it lies directly in ``folder`` (no link or name leads out)."""
    target = (folder / name).resolve()
    if target.parent != folder.resolve():
        raise InputError(f"{name!r}: not a usable file name")
    return target


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes is answered 413 without being read further.

    The declared ``Content-Length`` is checked first; a body without one (chunked) is counted while it
    streams in, and reading stops with a 413 as soon as it passes the limit.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with a counting ``receive``."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(send, self.limit)
            return
        seen = 0

        async def counting() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    # Raised inside the route while it reads the body: the app's handler answers 413.
                    raise HTTPException(413, too_large_message(self.limit))
            return message

        await self.app(scope, counting, send)


def too_large_message(limit: int) -> str:
    """The one message for an oversized request."""
    return f"the upload is larger than the {limit // 2**20} MiB limit; upload fewer or smaller files at once"


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"error": too_large_message(limit), "exit_code": InputError.exit_code}).encode()
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
