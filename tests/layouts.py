"""The seed article laid out as the files journalists keep: a saved news page, a two-column PDF, a Word file.

Built at test time (never committed): the reader tests and evals/extraction_benchmark.py measure extraction
on the same pages. Each layout says what it put around the article (``boilerplate``) and, for the PDF, on
which page each character of the article stands, so a test can assert that every article sentence is found,
that no boilerplate is, and that pages are right.
"""

from __future__ import annotations

import html
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

SEED = Path(__file__).resolve().parents[1] / "seeds" / "musk-nato.de.txt"
TITLE = "Musk und Senator Lee wollen raus aus der NATO"

#: Caption credits glued to the caption as the news site does ("…kennt.APA/AFP/Jim WATSON").
_CREDIT = re.compile(r"(?<=\.)(APA/AFP/[^\n]+)$")


@dataclass(frozen=True)
class Block:
    """One block of the article: ``kind`` is ``paragraph``, ``heading`` or ``caption``."""

    kind: str
    text: str
    #: Offset of ``text`` in the seed file.
    start: int
    #: A caption's photo credit (part of ``text``, set in smaller type).
    credit: str = ""


def seed_blocks(seed: str | None = None) -> list[Block]:
    """The seed's blank-line separated blocks, each classified as paragraph, heading or caption."""
    text = seed if seed is not None else SEED.read_text("utf-8")
    blocks = []
    for m in re.finditer(r"[^\n]+", text):
        line = m.group(0)
        credit = _CREDIT.search(line)
        if credit:
            blocks.append(Block("caption", line, m.start(), credit.group(1)))
        elif len(line) < 80 and not line.rstrip().endswith((".", "!", "?", "“", "”")):
            blocks.append(Block("heading", line, m.start()))
        else:
            blocks.append(Block("paragraph", line, m.start()))
    return blocks


# ---- a saved news page ---------------------------------------------------------------------------

#: Everything the page puts around the article; none of it may be indexed.
HTML_BOILERPLATE = (
    "Wir verwenden Cookies, um Ihnen das beste Nutzererlebnis zu bieten.",
    "Mit Klick auf „Alle akzeptieren“ stimmen Sie der Verarbeitung Ihrer Daten zu.",
    "Alle akzeptieren",
    "Einstellungen verwalten",
    "Startseite",
    "Innenpolitik",
    "Wirtschaft",
    "Meinung",
    "Jetzt Abo abschließen",
    "Mehr zum Thema",
    "Trump verhängt neue Zölle gegen Kanada und Mexiko",
    "EU-Gipfel berät über gemeinsame Verteidigung",
    "Kommentare (3)",
    "Das ist doch alles nur Show, die NATO bleibt sowieso bestehen.",
    "Endlich sagt es mal einer laut, Europa muss selbst zahlen.",
    "Bitte melden Sie sich an, um zu kommentieren.",
    "Alle Rechte vorbehalten.",
    "Impressum",
    "Datenschutz",
    "Newsletter abonnieren",
    "window.dataLayer",
    "Bitte aktivieren Sie JavaScript, um dieses Video zu sehen.",
    "font-family",
)


def _entities(text: str) -> str:
    """Escaped text with the typographic quotes and a few umlauts as character references, as CMSs write."""
    out = html.escape(text, quote=False)
    return out.replace("„", "&bdquo;").replace("“", "&#8220;").replace("ü", "&uuml;").replace("ß", "&szlig;")


