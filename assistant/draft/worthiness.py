"""Which sentences of a draft are check-worthy factual claims, decided by rules, each skip with its reason.

Rules, not the model: a news sentence shows what makes it checkable on its surface (a name, a number, a date,
a quote, an attribution: "said", "schrieb", "laut"), and what makes it not a claim too (a question mark, an
opinion marker, a stock transition, a call to read on, a heading). Asking the embedded 1.5B model would cost
3-5 s a sentence on two cores, half of a whole check, for a decision these rules make in microseconds; the
gold drafts (``evals/drafts.jsonl``) measure how well they make it.

Order of the rules (the first that applies decides):

1. a question;
2. fewer than :data:`MIN_WORDS` words: too short to state a fact;
3. a Markdown heading, or a short line of its own with no full stop: a heading;
4. a transition or a call to read on ("Here is what we know", "Lesen Sie weiter");
5. reported speech (a quote or an attribution verb) is a claim: *that someone said it* is checkable, even
   when what was said is an opinion;
6. an opinion or a value judgement ("I think", "should", "meiner Meinung nach", "bemerkenswert");
7. no name, number, date or other content word to check (English only: in German every noun is capitalised,
   so capitals say nothing there);
8. otherwise: a claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .split import DraftSentence

#: A sentence of fewer words states no checkable fact ("Not so fast.", "Und jetzt?").
MIN_WORDS = 4
#: A line of its own with at most this many words and no sentence-final punctuation reads as a heading.
HEADING_MAX_WORDS = 10

REASON_SHORT = "too short to state a fact"
REASON_HEADING = "a heading"
REASON_QUESTION = "a question"
REASON_TRANSITION = "a transition or a call to read on"
REASON_OPINION = "an opinion or a value judgement"
REASON_NOTHING = "names no person, place, number or date to check"


@dataclass(frozen=True)
class Worthiness:
    """The decision on one sentence: ``reason`` says why it is skipped (None: a claim to check)."""

    claim: bool
    reason: str | None = None
    #: For a claim, what makes it checkable (``number``, ``quote``, ``name``…), for display.
    signals: tuple[str, ...] = ()


def _phrases(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.strip().split("\n") if p.strip())


#: Openings of transitions, teasers and calls to read on (lower case, matched at the sentence start).
TRANSITIONS = _phrases("""
here is what
here's what
here are
this is what we know
what we know
what we don't know
read on
read more
more on this
more below
more about
see below
below,
let's look
let us look
let's take
first, some background
but first
but there is more
but there's more
stay tuned
in summary
to sum up
in short,
in other words,
what does this mean
what this means
the details
the background
subscribe
sign up
click
follow us
this article
in this article
we will
we'll
hier ist, was
hier sind
das wissen wir
was wir wissen
was wir nicht wissen
lesen sie
weiterlesen
mehr dazu
mehr zum thema
mehr lesen
mehr erfahren
im folgenden
im überblick
ein überblick
zusammengefasst
kurz gesagt
kurz zusammengefasst
doch der reihe nach
der reihe nach
was bedeutet das
was das bedeutet
die einzelheiten
die hintergründe
abonnieren
folgen sie
in diesem artikel
dieser artikel
""")

#: Words and phrases that mark an opinion or a value judgement (lower case, matched as whole words).
OPINION_MARKERS = _phrases("""
i think
i believe
i feel
i find
i'd argue
in my view
in my opinion
we think
we believe
in our view
it seems to me
arguably
frankly
clearly
obviously
hopefully
sadly
unfortunately
fortunately
should
ought to
must
it is time
it's time
high time
let's hope
remarkable
shocking
alarming
worrying
troubling
absurd
outrageous
disgraceful
ridiculous
brilliant
terrible
scary
a big deal
a good thing
a bad thing
a mistake
ich denke
ich glaube
ich finde
ich meine
meiner meinung nach
meines erachtens
unserer meinung nach
wir meinen
wir finden
offensichtlich
hoffentlich
leider
zum glück
glücklicherweise
sollte
sollten
es ist zeit
höchste zeit
es wird zeit
bemerkenswert
erschreckend
beunruhigend
besorgniserregend
absurd
skandalös
lächerlich
großartig
furchtbar
ein fehler
""")

#: Verbs and phrases that attribute words to someone: "that X said it" is a checkable claim.
ATTRIBUTIONS = _phrases("""
said
says
say
told
added
wrote
writes
posted
tweeted
stated
declared
announced
argued
argues
claimed
claims
warned
warns
called for
calls for
according to
reported
reports
explained
insisted
urged
sagte
sagt
sagten
erklärte
erklärt
schrieb
schreibt
teilte
fügte
betonte
warnte
warnt
forderte
fordert
argumentierte
argumentiert
behauptete
kündigte
berichtete
berichtet
laut
zufolge
meinte
äußerte
""")

_QUOTES = re.compile(r"[\"“”„«»]|(?<!\w)['‘‚][^'‘’]{3,}['’](?!\w)")
_DIGITS = re.compile(r"\d")
_MONTHS = re.compile(
    r"\b(january|february|march|april|may|june|july|august|september|october|november|december|"
    r"januar|jänner|februar|märz|mai|juni|juli|oktober|dezember|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|weekend|wochenende|"
    r"yesterday|gestern|today|heute)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_GERMAN_WORDS = frozenset(
    "der die das den dem des und ist sind nicht ein eine mit auf dass sich für von zu".split()
)
_ENGLISH_WORDS = frozenset("the and is are not of to in that with for was on it he she they by".split())


def _pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = sorted((re.escape(p) for p in phrases), key=len, reverse=True)
    # German adjectives inflect ("bemerkenswert" → "bemerkenswerte Wende"): the endings may follow a marker.
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?:e|en|er|es|em)?(?!\w)", re.IGNORECASE)


_OPINION = _pattern(OPINION_MARKERS)
_ATTRIBUTION = _pattern(ATTRIBUTIONS)
_TRANSITION = re.compile(
    r"(?:" + "|".join(re.escape(p) for p in sorted(TRANSITIONS, key=len, reverse=True)) + r")(?!\w)",
    re.IGNORECASE,
)


def is_german(text: str) -> bool:
    """A cheap guess from function words and umlauts (only picks which capitalisation rule applies)."""
    words = [w.lower() for w in _WORD.findall(text)]
    german = sum(w in _GERMAN_WORDS for w in words) + 2 * bool(re.search("[äöüßÄÖÜ]", text))
    return german > sum(w in _ENGLISH_WORDS for w in words)


def _has_name(words: list[str]) -> bool:
    """A capitalised word after the first (English: a name, a place, a body, a title)."""
    return any(w[:1].isupper() and w.lower() not in ("i", "i'm", "i've") for w in words[1:])


def signals_of(text: str) -> tuple[str, ...]:
    """What makes ``text`` checkable: ``quote``, ``attribution``, ``number``, ``date``, ``name``."""
    words = _WORD.findall(text)
    found = []
    if _QUOTES.search(text):
        found.append("quote")
    if _ATTRIBUTION.search(text):
        found.append("attribution")
    if _DIGITS.search(text):
        found.append("number")
    if _MONTHS.search(text):
        found.append("date")
    if _has_name(words) and not is_german(text):
        found.append("name")
    return tuple(found)


def judge_sentence(sentence: DraftSentence) -> Worthiness:
    """Whether a draft sentence is a check-worthy claim, by the rules of this module's docstring."""
    text = sentence.text
    words = _WORD.findall(text)
    stripped = text.rstrip(" *_\"'”’»)")
    if stripped.endswith("?"):
        return Worthiness(False, REASON_QUESTION)
    if len(words) < MIN_WORDS:
        return Worthiness(False, REASON_SHORT)
    if sentence.heading or (
        sentence.own_line and len(words) <= HEADING_MAX_WORDS and not stripped.endswith((".", "!", "?", "…"))
    ):
        return Worthiness(False, REASON_HEADING)
    if _TRANSITION.match(text.lstrip(" *_\"'“„»")):
        return Worthiness(False, REASON_TRANSITION)
    signals = signals_of(text)
    if "quote" in signals or "attribution" in signals:
        return Worthiness(True, None, signals)
    if _OPINION.search(text) or stripped.endswith("!"):
        return Worthiness(False, REASON_OPINION)
    if not signals and not is_german(text):
        return Worthiness(False, REASON_NOTHING)
    return Worthiness(True, None, signals)
