"""The format readers on real files made here: the seed as a news page, a two-column PDF and a Word file,
and every kind of bad file, each refused on one line that names the file and the problem."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from assistant.documents import MAX_FILE_BYTES
from assistant.errors import InputError
from assistant.readers import choose_format, read_document, sniff
from assistant.readers.extracted import clean_inline
from assistant.sentences import split_sentences

from .layouts import (
    DOCX_BOILERPLATE,
    DOCX_TABLE,
    HTML_BOILERPLATE,
    PDF_BOILERPLATE,
    SEED,
    TITLE,
    news_page_html,
    seed_docx,
    two_column_pdf,
)

SEED_TEXT = SEED.read_text("utf-8")
SEED_SENTENCES = split_sentences(SEED_TEXT)


@pytest.fixture(scope="module")
def pdf_layout():
    return two_column_pdf()


def _sentences(text: str) -> set[str]:
    return {s.text for s in split_sentences(text)}


def _missing_sentences(text: str) -> list[str]:
    found = _sentences(text)
    return [s.text for s in SEED_SENTENCES if s.text not in found]


# ---- the three layouts of the seed ---------------------------------------------------------------


def test_news_page_keeps_the_article_and_drops_the_page_around_it(tmp_path):
    page = tmp_path / "musk-nato.html"
    page.write_text(news_page_html(), "utf-8")
    doc = read_document(page)
    assert doc.format == "html" and doc.page_starts == () and doc.page_at(10) is None
    assert doc.title == TITLE and doc.text.startswith(TITLE + "\n\n")
    assert _missing_sentences(doc.text) == []  # every sentence, captions included, whole and exact
    assert [b for b in HTML_BOILERPLATE if b in doc.text] == []
    assert "&bdquo;" not in doc.text and "„Lasst uns aus der NATO austreten“" in doc.text
    assert "Rechtliche Hürden für einen NATO-Austritt" in doc.text.split("\n\n")  # a heading is its own block


def test_two_column_pdf_is_read_in_order_with_pages_and_no_running_lines(tmp_path, pdf_layout):
    path = tmp_path / "musk-nato.pdf"
    path.write_bytes(pdf_layout.data)
    # The layout exercises what the reader must undo, or this test would prove nothing.
    assert pdf_layout.pages >= 2 and pdf_layout.hyphenated >= 10 and pdf_layout.split_blocks >= 1
    doc = read_document(path)
    assert doc.format == "pdf" and len(doc.page_starts) == pdf_layout.pages
    assert _missing_sentences(doc.text) == []
    assert [b for b in PDF_BOILERPLATE if b in doc.text] == []
    assert "\ufb01" not in doc.text and "\ufb02" not in doc.text and "\u00ad" not in doc.text
    assert "finanzielle Verantwortung" in doc.text and "einflussreiche Stimme" in doc.text
    assert "Gesetzesergänzung" in doc.text and "Rechtliche Hürden für einen NATO-Austritt" in doc.text
    # Each sentence's page is the page the layout set its first word on.
    for s in SEED_SENTENCES:
        at = doc.text.index(s.text)
        assert doc.page_at(at) == pdf_layout.page_of[s.start], s.text


def test_word_file_gives_headings_paragraphs_and_table_rows(tmp_path):
    path = tmp_path / "musk-nato.docx"
    seed_docx(path)
    doc = read_document(path)
    assert doc.format == "docx" and doc.title == TITLE and doc.page_starts == ()
    assert _missing_sentences(doc.text) == []
    blocks = doc.text.split("\n\n")
    assert "Kurswechsel in der US-Außenpolitik" in blocks
    assert "\n".join(" | ".join(row) for row in DOCX_TABLE) in blocks
    assert [b for b in DOCX_BOILERPLATE if b in doc.text] == []  # page header and footer are not body


def test_the_same_text_with_other_page_breaks_is_another_version(tmp_path, pdf_layout):
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    a.write_bytes(pdf_layout.data)
    b.write_bytes(two_column_pdf(ligatures=False).data)
    doc_a, doc_b = read_document(a), read_document(b)
    assert doc_a.text == doc_b.text  # the ligatures are spelled out either way
    txt = tmp_path / "same.txt"
    txt.write_text(doc_a.text, "utf-8")
    assert read_document(txt).sha256 != doc_a.sha256  # a .txt of the same text has no pages


def test_inline_clean_up():
    assert clean_inline("  Kon\ufb02ikt\u00a0und  Pro\u00adzess\u200b  ") == "Konflikt und Prozess"


# ---- choosing the reader -------------------------------------------------------------------------------


def test_content_and_suffix_choose_the_reader(tmp_path, pdf_layout):
    assert sniff(pdf_layout.data) == "pdf"
    assert sniff(b"<!DOCTYPE html><html><body>x</body></html>") == "html"
    assert sniff("Größere Sätze.".encode()) == "text"
    assert choose_format(b"<p>Satz in Markdown mit HTML.</p>", Path("notes.md")) == "text"
    assert choose_format(pdf_layout.data, Path("no-suffix")) == "pdf"
    assert choose_format(b"<html><body><p>x</p></body></html>", Path("page")) == "html"
    assert choose_format(b"<p>a fragment saved as .htm</p>", Path("frag.htm")) == "html"


# ---- bad files: one clear line each ---------------------------------------------------------------------


def _scan_pdf() -> bytes:
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    canvas = Canvas(buf)
    for _ in range(2):
        canvas.drawImage(ImageReader(Image.new("L", (400, 560), 235)), 50, 100, 480, 660)
        canvas.showPage()
    canvas.save()
    return buf.getvalue()


def _encrypted_pdf() -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    canvas = Canvas(buf, encrypt="geheim")
    canvas.drawString(72, 720, "Vertrauliche Pressemitteilung über den NATO-Austritt.")
    canvas.save()
    return buf.getvalue()


def _bad_files(pdf: bytes, docx_bytes: bytes) -> dict[str, tuple[bytes, str]]:
    """File name -> (content, what the error must say)."""
    no_word = io.BytesIO()
    with zipfile.ZipFile(no_word, "w") as z:
        z.writestr("readme.txt", "Kein Word-Dokument.")
    nav_only = (
        "<!DOCTYPE html><html><head><title>KURIER</title></head><body><nav><ul>"
        + "".join(f"<li><a href='/{w}'>{w}</a></li>" for w in HTML_BOILERPLATE[4:8])
        + "</ul></nav><footer>© 2025 KURIER.at</footer></body></html>"
    )
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    noise = bytes(range(256)) * 16
    return {
        "scan.pdf": (_scan_pdf(), "no text layer (a scan or images of text?); OCR is not done here"),
        "locked.pdf": (_encrypted_pdf(), "the PDF is encrypted with a password"),
        "garbage.pdf": (b"%PDF-1.7\n" + os.urandom(3000) + b"\n%%EOF\n", "corrupt PDF"),
        "truncated.pdf": (pdf[: len(pdf) // 2], "the PDF is truncated or corrupt"),
        "truncated.docx": (docx_bytes[: len(docx_bytes) // 2], "corrupt Word file"),
        "archive.docx": (no_word.getvalue(), "a zip archive but not a Word document"),
        "navigation.html": (nav_only.encode(), "no article text found in the web page"),
        "error-page.pdf": (
            b"<!DOCTYPE html><html><body>404</body></html>",
            "the name says a PDF but the content is an HTML page",
        ),  # noqa: E501
        "report.txt": (pdf, "the name says plain text but the content is a PDF; rename it to .pdf"),
        "notes.pdf": (docx_bytes, "the name says a PDF but the content is a Word document"),
        "legacy.docx": (ole, "a legacy Word 97-2003 file (.doc)"),
        "protected.docx": (ole + "EncryptedPackage".encode("utf-16-le"), "password-protected"),
        "empty.pdf": (b"", "file is empty"),
        "blank.html": (b"  \n\n ", "file is empty"),
        "noise.txt": (noise, "looks like a binary file"),
        "noise.html": (noise, "the name says an HTML page but the content is binary data"),
        "noise.docx": (noise, "the name says a Word document (.docx) but the content is binary data"),
    }


def test_every_bad_file_is_refused_on_one_line_naming_it(tmp_path, pdf_layout):
    word = tmp_path / "ok.docx"
    seed_docx(word)
    for name, (content, expected) in _bad_files(pdf_layout.data, word.read_bytes()).items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(InputError) as exc:
            read_document(path)
        message = str(exc.value)
        assert message.startswith(f"{path}: ") and expected in message, (name, message)
        assert "\n" not in message


def test_a_pdf_over_the_size_limit_is_refused_before_it_is_read(tmp_path, pdf_layout):
    big = tmp_path / "annual-report.pdf"
    with big.open("wb") as f:
        f.write(pdf_layout.data[:-6])
        f.write(b"%" + b"x" * 1023 + b"\n")
        f.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(InputError, match=r"annual-report.pdf: 21.0 MB is larger than the 20 MiB limit"):
        read_document(big)