def news_page_html(seed: str | None = None) -> str:
    """The seed article as a saved news page: menus, cookie banner, scripts, related links, comments and a
    footer around it."""
    article = []
    for b in seed_blocks(seed):
        if b.kind == "heading":
            article.append(f"<h2>{_entities(b.text)}</h2>")
        elif b.kind == "caption":
            caption = b.text[: -len(b.credit)]
            article.append(
                '<figure class="image"><img src="/img/foto.jpg" alt="Foto" width="800" height="450">'
                f'<figcaption>{_entities(caption)}<span class="credit">{_entities(b.credit)}</span>'
                "</figcaption></figure>"
            )
        else:
            article.append(f"<p>{_entities(b.text)}</p>")
    bp = HTML_BOILERPLATE
    menu = "".join(f'<li><a href="/{w.lower()}">{w}</a></li>' for w in bp[4:8])
    comments = "".join(
        f'<li class="comment"><div class="author">Leser{i}</div><p>{_entities(c)}</p></li>'
        for i, c in enumerate(bp[13:15], 1)
    )
    body = "\n".join(article)
    return f"""<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<title>{_entities(TITLE)} | KURIER.at</title>
<meta property="og:title" content="{_entities(TITLE)}">
<meta property="og:site_name" content="KURIER.at">
<meta name="author" content="Redaktion">
<style>body {{ font-family: Georgia, serif; }} .cookie {{ position: fixed; }}</style>
<script>window.dataLayer = window.dataLayer || [];
var msg = "Bitte aktivieren Sie JavaScript, um dieses Video zu sehen.";</script>
</head>
<body>
<div class="cookie-banner" id="consent">
  <p>{_entities(bp[0])} {_entities(bp[1])}</p>
  <button>{bp[2]}</button> <button>{bp[3]}</button>
</div>
<header class="site-header">
  <a class="logo" href="/">KURIER</a>
  <nav class="main-nav"><ul>{menu}</ul></nav>
  <a class="abo" href="/abo">{bp[8]}</a>
</header>
<main>
<article class="article">
  <h1 class="headline">{_entities(TITLE)}</h1>
  <div class="meta">Von Redaktion · <time datetime="2025-03-03">03.03.2025</time></div>
  <div class="article-body">
{body}
  </div>
</article>
<aside class="related">
  <h3>{bp[9]}</h3>
  <ul><li><a href="/a1">{_entities(bp[10])}</a></li><li><a href="/a2">{_entities(bp[11])}</a></li></ul>
</aside>
<section class="comments" id="comments">
  <h3>{bp[12]}</h3>
  <ul>{comments}</ul>
  <p class="login">{_entities(bp[15])}</p>
</section>
</main>
<footer class="site-footer">
  <p>© 2025 KURIER.at – {bp[16]}</p>
  <ul><li><a href="/impressum">{bp[17]}</a></li><li><a href="/datenschutz">{bp[18]}</a></li>
  <li><a href="/newsletter">{bp[19]}</a></li></ul>
</footer>
<script>
document.querySelectorAll('.cookie-banner button').forEach(b => b.onclick = () => b.remove());
</script>
</body>
</html>
"""


# ---- a two-column PDF ----------------------------------------------------------------------------

PDF_HEADER = "KURIER · Politik · Montag, 3. März 2025"
PDF_FOOTER_LEFT = "kurier.at/politik/ausland"
#: The running header and footer of every page (the page number is "Seite N von M").
PDF_BOILERPLATE = (PDF_HEADER, PDF_FOOTER_LEFT, "Seite 1 von", "Seite 2 von", "Seite 3 von")
_LIGATURES = {"fi": "\ufb01", "fl": "\ufb02"}
#: The most a justified line's word spaces grow (times a space's width).
MAX_STRETCH = 1.5


@dataclass
class PdfLayout:
    """A PDF of the seed and where its text went."""

    data: bytes
    pages: int
    #: Page (1-based) of each seed character that was set (seed offset -> page).
    page_of: dict[int, int] = field(default_factory=dict)
    #: How many words were hyphenated at a line end (with "-" or a soft hyphen).
    hyphenated: int = 0
    #: Blocks split across a column or page break.
    split_blocks: int = 0


def _fonts() -> tuple[str, str, str]:
    """Bitstream Vera (shipped with reportlab): umlauts, „ “, ligature glyphs and the soft hyphen."""
    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    for name, file in (("Vera", "Vera.ttf"), ("VeraBd", "VeraBd.ttf"), ("VeraIt", "VeraIt.ttf")):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, os.path.join(folder, file)))
    return "Vera", "VeraBd", "VeraIt"


def _set(word: str, ligatures: bool) -> str:
    """A word as the typesetter sets it: with ligature glyphs in body text."""
    if ligatures:
        for pair, glyph in _LIGATURES.items():
            word = word.replace(pair, glyph)
    return word


