"""Split a document into sentences with exact ``[start, end)`` code-point offsets.

Rules, in order:
1. Lines are blocks: a line break never sits inside a sentence we emit, so a heading or a
   caption on its own line stays its own sentence.
2. Inside a line, a sentence ends at ``.``, ``!``, ``?`` or ``…`` (optionally followed by closing
   quotes or brackets) when whitespace and a character that is not lower-case follow —
   unless the word before the period is a known abbreviation or a lone initial.
3. A period glued to an upper-case word (``Militärbündnisses.APA/AFP/…``) ends a sentence when
   the word before it is a lower-case word of three or more letters: this is how news sites glue
   photo credits to captions. ``U.S.A`` or ``z.B.`` do not match.

4. No sentence is longer than ``MAX_SENTENCE_CHARS``: a longer run (a table row, a text without
   punctuation) is cut at the last clause mark (``,;:–—``) or space before the limit, and only where
   there is none, at the limit itself (never between a letter and its combining accent).

Letters with combining accents (NFD text, as macOS writes it) count as letters, so NFD and NFC text split
alike. Every sentence is stripped of surrounding whitespace and ``text[start:end] == sentence.text`` holds.
"""

from __future__ import annotations

import re
import unicodedata

from .records import Sentence

#: Bump on any change to how text is split. An index records the version each document was split with, so
#: a document's sentences can be re-derived from its text (instead of read back from the index) only when
#: the version matches.
SPLITTER_VERSION = 2
#: The longest sentence emitted. News sentences stay far below (the seed's longest has 215 characters); the
#: cap bounds what one embedding and one prompt line can cost, whatever a file holds.
MAX_SENTENCE_CHARS = 600
#: How far back from a period the word before it is looked for: no word in a sentence end is longer.
_WORD_WINDOW = 64
_CLAUSE_MARKS = ",;:–—"

_ABBREVIATIONS = frozenset(
    """
    dr prof mr mrs ms st jr sr vs etc inc ltd co corp no nr vol ca bzw usw ggf evtl vgl sog z b u a o
    d h s ff abs art jh jhd mio mrd bzw. str tel gen sen rep gov lt col capt sgt fig e g i approx dept
    univ jan feb mar apr jun jul aug sep sept oct okt nov dec dez
    """.split()
)

_MONTHS = frozenset(
    "januar jänner februar märz april mai juni juli august september oktober november dezember".split()
)
_CLOSERS = "\"'”’»)]"
#: ``{`` and ``<`` too, so a reply imitation or a role tag glued after a sentence ("… Utah. {"verdict": …")
#: is split off as its own sentence and the genuine one stays intact.
_OPENERS = "\"'“„‚«([{<"
# End of sentence: terminator(s), optional closers, then whitespace, then the start of a sentence.
_BOUNDARY = re.compile(rf"([.!?…]+[{re.escape(_CLOSERS)}]*)(\s+)(?=[\w{re.escape(_OPENERS)}])")
# Caption credit glued to a sentence: "Bündnisses.APA/AFP" -> split after the period.
_LOWER = "a-zäöüß\u0300-\u036f"  # with combining accents, so NFD "ü" (u + U+0308) counts
_UPPER = "A-ZÄÖÜ"
_GLUED = re.compile(rf"(?<=[{_LOWER}]{{3}})\.(?=[{_UPPER}]{{2,}}[A-Z/ÄÖÜ]|[{_UPPER}][{_LOWER}]+[A-Z/])")


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or unicodedata.combining(ch) > 0


def _word_before(text: str, pos: int) -> str:
    """The word ending at ``pos`` (NFC), looking back at most ``_WORD_WINDOW`` characters."""
    start = pos
    while start > max(0, pos - _WORD_WINDOW) and _is_word_char(text[start - 1]):
        start -= 1
    return unicodedata.normalize("NFC", text[start:pos])


def _is_abbreviation(line: str, term_pos: int) -> bool:
    """True when the period at ``term_pos`` belongs to an abbreviation or an initial, not a sentence end."""
    if line[term_pos] != ".":
        return False
    word = _word_before(line, term_pos)
    if not word:
        return False
    if word.lower() in _ABBREVIATIONS:
        return True
    if len(word) == 1 and word.isalpha():
        # An initial ("J. Smith", "Donald J. Trump") follows a capitalised word or starts the line;
        # "schrieb Lee auf X. Es sei" ends a sentence.
        before = line[max(0, term_pos - 1 - _WORD_WINDOW) : term_pos - 1].rstrip()
        prev_word = _word_before(before, len(before))
        return not prev_word or prev_word[0].isupper() or before.endswith(".")
    # "1. Januar" (a German date) continues; "Satz 3. Neuer Satz" or a year ends a sentence.
    if word.isdigit() and len(word) <= 2:
        next_word = re.match(r"\s*(\w+)", line[term_pos + 1 : term_pos + 1 + _WORD_WINDOW])
        return next_word is not None and next_word.group(1).lower() in _MONTHS
    return False


def _split_line(line: str) -> list[tuple[int, int]]:
    """Spans of sentences inside one line (offsets relative to the line)."""
    cuts: list[int] = []
    for m in _BOUNDARY.finditer(line):
        term_end = m.end(1)
        if unicodedata.normalize("NFC", line[m.end() : m.end() + 2])[:1].islower() or _is_abbreviation(
            line, m.start(1)
        ):
            continue
        cuts.append(term_end)
    for m in _GLUED.finditer(line):
        cuts.append(m.end())
    cuts = sorted(set(cuts))
    spans: list[tuple[int, int]] = []
    prev = 0
    for cut in [*cuts, len(line)]:
        spans.append((prev, cut))
        prev = cut
    return spans


def _capped(line: str, s: int, e: int, limit: int) -> list[tuple[int, int]]:
    """``[s, e)`` cut into pieces of at most ``limit`` characters (after stripping), see rule 4."""
    pieces: list[tuple[int, int]] = []
    while e - s > limit:
        while s < e and line[s].isspace():
            s += 1
        if e - s <= limit:
            break
        window_end = s + limit
        cut = -1
        half = s + limit // 2
        for mark in _CLAUSE_MARKS:
            pos = line.rfind(mark, half, window_end)
            if pos >= 0:
                cut = max(cut, pos + 1)
        if cut < 0:
            pos = max(line.rfind(" ", s + 1, window_end + 1), line.rfind("\t", s + 1, window_end + 1))
            cut = pos if pos > s else -1
        if cut < 0:
            cut = window_end
            while cut > s + 1 and unicodedata.combining(line[cut]):
                cut -= 1  # never separate a letter from its accent
        pieces.append((s, cut))
        s = cut
    pieces.append((s, e))
    return pieces


def split_sentences(text: str, *, doc_id: str = "", max_chars: int = MAX_SENTENCE_CHARS) -> list[Sentence]:
    """Split ``text`` into sentences whose offsets index ``text`` exactly (at most ``max_chars`` each)."""
    sentences: list[Sentence] = []
    for line_match in re.finditer(r"[^\r\n]+", text):
        base = line_match.start()
        line = line_match.group(0)
        for span_s, span_e in _split_line(line):
            for s, e in _capped(line, span_s, span_e, max_chars):
                chunk = line[s:e]
                stripped = chunk.strip()
                if not stripped or not any(ch.isalnum() for ch in stripped):
                    continue
                lead = len(chunk) - len(chunk.lstrip())
                start = base + s + lead
                end = start + len(stripped)
                sentences.append(Sentence(doc_id, len(sentences), start, end, text[start:end]))
    return sentences
