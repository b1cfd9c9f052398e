"""Plain text and Markdown (.txt, .md): stored exactly as given, UTF-8 with a BOM dropped (as before)."""

from __future__ import annotations

from pathlib import Path

from ..documents import decode_text, guess_title
from .extracted import Extracted

FORMAT = "text"


def read_text(raw: bytes, path: str) -> Extracted:
    """The file's text as it is: offsets point into what the user wrote (see :func:`decode_text`)."""
    text = decode_text(raw, path)
    return Extracted(text=text, title=guess_title(text, Path(path)))
