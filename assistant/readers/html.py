"""Saved web pages: the article's title, headings and paragraphs, found by trafilatura.

trafilatura (Apache-2.0, the extractor that web archives and news-research tools use) finds the main text
and drops navigation, scripts, styles, cookie notices, related links, comments and footers. Its text is
stored one block a paragraph, with the page's title first; character references are decoded by the parser.
"""

from __future__ import annotations

import logging
import re

from ..errors import InputError
from .extracted import Extracted, clean_inline, paragraphs_text

FORMAT = "html"
#: A block of article text has at least this many words and ends a sentence; menu labels, link lists and
#: a copyright line, which trafilatura's fallback returns for a page without an article, do not.
MIN_PROSE_WORDS = 5
_SENTENCE_END = re.compile(r"[.!?…][\"'“”»«)\]]*$")


def _is_prose(line: str) -> bool:
    line = line.strip()
    return len(line.split()) >= MIN_PROSE_WORDS and bool(_SENTENCE_END.search(line))


def read_html(raw: bytes, path: str) -> Extracted:
    """The article text of a saved web page; a page with no article text is refused."""
    import trafilatura
    from trafilatura.utils import load_html

    # trafilatura logs every page it finds too short at WARNING: the error below says it once.
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    if b"\x00" in raw:
        raise InputError(
            f"{path}: looks like a binary file, not a web page (NUL byte at offset {raw.index(0)})"
        )
    tree = load_html(raw)  # decodes by the page's declared charset, else by detection
    if tree is None:
        raise InputError(f"{path}: cannot be parsed as HTML")
    # trafilatura drops <figure> with its caption; a caption says who is in the photo, which a claim may
    # be about, so inside the article it is kept as a paragraph.
    for figure in list(tree.iter("figure")):
        figure.tag = "div"
    for caption in list(tree.iter("figcaption")):
        caption.tag = "p"
    found = trafilatura.bare_extraction(
        tree,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        include_formatting=False,
        with_metadata=True,
        deduplicate=False,
    )
    body = getattr(found, "text", None) or ""
    if not any(_is_prose(line) for line in body.splitlines()):
        raise InputError(
            f"{path}: no article text found in the web page (only navigation or boilerplate); "
            "save the article itself, or copy its text into a .txt file"
        )
    title = clean_inline(getattr(found, "title", None) or "") or None
    blocks = body.splitlines()
    first = next((clean_inline(b) for b in blocks if b.strip()), "")
    if title and first != title:
        blocks.insert(0, title)  # the headline is part of what a reader of the page sees
    return Extracted(text=paragraphs_text(blocks), title=title)
