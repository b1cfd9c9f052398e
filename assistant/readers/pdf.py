"""PDF: the text layer, page by page, in reading order, with running headers, footers and page numbers left
out and words hyphenated at line ends joined again.

pdfminer.six (MIT) reads the text layer and groups characters into lines and lines into boxes in reading
order (columns one after another). What it cannot know is decided here, from the positions it gives:

- a line in the top or bottom eighth of a page whose text (digits aside) stands there on at least half of the
  pages, at least two, is a running header or footer; a lone page number ("3", "- 3 -", "Seite 3 von 5")
  there is dropped on any page;
- lines of a paragraph are joined with a space; a word hyphenated at a line end is joined without its
  hyphen when a lower-case letter goes on ("Gesetzes-" "ergänzung"), and keeps it otherwise ("NATO-"
  "Austritt", "US-" "amerikanisch"); a soft hyphen is always dropped;
- a paragraph ends at a line that is shorter than its column and ends a sentence, or where the type size
  changes; a paragraph cut by a column or page break goes on when the cut line fills its column without
  ending a sentence, or the next line starts in lower case.

Every sentence knows its page: ``page_starts`` gives the offset where each page's text begins.
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import InputError
from .extracted import Extracted, clean_inline

FORMAT = "pdf"
#: Share of the page height at its top and at its bottom where running headers and footers stand.
MARGIN_ZONE = 0.125
#: A line at least this share of its column's width fills the column (justified or ragged-right text).
FULL_LINE = 0.85
#: Type sizes (points) closer than this are the same size.
SIZE_TOLERANCE = 1.0
_HYPHENS = "-\u2010\u00ad"
_TERMINAL = ".!?…:;\"'“”„»«)]"
_PAGE_NUMBER = re.compile(
    r"^(?:(?:seite|page|s\.|p\.)\s*)?[-–—]?\s*(?:\d{1,4}|[ivxlc]{1,7})\s*[-–—]?"
    r"(?:\s*(?:von|of|/|\|)\s*\d{1,4})?$",
    re.IGNORECASE,
)


@dataclass
class _Line:
    """One line of text as pdfminer placed it."""

    text: str
    x0: float
    x1: float
    y_mid: float
    size: float
    #: The line's column: the widest right edge of the lines that start where it starts.
    right: float = 0.0
    hyphen: str = ""

    @property
    def full(self) -> bool:
        """True when the line fills its column (so a paragraph may go on after it)."""
        return self.x1 - self.x0 >= FULL_LINE * (self.right - self.x0)

    @property
    def ends_sentence(self) -> bool:
        """True when the line's text ends with sentence-final punctuation (or a closing quote)."""
        return self.text.endswith(tuple(_TERMINAL))


@dataclass
class _Page:
    """The boxes of one page, each a list of lines, in pdfminer's reading order."""

    boxes: list[list[_Line]]
    bottom: float
    height: float


def read_pdf(raw: bytes, path: str) -> Extracted:
    """The text of a PDF with its page starts; a PDF without a text layer, encrypted or corrupt is refused."""
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # warnings about odd fonts are not the user's
    if b"%%EOF" not in raw[-4096:]:
        raise InputError(f"{path}: the PDF is truncated or corrupt (no end-of-file marker); save it again")
    pages, title = _read_layout(raw, path)
    if not any(any(ch.isalnum() for ch in line.text) for p in pages for box in p.boxes for line in box):
        raise InputError(
            f"{path}: the PDF has no text layer (a scan or images of text?); OCR is not done here: "
            "run it through OCR first (e.g. `ocrmypdf in.pdf out.pdf`)"
        )
    _drop_running_lines(pages)
    text, starts = _join(pages)
    if not any(ch.isalnum() for ch in text):
        raise InputError(f"{path}: the PDF holds only running headers, footers or page numbers")
    return Extracted(text=text, title=title, page_starts=tuple(starts))


