"""Stages: verify what each statement cites, by sentence number and by quoted words.

A citation is shown only if its text equals the source document's text at its offsets
(:func:`assistant.spans.verify_citation`); anything else is dropped and counted, never shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..records import Sentence
from ..spans import verify_citation
from . import MODES, Draft, DraftStatement, Mode, StageEnv

#: A quote shorter than this (after stripping) says nothing checkable: it counts as no quote.
MIN_QUOTE_CHARS = 2


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


@dataclass(frozen=True)
class Quotes:
    """Finds each statement's quote verbatim in the sentences shown; the quote becomes its evidence.

    The cited sentence is searched first, then the others in prompt order. A quote found becomes a
    sub-sentence evidence span (the words a reader must see) in place of its whole sentence; a quote
    not found verbatim is dropped and counted (``dropped_citations``), and the sentence citation, if it
    verified, stays as the evidence.
    """

    modes: frozenset[Mode] = field(default=MODES)

    def run(self, draft: Draft, env: StageEnv) -> None:
        """Locate and verify every statement's quote."""
        for st in draft.statements:
            quote = (st.quote or "").strip()
            if len(quote) < MIN_QUOTE_CHARS:
                st.quote = None
                continue
            found = self._locate(draft, env, st, quote)
            if found is None:
                draft.dropped_citations += 1
                continue
            sentence, span = found
            st.quote_span = span
            kept = [(e, s) for e, s in zip(st.evidence, st.cited_sentences, strict=True) if s != sentence]
            st.evidence = [span, *(e for e, _ in kept)]
            st.cited_sentences = [sentence, *(s for _, s in kept)]

    @staticmethod
    def _locate(
        draft: Draft, env: StageEnv, st: DraftStatement, quote: str
    ) -> tuple[Sentence, Sentence] | None:
        order = [n - 1 for n in st.cited if 1 <= n <= len(draft.shown)]
        order += [i for i in range(len(draft.shown)) if i not in order]
        for i in order:
            span = verified(env, draft.shown[i], quote)
            if span is not None:
                return draft.shown[i], span
        return None
