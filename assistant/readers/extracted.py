"""What a format reader returns, and the clean-up every extracted text gets before it is stored.

A reader turns a file's bytes into :class:`Extracted`: the text that offsets will refer to, the title it
found, and where each page starts in that text (PDF). The registry (``assistant/readers/__init__.py``)
makes a :class:`~assistant.documents.SourceDocument` of it; the text is stored as it is, so every offset and
every shown span refers to exactly this text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Typographic ligatures a PDF's text layer (or a Word file) may carry as single characters; a search for
#: "finanzielle" must find "ﬁnanzielle".
_LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
}
#: Invisible characters with no place in stored text: soft hyphen, zero-width space/joiners, word joiner.
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_TABLE = str.maketrans({**_LIGATURES, **dict.fromkeys(_INVISIBLE, None), "\u00a0": " "})
_SPACES = re.compile(r"[ \t\f\v\u2000-\u200a\u202f\u205f\u3000]+")


@dataclass(frozen=True)
class Extracted:
    """A reader's result: ``text`` is what gets stored and what offsets index.

    ``page_starts[i]`` is the offset in ``text`` where page ``i + 1`` begins (empty: the format has no
    pages). Paragraphs are separated by a blank line, so a paragraph is one line for the sentence splitter.
    """

    text: str
    title: str | None = None
    page_starts: tuple[int, ...] = ()


def clean_inline(text: str) -> str:
    """One line of extracted text as stored: ligatures spelled out, soft hyphens and zero-width characters
    dropped, no-break and other spaces made plain, runs of spaces collapsed, ends stripped.

    Line breaks are not touched: a reader decides which line breaks are paragraph breaks.
    """
    return _SPACES.sub(" ", text.translate(_TABLE)).strip()


def paragraphs_text(blocks: list[str]) -> str:
    """Blocks (paragraphs, headings, table rows joined by line breaks) cleaned, empty ones dropped, and
    separated by a blank line."""
    out = []
    for block in blocks:
        lines = [clean_inline(line) for line in block.splitlines()]
        kept = "\n".join(line for line in lines if line)
        if kept:
            out.append(kept)
    return "\n\n".join(out)
