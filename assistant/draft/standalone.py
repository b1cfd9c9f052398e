"""Make a claim stand alone: a sentence that opens with "He"/"Er"/"His"/"Seine" gets the name it refers to.

A draft's sentence leans on the ones before it ("He added that…"); checked alone, "he" finds nothing in the
sources. The rule: a subject or possessive pronoun at the start of the sentence is replaced by the most recent
full name (two or three capitalised words, "Mike Lee", "Elon Musk") in the preceding sentences, or by a
surname that such a name ended with earlier ("Musk"). Only the text sent to the check changes: the claim keeps
its exact span in the draft. Where no name is found, the sentence is checked as written.

By rule, not by the model: a 1.5B model asked to rewrite a sentence would add 3-5 s a claim and may change
what the sentence asserts; a name put in place of a pronoun cannot.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: Preceding sentences searched for the name a pronoun refers to: a pronoun rarely reaches further back.
LOOKBACK = 4

#: Pronoun at the sentence start → how the name replaces it ("{name}" or the possessive "{name}'s").
_SUBJECT = {"he": "{name}", "she": "{name}", "er": "{name}", "sie": "{name}"}
_POSSESSIVE_EN = {"his", "her"}
_POSSESSIVE_DE = {"sein", "seine", "seinen", "seinem", "seiner", "seines", "ihr", "ihre", "ihren", "ihrem",
                  "ihrer", "ihres"}  # fmt: skip
_OPENING = re.compile(r"(?P<pronoun>[^\W\d_]+)(?=[\s,])")
_CAPITAL_RUN = re.compile(r"[A-ZÄÖÜ][\w’'-]*(?:\s+[A-ZÄÖÜ][\w’'-]*)*")
#: Capitalised words that start a sentence or name a title, never a person's name itself.
_NOT_NAME = frozenset(
    """
    the a an this that these those in on at for and but as after before when while with from by of to it
    der die das den dem des ein eine einer eines einem im in am an auf mit nach vor bei seit und aber als
    wenn während zu zum zur von vom für über unter es er sie
    senator senatorin präsident president us-präsident us-senator professor minister prime mr mrs ms dr
    prof chef chief ceo general nato-general us-verteidigungsminister verteidigungsminister
    republican democrat republikaner demokrat tesla-milliardär milliardär billionaire
    """.split()
)
#: Words that make a run of capitals an institution or a place, not a person.
_INSTITUTION = frozenset(
    """
    office house haus nations nationen states staaten union university universität institution times
    congress kongress senate senat court gericht administration administration ministry ministerium
    kingdom republic republik council rat party partei news post street
    """.split()
)


def names_in(sentence: str) -> list[str]:
    """Full names (two or three capitalised words, titles dropped) in order of appearance."""
    found = []
    for m in _CAPITAL_RUN.finditer(sentence):
        words = [w for w in m.group(0).split() if w.lower() not in _NOT_NAME]
        if not 2 <= len(words) <= 3 or any(w.lower().strip("’'") in _INSTITUTION for w in words):
            continue
        if any(w.isupper() and len(w) > 1 for w in words):  # "USA NATO": acronyms, not a person
            continue
        found.append(" ".join(words))
    return found


def referent(preceding: Sequence[str]) -> str | None:
    """The name a pronoun at the start of the next sentence most likely refers to, or None.

    The subject (the first name) of the nearest preceding sentence that names someone; a surname alone
    counts when a full name ending in it came earlier in the draft.
    """
    full = [n for s in preceding for n in names_in(s)]
    surnames = {n.split()[-1]: n for n in full}
    for sentence in reversed(preceding[-LOOKBACK:]):
        candidates: list[tuple[int, str]] = [(m.start(), n) for n in names_in(sentence)
                                             for m in [re.search(re.escape(n), sentence)] if m]  # fmt: skip
        for surname, name in surnames.items():
            for m in re.finditer(rf"(?<![\w-]){re.escape(surname)}(?![\w-])", sentence):
                if not any(a <= m.start() < a + len(n) for a, n in candidates):
                    candidates.append((m.start(), name))
        if candidates:
            return min(candidates)[1]
    return None


def standalone(text: str, preceding: Sequence[str]) -> str:
    """``text`` with a pronoun at its start replaced by the name it refers to (unchanged when none found)."""
    m = _OPENING.match(text)
    if m is None:
        return text
    pronoun = m.group("pronoun").lower()
    if pronoun not in _SUBJECT and pronoun not in _POSSESSIVE_EN and pronoun not in _POSSESSIVE_DE:
        return text
    name = referent(preceding)
    if name is None:
        return text
    rest = text[m.end() :]
    if pronoun in _SUBJECT:
        return name + rest
    if pronoun in _POSSESSIVE_EN:
        return f"{name}’s{rest}" if not name.endswith("s") else f"{name}’{rest}"
    # German possessive: "Seine Unterstützung" → "Elon Musks Unterstützung" (genitive s; "Lees" as well).
    return name + ("’" if name.endswith(("s", "z", "x", "ß")) else "s") + rest
