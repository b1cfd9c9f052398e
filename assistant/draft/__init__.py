"""Check a whole draft against the indexed sources: every check-worthy sentence found, decided, shown.

Stages, one module each: :mod:`.split` (read the draft, sentences with exact offsets), :mod:`.worthiness`
(which sentences are claims, a reason for each that is not), :mod:`.standalone` (a pronoun at a claim's start
replaced by the name it refers to), :mod:`.run` (check each claim with the default pipeline), :mod:`.render`
and :mod:`.html` (the draft shown with its claims marked). :func:`check_draft` is the library entry point the
CLI, the chat and the web app call.
"""

from __future__ import annotations

from .result import DraftClaim, DraftInfo, DraftResult, DraftSummary, SkippedSentence
from .run import ClaimProgress, DraftPlan, check_draft, check_plan, plan_draft
from .split import DraftText, read_draft

__all__ = [
    "ClaimProgress",
    "DraftClaim",
    "DraftInfo",
    "DraftPlan",
    "DraftResult",
    "DraftSummary",
    "DraftText",
    "SkippedSentence",
    "check_draft",
    "check_plan",
    "plan_draft",
    "read_draft",
]
