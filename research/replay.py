"""Rebuild the draft a result came from, so the judge's stages can run again on a stored result.

The verdict stage is trained on evaluation reports of a pipeline without a classifier
(``research/train_verdict.py``): each result's statements still carry the model's verdicts, the verified
evidence. Replaying them through the same stage code
the pipeline runs gives the classifier exactly the signals it will see in use.
"""

from __future__ import annotations

from typing import Any

from assistant.judge import Draft, DraftStatement, Mode
from assistant.judge.odds import odds_signals
from assistant.judge.signals import NAMES as BASE_SIGNALS
from assistant.records import Sentence
from assistant.schemas import VERDICTS, Verdict


def _sentence(record: dict[str, Any]) -> Sentence:
    return Sentence(
        record["doc_id"], int(record["sentence_id"]), int(record["start"]), int(record["end"]), record["text"]
    )


def draft_from_result(result: dict[str, Any], mode: Mode = "claim") -> Draft:
    """The draft of a result (a ``CheckResult`` as JSON) after its stages, before any classifier.

    Meant for results of pipelines without a :class:`~assistant.judge.classify.Classify` stage, whose
    statement verdicts and confidences are the model's own.
    """
    return _draft(result, mode, judged=False)


def draft_before_verdict(result: dict[str, Any], mode: Mode = "claim") -> Draft:
    """The draft of a result of a pipeline with a verdict stage, as that stage found it.

    The statements are those the scope stage kept; each one's model verdict and confidence are read back from
    the signals the verdict stage recorded (``model_supported`` … ``model_confidence``), and every signal that
    is not one of :data:`assistant.judge.signals.NAMES` (the odds, the state components) is restored as
    measured, so the verdict stage and the stages after it can run again without the model.
    """
    return _draft(result, mode, judged=True)


#: The signals that record the model's own verdict, one-hot, in the order of VERDICTS.
_OWN_VERDICT = ("model_supported", "model_refuted", "model_nei")


def _model_verdict(signals: dict[str, float]) -> Verdict:
    for verdict, name in zip(VERDICTS, _OWN_VERDICT, strict=True):
        if signals.get(name) == 1.0:
            return verdict
    raise ValueError("the result's signals do not record the model's own verdict")


def _draft(result: dict[str, Any], mode: Mode, *, judged: bool) -> Draft:
    shown = [_sentence(r) for r in result["retrieved"]]
    by_place = {(s.doc_id, s.sentence_id): s for s in shown}
    statements = []
    for st in result["statements"]:
        evidence = [_sentence(e) for e in st["evidence"]]
        signals = st.get("signals") or {}
        if judged and not signals:
            raise ValueError(
                "the result has no recorded signals: it is not of a pipeline with a verdict stage"
            )
        draft = DraftStatement(
            text=st["text"],
            model_verdict=_model_verdict(signals) if judged else st["verdict"],
            model_confidence=signals["model_confidence"] if judged else st["confidence"],
            evidence=evidence,
            cited_sentences=[by_place.get((e.doc_id, e.sentence_id), e) for e in evidence],
            model_probabilities=st.get("model_probabilities"),
        )
        if judged:
            draft.measured.update({k: float(v) for k, v in signals.items() if k not in BASE_SIGNALS})
        elif draft.model_probabilities is not None:  # measured by the VerdictOdds stage: its signals again
            draft.measured.update(odds_signals(draft.model_probabilities))
        statements.append(draft)
    return Draft(mode=mode, text=result["claim"], shown=shown, statements=statements)
