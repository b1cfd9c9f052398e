"""One scrubbing function for every output path: check, chat, batch, eval, logs and error messages.

Keys are known from three places: the values registered by the backend that received them
(:func:`register_secret`), ``OPENAI_API_KEY`` and ``--api-key`` on the command line. Anything that looks like
a bearer token or an OpenAI-style key is masked as well, so a server that echoes a key we never saw (a proxy
adding its own) does not leak it either.
"""

from __future__ import annotations

import os
import re
import sys
import threading

MASK = "***"
#: Shorter values are not treated as secrets: masking "abc" everywhere would garble output.
MIN_SECRET_CHARS = 4
_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[^\s\"',;]+"),
    re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"),
    re.compile(r"(?i)(api[_-]?key[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&]+"),
    # A URL's user name and password (https://user:pass@host/…) become https://***@host/….
    re.compile(r"(?<=://)[^/@\s]+(?=@)"),
)
_registered: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret so that :func:`scrub` masks it wherever it appears later."""
    if value and len(value) >= MIN_SECRET_CHARS:
        with _lock:
            _registered.add(value)


def _known() -> list[str]:
    found = set(_registered)
    env_key = os.environ.get("OPENAI_API_KEY")
    if env_key:
        found.add(env_key)
    argv = sys.argv
    found.update(
        argv[i + 1]
        for i, a in enumerate(argv[:-1])
        if a == "--api-key" and len(argv[i + 1]) >= MIN_SECRET_CHARS
    )
    found.update(a.split("=", 1)[1] for a in argv if a.startswith("--api-key="))
    # Longest first, so a key that contains another is masked whole.
    return sorted((k for k in found if len(k) >= MIN_SECRET_CHARS), key=len, reverse=True)


def scrub(text: str) -> str:
    """``text`` with every known key, anything shaped like a key or bearer token, and URL passwords masked."""
    for key in _known():
        text = text.replace(key, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
    return text


def scrub_line(text: str) -> str:
    """:func:`scrub`, then on one line (whitespace runs collapsed): how errors are shown."""
    return " ".join(scrub(text).split())
