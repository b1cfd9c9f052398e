"""Rebuild the draft a result came from, so the judge's stages can run again on a stored result.

The verdict stage is trained on evaluation reports of a pipeline without a classifier
(``evals/train_verdict.py``): each result's statements still carry the model's verdicts, the verified
evidence and, for extraction prompts, the value and the quote. Replaying them through the same stage code
the pipeline runs gives the classifier exactly the signals it will see in use.
"""

from __future__ import annotations

from typing import Any

from ..records import Sentence
from ..spans import locate_quote
from . import Draft, DraftStatement, Mode
from .citations import MIN_QUOTE_CHARS
from .odds import odds_signals


def _sentence(record: dict[str, Any]) -> Sentence:
    return Sentence(
        record["doc_id"], int(record["sentence_id"]), int(record["start"]), int(record["end"]), record["text"]
    )


def draft_from_result(result: dict[str, Any], mode: Mode = "claim") -> Draft:
    """The draft of a result (a ``CheckResult`` as JSON) after its stages, before any classifier.

    Meant for results of pipelines without a :class:`~assistant.judge.classify.Classify` stage, whose
    statement verdicts and confidences are the model's own.
    """
    shown = [_sentence(r) for r in result["retrieved"]]
    by_place = {(s.doc_id, s.sentence_id): s for s in shown}
    statements = []
    for st in result["statements"]:
        evidence = [_sentence(e) for e in st["evidence"]]
        quote = st.get("quote")
        draft = DraftStatement(
            text=st["text"],
            model_verdict=st["verdict"],
            model_confidence=st["confidence"] if quote is None and "value" not in st else None,
            value=st.get("value"),
            quote=quote,
            evidence=evidence,
            cited_sentences=[by_place.get((e.doc_id, e.sentence_id), e) for e in evidence],
            model_probabilities=st.get("model_probabilities"),
        )
        if draft.model_probabilities is not None:  # measured by the VerdictOdds stage: its signals again
            draft.measured.update(odds_signals(draft.model_probabilities))
        # The quote's span is the evidence the quote matches whole, as the Quotes stage located it.
        if quote is not None and len(quote.strip()) >= MIN_QUOTE_CHARS:
            draft.quote_span = next(
                (e for e in evidence if locate_quote(e.text, quote) == (0, len(e.text))), None
            )
        statements.append(draft)
    return Draft(mode=mode, text=result["claim"], shown=shown, statements=statements)
