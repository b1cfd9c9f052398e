"""Stage: mark a claim verdict the reader should not rely on, and say why.

With a 1.5B model many verdicts are guesses; a calibrated confidence says how often a verdict like this one is
right (on the dev data it was fitted on). Below ``threshold`` the claim is marked uncertain, with the most
specific reason the draft offers: the model and the code's value comparison disagree, a quote the model gave
is not in the source, no citation, the model itself nearly wrote another verdict (the verdict odds), asked
again against one sentence it did not say the same (the pair question, where the pipeline asks for it), or
plainly the confidence. The verdict itself is unchanged (the JSON keeps it);
``uncertain`` carries the mark, and the terminal shows it beside the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import Draft, Mode, StageEnv

#: A verdict the model itself gave less than this probability (the verdict odds) was a near coin-toss for it.
SPLIT_ODDS = 0.6


@dataclass(frozen=True)
class MarkUncertain:
    """Sets ``draft.uncertain`` when the claim confidence is below ``threshold``."""

    threshold: float
    #: Whether a statement whose pair answer (:mod:`.pairs`) gave the written verdict less than
    #: :data:`SPLIT_ODDS` is a reason (check.v20 onwards; earlier pipelines keep their reasons).
    pair_reason: bool = False
    modes: frozenset[Mode] = field(default=frozenset(("claim",)))

    def run(self, draft: Draft, env: StageEnv) -> None:
        """Mark the draft (after :class:`~assistant.judge.aggregate.Aggregate` and any calibration)."""
        if draft.confidence >= self.threshold:
            return
        draft.uncertain = self.reason(draft)

    def reason(self, draft: Draft) -> str:
        """The most specific reason the draft gives for its low confidence."""
        if not any(st.evidence for st in draft.statements):
            return "no source sentence was cited for this claim"
        for st in draft.statements:
            odds = st.model_probabilities
            if odds is not None and odds.get(st.model_verdict, 1.0) < SPLIT_ODDS:
                # The odds are the model's own reading; shown as numbers beside the verdict they read as a
                # contradiction of it, so the reason says what they mean instead.
                if max(odds, key=lambda v: odds[v]) != draft.verdict:
                    return f"the model's own reading of “{st.text}” disagrees with the evidence"
                return f"the model itself hesitated over “{st.text}”"
        for st in draft.statements if self.pair_reason else []:
            agrees = st.measured.get("pair_agrees")
            if agrees is not None and agrees < SPLIT_ODDS:
                return (
                    f"asked again about “{st.text}” against the closest source sentence, the model did not "
                    "give the same answer"
                )
        return "on test claims, verdicts this confident were often wrong"
