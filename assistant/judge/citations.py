"""Stage: verify what each statement cites.

A citation is shown only if its text equals the source document's text at its offsets
(:func:`assistant.judge.spans.verify_citation`); anything else is dropped and counted, never shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..records import Sentence
from . import MODES, Draft, Mode, StageEnv
from .spans import verify_citation


def verified(env: StageEnv, sentence: Sentence, quote: str = "") -> Sentence | None:
    """The span of ``quote`` in ``sentence`` (the whole sentence for ``""``), checked against the source."""
    text = env.document_text(sentence.doc_id)
    return None if text is None else verify_citation(text, sentence, quote)


@dataclass(frozen=True)
class Citations:
    """Turns the sentence numbers of each statement into verified evidence spans."""

    modes: frozenset[Mode] = field(default=MODES)

    def run(self, draft: Draft, env: StageEnv) -> None:
        """Verify every cited number of every statement."""
        for st in draft.statements:
            for number in st.cited:
                span = self._span(draft, env, number)
                if span is None:
                    draft.dropped_citations += 1
                elif span not in st.evidence:
                    st.evidence.append(span)
                    st.cited_sentences.append(draft.shown[number - 1])

    @staticmethod
    def _span(draft: Draft, env: StageEnv, number: int) -> Sentence | None:
        if not 1 <= number <= len(draft.shown):
            return None  # the model cited a sentence it was not shown
        return verified(env, draft.shown[number - 1])
