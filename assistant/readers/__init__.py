"""Read any supported file into a :class:`~assistant.documents.SourceDocument`: one reader per format.

The format is chosen by the file's content (its first bytes) and its suffix together: a file whose content
is another format than its name says is refused with both named, so a saved error page called
``report.pdf`` is not indexed as a report. A file with a suffix not listed here is read by its content.

=========  ==========================  ============================================
format     suffixes                    reader
=========  ==========================  ============================================
text       .txt, .md                   :mod:`assistant.readers.text` (as given)
html       .html, .htm, .xhtml         :mod:`assistant.readers.html` (trafilatura)
pdf        .pdf                        :mod:`assistant.readers.pdf` (pdfminer.six)
docx       .docx                       :mod:`assistant.readers.docx` (python-docx)
=========  ==========================  ============================================
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from ..documents import MAX_FILE_BYTES, SourceDocument, doc_id_for, guess_lang, guess_title
from ..errors import InputError
from . import docx, html, pdf, text
from .extracted import Extracted

Reader = Callable[[bytes, str], Extracted]

#: Adding a format is one module with a ``FORMAT`` name and a reader, plus one line here and its suffixes.
READERS: dict[str, Reader] = {
    text.FORMAT: text.read_text,
    html.FORMAT: html.read_html,
    pdf.FORMAT: pdf.read_pdf,
    docx.FORMAT: docx.read_docx,
}
SUFFIX_FORMATS = {
    ".txt": "text",
    ".md": "text",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
#: What a format is called in a message.
_NAMES = {
    "text": "plain text",
    "html": "an HTML page",
    "pdf": "a PDF",
    "docx": "a Word document (.docx)",
    "zip": "a zip archive",
    "ole": "a legacy Office file (.doc/.xls) or a password-protected Office document",
    "rtf": "an RTF document",
    "binary": "binary data",
}
#: The PDF header may follow a little junk (the specification allows it within the first 1024 bytes).
_PDF_WINDOW = 1024
_HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE | re.DOTALL
)


def sniff(raw: bytes) -> str:
    """The format the content is, from its first bytes: a key of :data:`_NAMES`."""
    head = raw[:_PDF_WINDOW]
    if b"%PDF-" in head:
        return "pdf"
    if raw.startswith(b"PK\x03\x04"):
        return "docx" if b"word/" in raw[:65536] or b"[Content_Types].xml" in raw[:65536] else "zip"
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    if raw.startswith(b"{\\rtf"):
        return "rtf"
    if _HTML_START.match(raw.removeprefix(b"\xef\xbb\xbf")[:4096]):
        return "html"
    if b"\x00" in raw[:8192] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"
    return "text"


def _encrypted_office(raw: bytes) -> bool:
    """An Office document saved with a password is an OLE file holding an ``EncryptedPackage`` stream."""
    return "EncryptedPackage".encode("utf-16-le") in raw


def choose_format(raw: bytes, path: Path) -> str:
    """The reader for ``raw`` named ``path``: its suffix's format, checked against its content."""
    content = sniff(raw)
    claimed = SUFFIX_FORMATS.get(path.suffix.lower())
    if content == "ole" and (claimed in (None, "docx") or path.suffix.lower() == ".doc"):
        if _encrypted_office(raw):
            raise InputError(f"{path}: the Word document is password-protected; save a copy without it")
        raise InputError(f"{path}: a legacy Word 97-2003 file (.doc); save it as .docx or .txt first")
    if claimed is None:
        if content in READERS:
            return content
        if content == "zip":
            raise InputError(f"{path}: a zip archive, not a Word document; unpack it and ingest its files")
        return "text"  # the text reader names binary, RTF and UTF-16 content
    if claimed == "text":
        if content in ("pdf", "docx"):
            raise InputError(
                f"{path}: the name says {_NAMES[claimed]} but the content is {_NAMES[content]}; "
                f"rename it to {'.pdf' if content == 'pdf' else '.docx'} to ingest it"
            )
        return "text"  # HTML in a .md or .txt is text the user wrote; other content is named by decode_text
    if (
        claimed == content
        or (claimed == "html" and content == "text")
        or (claimed == "docx" and content == "zip")
    ):
        return claimed  # a page without a doctype is still a page; a zip is checked by the Word reader
    raise InputError(f"{path}: the name says {_NAMES[claimed]} but the content is {_NAMES[content]}")


def read_document(path: Path, *, lang: str | None = None) -> SourceDocument:
    """Read, check and extract one file of any supported format (``factcheck ingest`` reads every file so).

    Refused with a one-line :class:`InputError` naming the file and the problem: missing, not a file, too
    large, empty, binary, a format other than its name says, or a format-specific problem (a PDF without
    text layer, an encrypted or corrupt file, a web page without article text).
    """
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"{path}: {size / 1e6:.1f} MB is larger than the {MAX_FILE_BYTES // 2**20} MiB limit"
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not raw.strip():
        raise InputError(f"{path}: file is empty")
    fmt = choose_format(raw, path)
    extracted = READERS[fmt](raw, str(path))
    stored = extracted.text
    if not stored.strip():
        raise InputError(f"{path}: file is empty")
    digest = hashlib.sha256(stored.encode("utf-8"))
    if fmt != "text":  # the same text with other page breaks is another version
        digest.update(f"\0{fmt}\0{','.join(map(str, extracted.page_starts))}".encode())
    return SourceDocument(
        doc_id=doc_id_for(path),
        path=str(path),
        title=extracted.title or guess_title(stored, path),
        lang=lang or guess_lang(stored),
        text=stored,
        sha256=digest.hexdigest(),
        format=fmt,
        page_starts=extracted.page_starts,
    )


__all__ = ["READERS", "SUFFIX_FORMATS", "Extracted", "choose_format", "read_document", "sniff"]
