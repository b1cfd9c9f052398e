"""Word files (.docx): paragraphs, headings and tables in document order, read with python-docx (MIT).

Each paragraph or heading is a block; a table is a block with one line a row, its cells separated by
`` | `` (a merged cell once). Page headers, footers, footnotes and comments are not part of the body and are
left out. A Word file has no fixed pages (the layout is the word processor's), so no page is given.
"""

from __future__ import annotations

import io
import zipfile

from ..errors import InputError
from .extracted import Extracted, clean_inline, paragraphs_text

FORMAT = "docx"
#: The most a .docx may unpack to: a zip bomb is refused before python-docx inflates it.
MAX_UNPACKED_BYTES = 512 * 1024 * 1024


def read_docx(raw: bytes, path: str) -> Extracted:
    """The text of a Word document; a corrupt file or one without text is refused."""
    import docx

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"{path}: corrupt Word file (damaged zip archive: {exc})") from None
    if "word/document.xml" not in names:
        raise InputError(f"{path}: a zip archive but not a Word document (no word/document.xml)")
    if unpacked > MAX_UNPACKED_BYTES:
        raise InputError(
            f"{path}: unpacks to {unpacked / 1e6:.0f} MB, more than the {MAX_UNPACKED_BYTES // 2**20} MiB "
            "limit for a Word file"
        )
    try:
        document = docx.Document(io.BytesIO(raw))
        blocks = list(_blocks(document))
        title = clean_inline(document.core_properties.title or "") or None
    except Exception as exc:  # malformed XML or parts surface as any exception from python-docx / lxml
        raise InputError(f"{path}: corrupt Word file ({type(exc).__name__}: {str(exc)[:120]})") from None
    text = paragraphs_text(blocks)
    if not any(ch.isalnum() for ch in text):
        raise InputError(f"{path}: the Word document holds no text")
    if title is None:
        title = next(
            (clean_inline(p.text) for p in document.paragraphs if _is_heading(p) and p.text.strip()), None
        )
    return Extracted(text=text, title=title)


def _is_heading(paragraph: object) -> bool:
    style = getattr(getattr(paragraph, "style", None), "name", "") or ""
    return style == "Title" or style.startswith("Heading")


def _blocks(document: object) -> list[str]:
    from docx.table import Table

    out = []
    for item in document.iter_inner_content():  # type: ignore[attr-defined]
        if isinstance(item, Table):
            out.append(_table_text(item))
        else:
            out.append(item.text.replace("\n", " "))  # a manual line break inside a paragraph
    return out


def _table_text(table: object) -> str:
    """One line a row; cells separated by " | ", a merged cell once, a nested table's text inline."""
    rows = []
    for row in table.rows:  # type: ignore[attr-defined]
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(clean_inline(line) for line in cell.text.splitlines() if line.strip()))
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)
