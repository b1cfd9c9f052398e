"""What a draft check returns: the JSON ``factcheck draft --json`` prints and ``POST /api/draft`` returns.

Offsets (``start``, ``end``) index the draft text as read, a BOM dropped: ``draft[start:end] == text``
for every claim and every skipped sentence. A claim's ``statements`` are check's (:class:`~assistant.schemas.
Statement`), evidence spans verified against the source. Add fields, never rename them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ..schemas import CheckResult, Correction, Statement, Verdict


class DraftInfo(BaseModel):
    """The draft: its file (None for text given directly or read from stdin), its length and sentences."""

    path: str | None
    chars: int
    sentences: int


class DraftClaim(BaseModel):
    """A check-worthy sentence of the draft, as checked."""

    start: int
    end: int
    #: The sentence as the draft has it: ``draft[start:end]``.
    text: str
    #: What was checked: the sentence made to stand alone (a pronoun at its start replaced by a name).
    standalone: str
    verdict: Verdict
    confidence: float
    #: Why the verdict should not be relied on (None: nothing to say); the verdict itself is unchanged.
    uncertain: str | None
    statements: list[Statement]
    #: What the sources say instead of a slot of the claim ("the source says 2023, not 2021"), with its span.
    corrections: list[Correction] = Field(default_factory=list)
    #: The whole check result (retrieved sentences, timings): for the terminal, the page and the chat.
    result: CheckResult | None = Field(default=None, exclude=True, repr=False)


class SkippedSentence(BaseModel):
    """A sentence not checked, and why: not check-worthy, beyond ``--limit``, check failed, interrupted."""

    start: int
    end: int
    text: str
    reason: str


class DraftSummary(BaseModel):
    """Counts: ``claims`` found check-worthy; ``checked`` of them decided; verdicts of those checked."""

    claims: int
    checked: int
    skipped: int
    supported: int
    refuted: int
    not_enough_info: int
    uncertain: int
    #: Claims whose check failed (listed in ``skipped`` with the error).
    failed: int
    #: The run was interrupted (Ctrl-C): the claims not yet checked are listed in ``skipped``.
    interrupted: bool
    #: ``--limit`` as given (None: no limit).
    limit: int | None = None


class DraftResult(BaseModel):
    """The result of checking a draft (the README documents this JSON)."""

    draft: DraftInfo
    claims: list[DraftClaim]
    skipped: list[SkippedSentence]
    summary: DraftSummary
    timings_ms: dict[str, float]
    #: The draft text the offsets refer to (not in the JSON: the caller has it).
    text: str = Field(default="", exclude=True, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The JSON object ``factcheck draft --json`` prints."""
        return self.model_dump(mode="json")
