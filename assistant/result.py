"""A check's result: the judged draft as the JSON contract of the README (evidence, retrieved sentences)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .judge import Draft, DraftCorrection, StageEnv
from .records import Sentence
from .schemas import (
    MAX_LISTED_COPIES,
    CheckResult,
    Correction,
    Evidence,
    Retrieved,
    SentenceLocation,
    Statement,
)

if TYPE_CHECKING:
    from .check import Asked


def evidence_of(span: Sentence, env: StageEnv) -> Evidence:
    """A verified span as a result's evidence record."""
    return Evidence(
        doc_id=span.doc_id,
        doc_path=env.document_path(span.doc_id),
        sentence_id=span.sentence_id,
        start=span.start,
        end=span.end,
        text=span.text,
        page=env.document_page(span.doc_id, span.start) if env.document_page is not None else None,
    )


def correction_of(c: DraftCorrection, env: StageEnv) -> Correction:
    """A correction of the fidelity stage as a result's record."""
    return Correction(
        text=c.text,
        slot=c.slot,
        claim_value=c.claim_value,
        source_value=c.statement_value,
        confirmed=c.confirmed,
        reason=c.reason,
        evidence=[evidence_of(e, env) for e in c.evidence],
    )


def retrieved_of(s: Sentence) -> Retrieved:
    """A retrieved sentence as a result's record (a repeated text lists its first other locations)."""
    return Retrieved(
        doc_id=s.doc_id,
        sentence_id=s.sentence_id,
        start=s.start,
        end=s.end,
        text=s.text,
        score=s.score,
        copies=len(s.also),
        also=[
            SentenceLocation(doc_id=a.doc_id, sentence_id=a.sentence_id, start=a.start, end=a.end)
            for a in s.also[:MAX_LISTED_COPIES]
        ],
    )


def result_of(
    draft: Draft, asked: Asked, env: StageEnv, *, model: str, pipeline: str, timings: dict[str, float]
) -> CheckResult:
    """The result of a judged draft (the JSON contract of the README)."""
    return CheckResult(
        claim=draft.text,
        verdict=draft.verdict,
        confidence=round(draft.confidence, 3),
        statements=[
            Statement(
                text=st.text,
                verdict=st.verdict,
                confidence=st.confidence,
                evidence=[evidence_of(e, env) for e in st.evidence],
                note=st.note,
                signals=st.signals,
                model_probabilities=st.model_probabilities,
            )
            for st in draft.statements
        ],
        retrieved=[retrieved_of(s) for s in draft.shown],
        dropped_citations=draft.dropped_citations,
        set_aside=draft.set_aside,
        corrections=[correction_of(c, env) for c in draft.corrections],
        model=model,
        prompt_version=asked.prompt_id,
        pipeline=pipeline,
        timings_ms={k: round(v, 1) for k, v in timings.items()},
        usage={
            "prompt_tokens": asked.usage.prompt_tokens,
            "completion_tokens": asked.usage.completion_tokens,
            "cached": int(asked.usage.cached),
        },
        schema_failures=asked.usage.schema_failures,
        quarantined=draft.quarantined,
        context_dropped=asked.context_dropped,
        uncertain=draft.uncertain,
    )