def _read_layout(raw: bytes, path: str) -> tuple[list[_Page], str | None]:
    """Every page's boxes and lines, and the title from the document information."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams, LTChar, LTTextBox, LTTextLine
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    try:
        document = PDFDocument(PDFParser(io.BytesIO(raw)))
    except PDFPasswordIncorrect:
        raise InputError(
            f"{path}: the PDF is encrypted with a password; save a copy without the password "
            "(e.g. `qpdf --decrypt --password=… in.pdf out.pdf`) and ingest that"
        ) from None
    except PDFEncryptionError as exc:
        raise InputError(f"{path}: the PDF is encrypted in a way that cannot be read ({exc})") from None
    except Exception as exc:  # a malformed file surfaces as any exception from the parser
        raise InputError(f"{path}: corrupt PDF ({_brief(exc)})") from None
    manager = PDFResourceManager()
    device = PDFPageAggregator(manager, laparams=LAParams())
    interpreter = PDFPageInterpreter(manager, device)
    pages: list[_Page] = []
    try:
        for page in PDFPage.create_pages(document):
            interpreter.process_page(page)
            layout = device.get_result()
            boxes = []
            for element in layout:
                if not isinstance(element, LTTextBox):
                    continue
                lines = []
                for line in element:
                    if not isinstance(line, LTTextLine):
                        continue
                    sizes = [ch.size for ch in line if isinstance(ch, LTChar)]
                    text = line.get_text().strip()
                    if text:
                        size = sum(sizes) / len(sizes) if sizes else 0.0
                        lines.append(_Line(text, line.x0, line.x1, (line.y0 + line.y1) / 2, size))
                if lines:
                    boxes.append(_same_baseline_joined(lines))
            pages.append(_Page(boxes, layout.y0, layout.height))
    except Exception as exc:  # as above: a damaged page stream fails in any of pdfminer's layers
        raise InputError(f"{path}: corrupt PDF ({_brief(exc)})") from None
    if not pages:
        raise InputError(f"{path}: corrupt PDF (no pages)")
    return pages, _title(document)


def _same_baseline_joined(lines: list[_Line]) -> list[_Line]:
    """A box's lines with pieces of one line joined, left to right.

    pdfminer cuts a justified line where a word space is wider than two characters ("Dabei      lässt …")
    and may list the pieces out of order; within one box, pieces on one baseline are one line.
    """
    out: list[_Line] = []
    for line in sorted(lines, key=lambda ln: -ln.y_mid):
        last = out[-1] if out else None
        if last is not None and abs(last.y_mid - line.y_mid) < max(1.0, 0.3 * max(line.size, last.size)):
            left, right = (last, line) if last.x0 <= line.x0 else (line, last)
            out[-1] = _Line(
                f"{left.text} {right.text}",
                left.x0,
                max(left.x1, right.x1),
                last.y_mid,
                max(left.size, right.size),
            )
        else:
            out.append(line)
    return out


def _brief(exc: Exception) -> str:
    message = " ".join(str(exc).split())[:120]
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _title(document: object) -> str | None:
    """The Title of the document information, unless it is empty or a file name."""
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text

    for info in getattr(document, "info", []):
        value = resolve1(info.get("Title")) if isinstance(info, dict) else None
        if isinstance(value, bytes):
            value = decode_text(value)
        if isinstance(value, str):
            title = clean_inline(value)
            if title and not re.search(r"\.(docx?|pdf|indd|tex|odt)$|^untitled$", title, re.IGNORECASE):
                return title
    return None


def _signature(text: str) -> str:
    """A running line's text with its numbers masked: "Seite 3 von 5" and "Seite 4 von 5" are the same."""
    return re.sub(r"\d+", "#", clean_inline(text).lower())


def _in_margin(line: _Line, page: _Page) -> bool:
    rel = (line.y_mid - page.bottom) / page.height if page.height else 0.5
    return rel < MARGIN_ZONE or rel > 1 - MARGIN_ZONE


def _drop_running_lines(pages: list[_Page]) -> None:
    """Remove running headers, footers and page numbers from the margins of every page (in place)."""
    seen: Counter[str] = Counter()
    for page in pages:
        seen.update({_signature(line.text) for box in page.boxes for line in box if _in_margin(line, page)})
    repeated = max(2, math.ceil(len(pages) / 2))
    for page in pages:

        def running(line: _Line, page: _Page = page) -> bool:
            if not _in_margin(line, page):
                return False
            text = clean_inline(line.text)
            return bool(_PAGE_NUMBER.match(text)) or seen[_signature(text)] >= repeated

        page.boxes = [kept for box in page.boxes if (kept := [ln for ln in box if not running(ln)])]


def _prepared(pages: list[_Page]) -> Iterator[tuple[int, bool, _Line]]:
    """Every kept line as ``(page index, starts a box, line)``, its text cleaned, its trailing hyphen and
    its column's right edge noted."""
    for index, page in enumerate(pages):
        lines = [line for box in page.boxes for line in box]
        for line in lines:
            line.right = max(m.x1 for m in lines if abs(m.x0 - line.x0) < 4.0)
            raw = line.text.rstrip()
            if len(raw) > 1 and raw[-1] in _HYPHENS and raw[-2].isalpha():
                line.hyphen, raw = raw[-1], raw[:-1]
            line.text = clean_inline(raw)
        for box in page.boxes:
            for n, line in enumerate(box):
                if line.text or line.hyphen:
                    yield index, n == 0, line


def _separator(prev: _Line, line: _Line, new_box: bool) -> str:
    """What goes between two consecutive lines: nothing or a hyphen (a word goes on), a space (the
    paragraph goes on) or a blank line (a new paragraph)."""
    first = line.text[:1]
    if prev.hyphen:
        if prev.hyphen == "\u00ad" or (first.islower() and prev.text[-1:].islower()):
            return ""
        return "-"
    same_size = abs(prev.size - line.size) < SIZE_TOLERANCE
    if first.islower() and (same_size or new_box):
        return " "
    if not same_size:
        return "\n\n"
    if new_box:
        return " " if prev.full and not prev.ends_sentence else "\n\n"
    return "\n\n" if prev.ends_sentence and not prev.full else " "


def _join(pages: list[_Page]) -> tuple[str, list[int]]:
    """The stored text and the offset where each page begins."""
    parts: list[str] = []
    length = 0
    starts = [0] * len(pages)
    started = [False] * len(pages)
    prev: _Line | None = None
    for index, new_box, line in _prepared(pages):
        sep = _separator(prev, line, new_box) if prev is not None else ""
        parts.append(sep)
        length += len(sep)
        if not started[index]:
            started[index] = True
            starts[index] = length
        parts.append(line.text)
        length += len(line.text)
        prev = line
    if prev is not None and prev.hyphen:
        parts.append("-")
        length += 1
    # A page with no text begins where the next text does (or at the end).
    for index in range(len(pages) - 1, -1, -1):
        if not started[index]:
            starts[index] = starts[index + 1] if index + 1 < len(pages) else length
    return "".join(parts), starts
