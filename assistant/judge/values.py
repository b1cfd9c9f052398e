"""Values compared in code: numbers, quantities, fractions, years and months in English and German, and names.

The model copies the value a statement asserts and the source words that give the source's value; whether
the two are the same is decided here, not by the model. Everything is normalised to canonical strings:
``"zwei Drittel"``, ``"two-thirds"`` and ``"2/3"`` all become ``"0.6667"``; ``"1.000"`` (German) and
``"1,000"`` (English) become ``"1000"``; ``"40 Millionen"`` becomes ``"40000000"``; ``"März"`` and ``"March"``
become ``"month:3"``. The word lists are closed-class words of the languages (numerals, fractions, months),
not topic words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

_UNITS = {
    # English
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
    "dozen": 12,
    # German (inflected forms of "ein" included)
    "null": 0, "ein": 1, "eine": 1, "einen": 1, "einem": 1, "einer": 1, "eins": 1, "zwei": 2, "drei": 3,
    "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12,
    "dreizehn": 13, "vierzehn": 14, "fünfzehn": 15, "sechzehn": 16, "siebzehn": 17, "achtzehn": 18,
    "neunzehn": 19, "zwanzig": 20, "dreißig": 30, "vierzig": 40, "fünfzig": 50, "sechzig": 60,
    "siebzig": 70, "achtzig": 80, "neunzig": 90, "hundert": 100, "dutzend": 12,
}  # fmt: skip
#: Words that multiply the number before them ("40 Millionen", "two billion").
_SCALES = {
    "thousand": 1000, "tausend": 1000, "million": 10**6, "millions": 10**6, "millionen": 10**6,
    "mio": 10**6, "billion": 10**9, "billions": 10**9, "milliarde": 10**9, "milliarden": 10**9,
    "mrd": 10**9,
}  # fmt: skip
#: Denominators of fractions ("zwei Drittel", "two-thirds", "a quarter").
_DENOMINATORS = {
    "half": 2, "halves": 2, "hälfte": 2, "third": 3, "thirds": 3, "drittel": 3, "quarter": 4,
    "quarters": 4, "viertel": 4, "fifth": 5, "fifths": 5, "fünftel": 5, "tenth": 10, "tenths": 10,
    "zehntel": 10, "dritteln": 3, "vierteln": 4, "fünfteln": 5, "zehnteln": 10, "halben": 2,
}  # fmt: skip
MONTHS = {
    "january": 1, "januar": 1, "jänner": 1, "february": 2, "februar": 2, "march": 3, "märz": 3, "april": 4,
    "may": 5, "mai": 5, "june": 6, "juni": 6, "july": 7, "juli": 7, "august": 8, "september": 9,
    "october": 10, "oktober": 10, "november": 11, "december": 12, "dezember": 12,
}  # fmt: skip
_TOKEN = re.compile(r"\d+(?:[.,\s]\d{3})*(?:[.,]\d+)?(?:/\d+)?|[^\W\d_]+", re.UNICODE)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

Comparison = Literal["same", "different", "unknown"]


def _digits(token: str) -> Fraction | None:
    """A number written in digits: "1.000" and "1,000" are a thousand, "2,5" and "2.5" two and a half."""
    if "/" in token:
        num, _, den = token.partition("/")
        a, b = _digits(num), _digits(den)
        return a / b if a is not None and b else None
    token = token.replace(" ", "").replace("\u00a0", "")
    groups = re.split(r"[.,]", token)
    if len(groups) > 1 and all(len(g) == 3 for g in groups[1:]):
        return Fraction(int("".join(groups)))  # thousands separators
    if len(groups) == 2:
        return Fraction(f"{groups[0]}.{groups[1]}")
    if len(groups) == 1 and token.isdigit():
        return Fraction(int(token))
    return None


def _canonical(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{float(x):.4f}"


def quantities(text: str) -> set[str]:
    """Every number, quantity and fraction the text states, canonicalised (see the module docstring)."""
    tokens = [t.lower() for t in _TOKEN.findall(text.replace("-", " "))]
    out: set[str] = set()
    i = 0
    while i < len(tokens):
        t = tokens[i]
        value: Fraction | None = _digits(t) if t[0].isdigit() else None
        if value is None and t in _UNITS:
            value = Fraction(_UNITS[t])
            # "twenty five", "hundred" after a unit: a small compound
            if i + 1 < len(tokens) and tokens[i + 1] in _UNITS and _UNITS[tokens[i + 1]] < 10 <= value < 100:
                value += _UNITS[tokens[i + 1]]
                i += 1
        if value is None:
            if t in _DENOMINATORS and t not in ("half", "hälfte"):
                i += 1
                continue
            if t in ("half", "hälfte"):
                out.add(_canonical(Fraction(1, 2)))
            i += 1
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if nxt in _SCALES:
            value *= _SCALES[nxt]
            i += 1
        elif nxt in _DENOMINATORS:
            value = value / _DENOMINATORS[nxt]
            i += 1
        elif value == 1 and t in _UNITS and nxt not in MONTHS:
            i += 1  # "ein"/"one" on its own is an article or pronoun far more often than a count
            continue
        out.add(_canonical(value))
        i += 1
    return out


def months(text: str) -> set[str]:
    """Month names (English, German) as ``month:N``."""
    return {f"month:{MONTHS[w]}" for w in (w.lower() for w in _WORD.findall(text)) if w in MONTHS}


def fold(text: str) -> str:
    """Lower case without diacritics (Müller → muller), for name comparison."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def names(text: str) -> set[str]:
    """Capitalised words and acronyms of at least two letters, folded."""
    return {fold(w) for w in _WORD.findall(text) if len(w) > 1 and w[0].isupper()}


def _stem_match(a: str, words: set[str]) -> bool:
    """``a`` equals a word, or they share a prefix of at least 5 letters (German inflection: Senats/Senat)."""
    return a in words or any(len(a) >= 5 and len(w) >= 5 and (w.startswith(a[:5])) for w in words)


@dataclass(frozen=True)
class ValueComparison:
    """How the value a statement asserts compares with the source's words for the same thing."""

    numbers: Comparison
    months: Comparison
    #: Share of the value's names found in the source words (None when the value names nothing).
    name_overlap: float | None

    @property
    def outcome(self) -> Comparison:
        """Different if any kind of value differs, same if something matched and nothing differs."""
        kinds = (self.numbers, self.months)
        if "different" in kinds:
            return "different"
        if "same" in kinds or (self.name_overlap is not None and self.name_overlap >= 1.0):
            return "same"
        return "unknown"


def _sets(claimed: set[str], stated: set[str]) -> Comparison:
    if not claimed or not stated:
        return "unknown"
    if claimed <= stated:
        return "same"
    return "different" if not claimed & stated else "unknown"


def compare_values(value: str, source: str) -> ValueComparison:
    """Compare a statement's value with the source's words for it."""
    claimed_names = names(value)
    source_words = {fold(w) for w in _WORD.findall(source)}
    overlap = (
        sum(_stem_match(n, source_words) for n in claimed_names) / len(claimed_names)
        if claimed_names
        else None
    )
    return ValueComparison(
        numbers=_sets(quantities(value), quantities(source)),
        months=_sets(months(value), months(source)),
        name_overlap=overlap,
    )
