"""What a chat line means, and the conversation it belongs to, without any terminal.

A line is a slash command, ``why?``, ``show the source for N``, or text to ask: a question (cited answer) or a
claim (checked). A short question that refers back ("and when?", "what did he say?") is a follow-up: it is
sent with the last turns. :mod:`assistant.chat` does the input and output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from .draft.result import DraftClaim, DraftResult
from .errors import InputError
from .schemas import CheckResult, Evidence, Retrieved, Statement

Kind = Literal["claim", "question"]

#: Earlier turns sent with a follow-up question: enough to resolve "he"/"it", short enough for a 4k context.
HISTORY_TURNS = 3
#: A question this short that contains a pronoun is taken to refer to the previous turn.
FOLLOWUP_MAX_WORDS = 8

INTERROGATIVES = frozenset(
    "who what when where why how which whose is are was were do does did can could should will would "
    "wer was wann wo warum wieso weshalb wie welche welcher welches wem wen ist sind war waren kann können "
    "hat haben gibt".split()
)
FOLLOWUP_STARTS = ("and ", "und ", "what about", "und was", "but ", "aber ")
PRONOUNS = frozenset(
    "he she it they him her them his its their er sie es ihn ihm ihr ihre sein seine".split()
)
_GERMAN = frozenset(
    "der die das den dem des und ist sind nicht wer wie wann wo warum wieso weshalb welche welcher welches "
    "wem wen ein eine einen mit von für auf im er sie es hat haben gibt kann können waren zu über "
    "nach".split()
)
_ENGLISH = frozenset(
    "the a an and is are not who what when where why how which whose of to in on with for he she it they "
    "has have can could does did do was were".split()
)
#: Bare words that mean a slash command (typed without the slash), by the command they mean.
BARE_COMMANDS = {
    "help": "help", "hilfe": "help", "quit": "quit", "exit": "quit", "bye": "quit", "q": "quit",
    "docs": "docs", "sources": "sources",
}  # fmt: skip
#: Words of small talk and of commands the chat does not have: a line of nothing else is neither a claim nor a
#: question ("thanks", "ok", "clear").
SMALL_TALK = frozenset(
    "hi hello hey hallo servus moin thanks thank you danke schön ok okay yes no ja nein sure please bitte "
    "test testing clear cls reset cancel stop abbrechen tschüss ciao".split()
)
WHY_RE = re.compile(r"^\s*(?:why|warum)\s*(\d+)?\s*\??\s*$", re.IGNORECASE)
SOURCE_RE = re.compile(
    r"^\s*(?:(?:show|zeige?)\s+(?:me\s+|mir\s+)?)?(?:the\s+|die\s+)?(?:source|quelle)\s*"
    r"(?:for|für|zu|nr\.?|number|#)?\s*(\d+)\s*[.?!]?\s*$",
    re.IGNORECASE,
)


# ---- reading a line ------------------------------------------------------------------------------


def words_of(text: str) -> list[str]:
    """Lower-case words of ``text``."""
    return re.findall(r"\w+", text.lower())


def is_question(text: str) -> bool:
    """Ends with "?" or starts (after a leading "and"/"und") with an English or German interrogative."""
    words = words_of(text)
    if words[:1] in (["and"], ["und"]):
        words = words[1:]
    return text.rstrip().endswith("?") or bool(words and words[0] in INTERROGATIVES)


def classify(text: str) -> Kind:
    """A question or a claim to check."""
    return "question" if is_question(text) else "claim"


def is_german(text: str) -> bool:
    """A cheap guess from umlauts and function words."""
    words = words_of(text)
    german = sum(w in _GERMAN for w in words) + 2 * bool(re.search("[äöüßÄÖÜ]", text))
    return german > sum(w in _ENGLISH for w in words)


def looks_like_followup(text: str) -> bool:
    """Starts like a follow-up ("and …", "what about …") or is short and refers back with a pronoun."""
    lowered = text.strip().lower()
    words = words_of(lowered)
    return lowered.startswith(FOLLOWUP_STARTS) or (
        len(words) <= FOLLOWUP_MAX_WORDS and any(w in PRONOUNS for w in words)
    )


@dataclass(frozen=True)
class Command:
    """``/name arg``: a slash command, its name as typed."""

    name: str
    arg: str


@dataclass(frozen=True)
class Why:
    """``why?``: the previous turn's statements with their evidence in context (``why 3?``: claim 3 of a
    checked draft)."""

    number: int | None = None


@dataclass(frozen=True)
class ShowSource:
    """``show the source for N``: citation N of the previous answer, statement N of a checked claim."""

    number: int


@dataclass(frozen=True)
class Hint:
    """A line that is no claim, question or command: it gets a short hint and is never checked."""

    text: str


@dataclass(frozen=True)
class Ask:
    """Text to answer (a question) or to check (a claim)."""

    text: str
    kind: Kind


Intent = Command | Why | ShowSource | Hint | Ask


def read_line(line: str) -> Intent | None:
    """What an input line asks for; None for a blank line."""
    text = line.strip()
    if not text:
        return None
    if text.startswith("/"):
        name, _, arg = text[1:].partition(" ")
        return Command(name, arg.strip())
    if match := WHY_RE.match(text):
        return Why(int(match[1]) if match[1] else None)
    if match := SOURCE_RE.match(text):
        return ShowSource(int(match[1]))
    words = words_of(text)
    if len(words) == 1 and words[0] in BARE_COMMANDS and not text.endswith("?"):
        return Command(BARE_COMMANDS[words[0]], "")
    kind = classify(text)
    # A claim is a sentence: one word, or nothing but small talk, is not one (and is never sent to the model).
    if kind == "claim" and (len(words) < 2 or all(w in SMALL_TALK for w in words)):
        return Hint(text)
    return Ask(text, kind)


# ---- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    """One exchange: what the user typed, how it was read, and what came back."""

    input: str
    kind: Kind
    result: CheckResult


def citations(result: CheckResult) -> list[Evidence]:
    """Every distinct evidence span of a result, numbered by first appearance (from 1)."""
    found: list[Evidence] = []
    for st in result.statements:
        found.extend(ev for ev in st.evidence if ev not in found)
    return found


def sentence_for(ev: Evidence, retrieved: list[Retrieved]) -> Retrieved | None:
    """The retrieved sentence an evidence span lies in."""
    return next((r for r in retrieved if (r.doc_id, r.sentence_id) == (ev.doc_id, ev.sentence_id)), None)


def sources_answer(result: CheckResult) -> bool:
    """False when the model found nothing: not enough info and no statement has evidence."""
    return result.verdict != "not_enough_info" or any(st.evidence for st in result.statements)


def distinct_statements(result: CheckResult) -> list[Statement]:
    """The statements without repeats (the model sometimes writes one statement two or three times, citing
    another sentence each time): a repeat with the same verdict adds its evidence to the first."""
    kept: dict[tuple[str, str], Statement] = {}
    for st in result.statements:
        key = (" ".join(st.text.lower().split()), st.verdict)
        if key not in kept:
            kept[key] = st
        else:
            first = kept[key]
            extra = [ev for ev in st.evidence if ev not in first.evidence]
            kept[key] = first.model_copy(update={"evidence": [*first.evidence, *extra]})
    return list(kept.values())


# ---- the conversation ----------------------------------------------------------------------------


@dataclass
class Conversation:
    """The turns so far: what a follow-up, ``why?`` and ``show the source for N`` refer to."""

    turns: list[Turn] = field(default_factory=list)
    #: The draft of the last ``/draft`` (until the next turn): ``why N?`` and "source N" name its claims.
    draft: DraftResult | None = None

    def add(self, turn: Turn) -> None:
        """Record a finished turn."""
        self.turns.append(turn)
        self.draft = None

    def add_draft(self, result: DraftResult) -> None:
        """Record a checked draft: its claims are what ``why N?`` and ``show the source for N`` refer to."""
        self.draft = result

    def draft_claim(self, number: int | None) -> DraftClaim:
        """Claim ``number`` of the checked draft; an InputError when there is no such claim."""
        if self.draft is None:
            raise InputError("why N? names claim N of a draft: check one with /draft FILE first")
        n = len(self.draft.claims)
        if number is None or not 1 <= number <= n:
            raise InputError(f"name a claim of the draft: why 1? … why {n}? (it has {n})" if n else
                             "the draft has no checked claim")  # fmt: skip
        return self.draft.claims[number - 1]

    def last_turn(self) -> Turn:
        """The previous turn; an InputError when there is none."""
        if not self.turns:
            raise InputError("nothing asked yet: type a question or a claim first")
        return self.turns[-1]

    def context_for(self, question: str) -> tuple[list[dict[str, str]] | None, str | None]:
        """History and search text for a follow-up question; (None, None) for a fresh one."""
        if not self.turns or not looks_like_followup(question):
            return None, None
        history = [
            {"question": t.input, "answer": " ".join(s.text for s in t.result.statements)}
            for t in self.turns[-HISTORY_TURNS:]
        ]
        return history, f"{self.turns[-1].input} {question}"

    def why(self) -> tuple[Turn, list[Statement]]:
        """The previous turn and its statements without repeats."""
        turn = self.last_turn()
        return turn, distinct_statements(turn.result)

    def source(self, number: int) -> Statement | Evidence:
        """Statement ``number`` of the last checked claim, or citation ``number`` of the last answer."""
        turn = self.last_turn()
        result = turn.result
        if turn.kind == "claim":
            if not 1 <= number <= len(result.statements):
                raise InputError(f"no statement {number}: the last check has {len(result.statements)}")
            return result.statements[number - 1]
        cites = citations(result)
        if not 1 <= number <= len(cites):
            raise InputError(f"no source [{number}]: the last answer cites {len(cites)}")
        return cites[number - 1]
