"""The verdict policy: rules applied in code after the model, because a 1.5B model's judgement is weak.

Each rule is general (no dataset-specific words or items) and leaves a note on the statement saying why its
verdict changed, so a reader sees the reasoning:
1. evidence required: "supported" or "refuted" without a verified span becomes not_enough_info;
2. hedged evidence: "supported" whose every evidence sentence only reports the fact as possible
   ("könnte", "could", "womöglich", …) while the statement asserts it, becomes not_enough_info;
3. year mismatch: "supported" for a statement naming a year that none of its evidence sentences contains,
   while they do name another year, becomes refuted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .schemas import Verdict

#: Modal hedges in the languages of our sources and claims. Conditionals ("würde", "would") and reported
#: speech ("sei") are not hedges: they report what someone says or what would follow.
HEDGES = frozenset(
    """
    könnte könnten womöglich vermutlich möglicherweise eventuell wahrscheinlich vielleicht angeblich
    could might may possibly probably perhaps maybe likely allegedly reportedly
    pourrait pourraient peut-être probablement podría podrían quizás posiblemente
    """.split()
)
_WORD = re.compile(r"\w+", re.UNICODE)
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")


@dataclass(frozen=True)
class PolicyOutcome:
    """The verdict after the policy, and why it changed (None when the model's verdict stands)."""

    verdict: Verdict
    note: str | None = None


def is_hedged(text: str) -> bool:
    """True when the text contains a modal hedge word."""
    return any(w in HEDGES for w in _WORD.findall(text.lower()))


def years(text: str) -> set[str]:
    """Four-digit years (1800–2099) mentioned in the text."""
    return set(_YEAR.findall(text))


def apply_policy(statement: str, verdict: Verdict, evidence_sentences: list[str]) -> PolicyOutcome:
    """Apply the rules above to one statement and the full sentences of its verified evidence."""
    if verdict in ("supported", "refuted") and not evidence_sentences:
        return PolicyOutcome("not_enough_info", "no verified evidence for this verdict")
    if verdict != "supported":
        return PolicyOutcome(verdict)
    if all(is_hedged(s) for s in evidence_sentences) and not is_hedged(statement):
        return PolicyOutcome("not_enough_info", "the source only reports this as possible")
    claimed, cited = years(statement), set().union(*(years(s) for s in evidence_sentences))
    if claimed and cited and not claimed & cited:
        return PolicyOutcome(
            "refuted", f"the source names {', '.join(sorted(cited))}, not {', '.join(sorted(claimed))}"
        )
    return PolicyOutcome(verdict)
