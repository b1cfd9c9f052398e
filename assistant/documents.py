"""Read a user's file into a :class:`SourceDocument`: strict UTF-8, BOM dropped, exact offsets."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

#: Files larger than this are refused: a news article is a few kB; 20 MB of text is almost surely a mistake.
MAX_FILE_BYTES = 20 * 1024 * 1024
SUPPORTED_SUFFIXES = (".txt", ".md")


@dataclass(frozen=True)
class SourceDocument:
    """A document as ingested. ``text`` is exactly what offsets refer to."""

    doc_id: str
    path: str
    title: str
    lang: str
    text: str
    sha256: str

    @property
    def name(self) -> str:
        """The file name, used to refer to the document in output and in gold data."""
        return Path(self.path).name


def doc_id_for(path: Path) -> str:
    """A stable id from the file name: readable, and the same wherever the corpus is checked out."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", path.name).strip("-")
    return stem or "document"


def decode_text(raw: bytes, path: str) -> str:
    """Decode bytes as UTF-8, dropping a BOM; refuse binary or non-UTF-8 content with a clear message."""
    if b"\x00" in raw[:8192]:
        raise InputError(f"{path}: looks like a binary file (NUL bytes); only UTF-8 text is accepted")
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
    """Read and validate one file."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"{path}: {size / 1e6:.1f} MB is larger than the {MAX_FILE_BYTES // 2**20} MiB limit"
        )
    raw = path.read_bytes()
    text = decode_text(raw, str(path))
    if not text.strip():
        raise InputError(f"{path}: file is empty")
    return SourceDocument(
        doc_id=doc_id_for(path),
        path=str(path),
        title=guess_title(text, path),
        lang=lang or guess_lang(text),
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files named directly, plus every .txt/.md file under folders (recursively, sorted, hidden skipped)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(
                f
                for f in p.rglob("*")
                if f.is_file()
                and f.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            if not found:
                raise InputError(f"{p}: folder holds no .txt or .md files")
            out.extend(found)
        else:
            if not p.exists():
                raise InputError(f"{p}: no such file or folder")
            out.append(p)
    return out