def two_column_pdf(seed: str | None = None, *, ligatures: bool = True) -> PdfLayout:
    """The seed as a two-column newspaper PDF: a title over both columns, running header, footer with
    "Seite N von M", justified body text hyphenated at line ends (every third break with a soft hyphen),
    headings in bold, photos as grey boxes with italic captions, and ligature glyphs (ﬁ, ﬂ).

    Laid out twice: the first pass counts the pages for the footer.
    """
    pages = _layout(seed, ligatures, total_pages=0).pages
    return _layout(seed, ligatures, total_pages=pages)


def _layout(seed: str | None, ligatures: bool, *, total_pages: int) -> PdfLayout:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    regular, bold, italic = _fonts()
    width, height = A4
    margin, gap, top, bottom = 56.0, 18.0, 70.0, 64.0
    col_w = (width - 2 * margin - gap) / 2
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=A4, invariant=1)
    out = PdfLayout(b"", 0)
    state = {"page": 1, "col": 0, "y": height - top, "breaks": 0}

    def chrome() -> None:
        canvas.setFont(regular, 8)
        canvas.drawString(margin, height - 40, PDF_HEADER)
        canvas.line(margin, height - 46, width - margin, height - 46)
        canvas.drawString(margin, 36, PDF_FOOTER_LEFT)
        label = f"Seite {state['page']} von {total_pages or 1}"
        canvas.drawRightString(width - margin, 36, label)

    def next_column() -> None:
        if state["col"] == 0:
            state["col"], state["y"] = 1, col_top()
            return
        canvas.showPage()
        state["page"] += 1
        chrome()
        state["col"], state["y"] = 0, height - top

    def col_top() -> float:
        return title_bottom if state["page"] == 1 else height - top

    def x0() -> float:
        return margin + state["col"] * (col_w + gap)

    chrome()
    # The title over both columns.
    canvas.setFont(bold, 17)
    canvas.drawString(margin, height - top - 12, TITLE)
    title_bottom = height - top - 40
    state["y"] = title_bottom

    for block in seed_blocks(seed):
        font, size, leading, space = {
            "paragraph": (regular, 9.5, 12.5, 7.0),
            "heading": (bold, 11.5, 15.0, 9.0),
            "caption": (italic, 8.0, 10.0, 10.0),
        }[block.kind]
        if block.kind == "caption":
            if state["y"] - 80 < bottom:
                next_column()
            canvas.setFillGray(0.8)
            canvas.rect(x0(), state["y"] - 70, col_w, 70, stroke=0, fill=1)
            canvas.setFillGray(0)
            state["y"] -= 80
        if block.kind == "heading" and state["y"] - 3 * leading < bottom:
            next_column()  # no heading alone at the foot of a column
        words = [(m.start() + block.start, m.group(0)) for m in re.finditer(r"\S+", block.text)]
        first_page = state["page"]
        lines, hyphenated = _wrap(words, font, size, col_w, stringWidth, ligatures, out.hyphenated)
        out.hyphenated = hyphenated
        for n, (line, justify) in enumerate(lines):
            if state["y"] - leading < bottom:
                next_column()
            state["y"] -= leading
            natural = sum(stringWidth(w, font, size) for _, w in line)
            space_w = stringWidth(" ", font, size)
            extra = (col_w - natural - space_w * (len(line) - 1)) / (len(line) - 1) if justify else 0.0
            if extra > MAX_STRETCH * space_w:
                extra = 0.0  # as a typesetter would rather than open wide gaps: this line stays ragged
            x = x0()
            canvas.setFont(font, size)
            for offset, shown in line:
                canvas.drawString(x, state["y"], shown)
                x += stringWidth(shown, font, size) + space_w + extra
                if offset >= 0:
                    for i in range(len(shown)):
                        out.page_of.setdefault(offset + i, state["page"])
            if n == len(lines) - 1:
                state["y"] -= space
        if state["page"] != first_page:
            out.split_blocks += 1
    canvas.showPage()
    canvas.save()
    out.data = buf.getvalue()
    out.pages = state["page"]
    return out


