"""Read a user's file into a :class:`SourceDocument`: strict UTF-8, BOM dropped, exact offsets."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

#: Files larger than this are refused: a news article is a few kB; 20 MB of text is almost surely a mistake.
MAX_FILE_BYTES = 20 * 1024 * 1024
#: The files a folder is searched for; ``assistant.readers`` reads each by its format.
SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".xhtml", ".pdf", ".docx")


@dataclass(frozen=True)
class SourceDocument:
    """A document as ingested. ``text`` is exactly what offsets refer to."""

    doc_id: str
    path: str
    title: str
    lang: str
    text: str
    sha256: str
    #: The reader that extracted ``text``: ``text``, ``html``, ``pdf`` or ``docx`` (``assistant.readers``).
    format: str = "text"
    #: Offset in ``text`` where each page begins (page ``i + 1`` at ``page_starts[i]``); empty: no pages.
    page_starts: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        """The file name, used to refer to the document in output and in gold data."""
        return Path(self.path).name

    def page_at(self, offset: int) -> int | None:
        """The page (1-based) that the character at ``offset`` stands on; None for a format without pages."""
        return page_at(self.page_starts, offset)


def page_at(page_starts: tuple[int, ...], offset: int) -> int | None:
    """The page (1-based) of ``offset`` given where each page begins; None when there are no pages.

    A page without text begins where the next one does, so an offset there belongs to the later page.
    """
    if not page_starts:
        return None
    return max(1, bisect_right(page_starts, offset))


def doc_id_for(path: Path) -> str:
    """A stable id from the file name: readable, and the same wherever the corpus is checked out.

    Letters of any script are kept (``中国.txt`` stays ``中国.txt``; NFC, so a name from macOS's NFD file
    system gives the same id), other characters become ``-``. A name with no letter or digit at all gets
    a short hash of the name, so two such files still get different ids.
    """
    name = unicodedata.normalize("NFC", path.name)
    stem = re.sub(r"[^\w.-]+", "-", name).strip("-")
    if not any(ch.isalnum() for ch in Path(name).stem):
        digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:10]
        suffix = Path(name).suffix
        if not re.fullmatch(r"\.\w+", suffix):
            suffix = ""
        return f"document-{digest}{suffix}"
    return stem


def disambiguated_id(doc_id: str, path: str) -> str:
    """The id for a second file whose name gives ``doc_id`` already taken by a file in another folder.

    The folder's absolute path, hashed, goes between stem and suffix (``report-1a2b3c4d.txt``): stable for
    that file across runs, and different for every folder.
    """
    folder = str(Path(path).resolve().parent)
    digest = hashlib.sha256(folder.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    p = Path(doc_id)
    return f"{p.stem}-{digest}{p.suffix}"


#: Formats recognised by their first bytes, so the error says what the file is and how to convert it.
_MAGIC = (
    (b"%PDF-", "a PDF file; extract its text first, e.g. `pdftotext FILE out.txt`"),
    (b"PK\x03\x04", "a zip container (.docx, .odt, .epub …); save or export it as plain text (.txt) first"),
    (b"\xd0\xcf\x11\xe0", "a legacy Office document (.doc); save it as plain text (.txt) first"),
    (b"{\\rtf", "an RTF document; save it as plain text (.txt) first"),
)


def _utf16_hint(raw: bytes) -> str | None:
    """The UTF-16 variant when the bytes look like UTF-16 text (a BOM, or NULs in every other byte)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = raw[:4096]
    if len(sample) >= 8:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > 0.4 * len(odd) and even.count(0) == 0:
            return "utf-16le"
        if even.count(0) > 0.4 * len(even) and odd.count(0) == 0:
            return "utf-16be"
    return None


def decode_text(raw: bytes, path: str) -> str:
    """Decode bytes as UTF-8, dropping a BOM; refuse binary or non-UTF-8 content with a clear message.

    The whole file is checked for NUL bytes (not only its start), and a PDF, Office document or UTF-16
    file is named as such, with how to convert it.
    """
    for magic, what in _MAGIC:
        if raw.startswith(magic):
            raise InputError(f"{path}: {what}; only UTF-8 text is accepted")
    utf16 = _utf16_hint(raw)
    if utf16:
        raise InputError(
            f"{path}: UTF-16 text; convert it to UTF-8 first, e.g. `iconv -f {utf16} -t utf-8 FILE > out.txt`"
        )
    if b"\x00" in raw:
        raise InputError(
            f"{path}: looks like a binary file (NUL byte at offset {raw.index(0)}); "
            "only UTF-8 text is accepted"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "convert it with e.g. `iconv -f latin1 -t utf-8`"
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    # CRLF is kept as given: offsets point into the text the user gave, minus the BOM.
    return text


def guess_title(text: str, path: Path) -> str:
    """The first non-empty line if it is short (a headline), else the file stem."""
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line if len(line) <= 120 else path.stem
    return path.stem


def guess_lang(text: str) -> str:
    """A cheap language guess from function words; good enough to label a document, never used to judge."""
    words = re.findall(r"[a-zäöüß]+", text.lower())
    if not words:
        return "und"
    markers = {
        "de": {"der", "die", "das", "und", "ist", "nicht", "ein", "eine", "mit", "auf", "dass", "sich"},
        "en": {"the", "and", "is", "not", "of", "to", "in", "that", "with", "for", "was", "on"},
        "fr": {"le", "la", "les", "et", "est", "des", "une", "pas", "dans", "pour", "que", "qui"},
        "es": {"el", "la", "los", "las", "y", "es", "una", "por", "con", "para", "que", "del"},
    }
    scores = {lang: sum(w in vocab for w in words) for lang, vocab in markers.items()}
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] >= max(3, len(words) // 50) else "und"


def load_document(path: Path, *, lang: str | None = None) -> SourceDocument:
    """Read and validate one file of any supported format: :func:`assistant.readers.read_document`."""
    from .readers import read_document  # the readers build on this module

    return read_document(path, lang=lang)


def expand_paths(paths: list[Path], errors: list[str] | None = None) -> list[Path]:
    """Files named directly, plus every supported file under folders (recursively, sorted, hidden skipped).

    With ``errors``, a missing path or an empty folder is recorded there and the others are still
    expanded; without it, the first one raises :class:`InputError`.
    """
    out: list[Path] = []
    for p in paths:
        try:
            out.extend(_expand_one(p))
        except InputError as exc:
            if errors is None:
                raise
            errors.append(str(exc))
    return out


def _expand_one(p: Path) -> list[Path]:
    if p.is_dir():
        try:
            found = sorted(
                f
                for f in p.rglob("*")
                if f.is_file()
                and f.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        except OSError as exc:
            raise InputError(f"{p}: cannot be listed ({exc.strerror or exc})") from None
        if not found:
            names = ", ".join(SUPPORTED_SUFFIXES[:-1])
            raise InputError(f"{p}: folder holds no {names} or {SUPPORTED_SUFFIXES[-1]} files")
        return found
    if not p.exists():
        raise InputError(f"{p}: no such file or folder")
    return [p]
