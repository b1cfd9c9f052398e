"""Read a draft and split it into sentences with exact offsets into the text as read (BOM dropped).

The splitter is ingest's (:func:`assistant.sentences.split_sentences`), so a draft is cut where a source is.
Markdown's line markers (``# ``, ``- ``, ``1. ``, ``> ``) are left outside a sentence's span: a claim's text
is what the editor wrote, and ``draft[start:end] == text`` still holds.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..documents import MAX_FILE_BYTES, decode_text
from ..documents import SUPPORTED_SUFFIXES as DOCUMENT_SUFFIXES
from ..errors import InputError
from ..records import Sentence
from ..sentences import split_sentences

#: The suffixes a draft file may have (the formats ``ingest`` reads).
DRAFT_SUFFIXES = (".txt", ".md")
#: A Markdown line marker at the start of a line: heading, list item, numbered item, block quote.
_LINE_MARKER = re.compile(r"(?:#{1,6}|[-*+]|\d{1,3}[.)]|>)[ \t]+")
_HEADING = re.compile(r"#{1,6}[ \t]+")


@dataclass(frozen=True)
class DraftText:
    """A draft as read: ``text`` is what every offset refers to; ``path`` is None for text given directly."""

    text: str
    path: str | None = None


@dataclass(frozen=True)
class DraftSentence:
    """A sentence of the draft: ``draft[start:end] == text``; ``heading`` marks a Markdown heading line."""

    index: int
    start: int
    end: int
    text: str
    heading: bool = False
    #: The sentence is the whole of its line (a heading, a caption, a list item without a full stop).
    own_line: bool = False


def read_draft(source: str | Path, stdin: BinaryIO | None = None) -> DraftText:
    """A draft from a ``.txt``/``.md`` file, or from stdin for ``-``: strict UTF-8, BOM dropped.

    An empty, binary, non-UTF-8, missing or over-large file is an :class:`InputError` with one line.
    """
    if str(source) == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        raw = stream.read(MAX_FILE_BYTES + 1)
        name = "stdin"
    else:
        path = Path(source)
        if path.suffix.lower() in DOCUMENT_SUFFIXES and path.suffix.lower() not in DRAFT_SUFFIXES:
            # A draft saved as a web page, PDF or Word file: its text as ingest would store it, so the
            # offsets refer to what `factcheck show` prints for the same file.
            from ..readers import read_document

            extracted = read_document(path).text
            if not extracted.strip():
                raise InputError(f"{path}: the draft is empty")
            return DraftText(text=extracted, path=str(path))
        if path.suffix.lower() not in DRAFT_SUFFIXES:
            raise InputError(
                f"{path}: a draft must be a {', '.join(DOCUMENT_SUFFIXES)} file (or - for stdin)"
            )
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise InputError(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MiB; a draft is a few kB")
            raw = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            raise InputError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise InputError(f"{path}: is a folder; give a .txt or .md draft") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        name = str(path)
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(f"{name}: larger than {MAX_FILE_BYTES // 2**20} MiB; a draft is a few kB")
    text = decode_text(raw, name)
    if not text.strip():
        raise InputError(f"{name}: the draft is empty")
    return DraftText(text=text, path=None if name == "stdin" else name)


def draft_sentences(text: str) -> list[DraftSentence]:
    """The draft's sentences in order, each without a leading Markdown line marker."""
    out: list[DraftSentence] = []
    for s in split_sentences(text):
        start, heading = _after_marker(text, s)
        if start >= s.end:
            continue
        line_start = text.rfind("\n", 0, s.start) + 1
        line_end = text.find("\n", s.end)
        first = not text[line_start : s.start].strip()
        own_line = first and not text[s.end : len(text) if line_end < 0 else line_end].strip()
        out.append(DraftSentence(len(out), start, s.end, text[start : s.end], heading, own_line))
    return out


def _after_marker(text: str, s: Sentence) -> tuple[int, bool]:
    """Where the sentence's own words begin (after a Markdown marker at the start of its line)."""
    line_start = text.rfind("\n", 0, s.start) + 1
    if text[line_start : s.start].strip():  # not the first sentence of its line: no marker to drop
        return s.start, False
    m = _LINE_MARKER.match(text, s.start)
    if m is None:
        return s.start, False
    return m.end(), bool(_HEADING.match(text, s.start))