def _wrap(words, font, size, width, string_width, ligatures, hyphenated):  # type: ignore[no-untyped-def]
    """Lines of ``(seed offset, shown text)`` words, whether each is justified (all but the last), and
    the running count of hyphenated breaks (``hyphenated`` before this block).

    A word that does not fit is broken inside a lower-case run (as a hyphenation dictionary would) or after
    its own hyphen; every third break is marked with a soft hyphen instead of "-".
    """
    lines: list[tuple[list[tuple[int, str]], bool]] = []
    line: list[tuple[int, str]] = []
    used = 0.0
    space = string_width(" ", font, size)
    queue = [(off, w) for off, w in words]
    while queue:
        off, word = queue.pop(0)
        shown = _set(word, ligatures)
        w = string_width(shown, font, size)
        need = w + (space if line else 0.0)
        if used + need <= width:
            line.append((off, shown))
            used += need
            continue
        broken = _hyphenate(
            word, width - used - (space if line else 0.0), font, size, string_width, ligatures
        )
        if broken is not None:
            head, tail_at = broken
            hyphenated += 1
            mark = "\u00ad" if hyphenated % 3 == 0 and not head.endswith("-") else "-"
            line.append((off, _set(head, ligatures) + ("" if head.endswith("-") else mark)))
            queue.insert(0, (off + tail_at, word[tail_at:]))
        else:
            queue.insert(0, (off, word))
        lines.append((line, True))
        line, used = [], 0.0
    if line:
        lines.append((line, False))
    return lines, hyphenated


def _hyphenate(word, room, font, size, string_width, ligatures):  # type: ignore[no-untyped-def]
    """The longest head of ``word`` that fits ``room`` with its hyphen, and where the rest starts."""
    if len(word) < 7:
        return None
    for i in range(len(word) - 3, 2, -1):
        # Before a consonant that starts a syllable (wie-der-holt), never inside ch/ck/sch, with at least
        # three letters on either side: what a hyphenation dictionary would allow, near enough.
        tail = re.match(r"[a-zäöüß]*", word[i:]).group(0)  # type: ignore[union-attr]
        inside = (
            word[:i].isalpha()
            and word[i - 1].islower()
            and word[i] in "bcdfghjklmnpqrstvwxzß"
            and i + 1 < len(word)
            and word[i + 1] in "aeiouäöüy"
            and word[i - 1 : i + 1] not in ("ch", "ck", "sc", "ph", "th")
            and len(tail) >= 3
        )
        after_hyphen = word[i - 1] == "-" and word[i].isalpha() and i >= 3
        if not (inside or after_hyphen):
            continue
        head = word[:i]
        if string_width(_set(head, ligatures) + ("" if after_hyphen else "-"), font, size) <= room:
            return head, i
    return None


# ---- a Word file -----------------------------------------------------------------------------------

DOCX_TABLE = (
    ("Schritt", "Wer entscheidet", "Stand"),
    ("Austritt aus der NATO", "Zweidrittelmehrheit im Senat", "seit 2023 Gesetz"),
    ("Finanzierung kürzen", "Kongress", "offen"),
)
DOCX_BOILERPLATE = ("Vertraulich – nur für die Redaktion", "Entwurf Seite")


def seed_docx(path: Path, seed: str | None = None) -> None:
    """The seed as a Word file: a title, headings, paragraphs, a table, and a running header and footer."""
    import docx

    document = docx.Document()
    document.core_properties.title = TITLE
    document.add_heading(TITLE, level=0)
    for b in seed_blocks(seed):
        if b.kind == "heading":
            document.add_heading(b.text, level=2)
        else:
            document.add_paragraph(b.text, style="Caption" if b.kind == "caption" else None)
    table = document.add_table(rows=len(DOCX_TABLE), cols=len(DOCX_TABLE[0]))
    for r, row in enumerate(DOCX_TABLE):
        for c, cell in enumerate(row):
            table.cell(r, c).text = cell
    section = document.sections[0]
    section.header.paragraphs[0].text = DOCX_BOILERPLATE[0]
    section.footer.paragraphs[0].text = DOCX_BOILERPLATE[1]
    document.save(str(path))
