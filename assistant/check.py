"""The check chain: retrieve sentences → ask the model for atomic statements → scope → verify spans → verdict.

Built as a LangChain runnable: ``{claim, doc_id, k} → assign(hits=retriever) | judge | assemble``; the
assemble step sets aside statements that are not part of the claim (pipelines with a scope stage), verifies
each citation against the source text and runs the verdict stage.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from .errors import InputError
from .injection import escape_source, screen
from .llm import StructuredChat, Usage
from .pipelines import DEFAULT_PIPELINE, Pipeline, get_pipeline
from .prompts_loader import Prompt, load_prompt
from .records import Sentence
from .retrieve import SentenceRetriever, document_to_hit
from .schemas import (
    MAX_LISTED_COPIES,
    CheckResult,
    Evidence,
    ModelCheckReply,
    Quarantined,
    Retrieved,
    SentenceLocation,
    SetAside,
    Statement,
    Verdict,
)
from .scope import scope_statements
from .signals import StatementView
from .spans import verify_citation
from .store import SentenceStore, StoredDocument
from .verdict import MemoEmbeddings, VerdictStage

DEFAULT_ANSWER_PROMPT = "answer.v1"
#: The longest claim or question checked: a claim is a sentence or two; a pasted article is refused with a
#: message instead of being cut or overflowing the model's context.
MAX_CLAIM_CHARS = 2000
#: Tokens reserved for the model's reply (StructuredChat.ask's default).
REPLY_TOKENS = 600
#: Retrieval rounds the screen may ask for more sentences in place of flagged ones.
SCREEN_ROUNDS = 3


@dataclass
class _Judged:
    prompt_id: str
    claim: str
    hits: list[Sentence]
    reply: ModelCheckReply
    usage: Usage
    #: A claim to check (the scope stage applies) rather than a question to answer.
    is_claim: bool = True
    timings_ms: dict[str, float] = field(default_factory=dict)
    quarantined: list[Quarantined] = field(default_factory=list)
    context_dropped: int = 0


def _screen_hits(hits: list[Sentence]) -> tuple[list[Sentence], list[Quarantined]]:
    """Hits split into those kept and those the injection screen sets aside (with the reason)."""
    kept: list[Sentence] = []
    flagged: list[Quarantined] = []
    for h in hits:
        flag = screen(h.text)
        if flag is None:
            kept.append(h)
        else:
            flagged.append(
                Quarantined(
                    doc_id=h.doc_id,
                    sentence_id=h.sentence_id,
                    start=h.start,
                    end=h.end,
                    text=h.text,
                    reason=flag.reason,
                )
            )
    return kept, flagged


def aggregate_verdict(verdicts: list[Verdict]) -> Verdict:
    """Refuted if any statement is refuted, supported if all are supported, else not_enough_info."""
    if any(v == "refuted" for v in verdicts):
        return "refuted"
    if verdicts and all(v == "supported" for v in verdicts):
        return "supported"
    return "not_enough_info"


class Judgement(Protocol):
    """Anything with a verdict and a confidence: a :class:`Statement`, or a training row."""

    @property
    def verdict(self) -> Verdict:
        """The statement's verdict."""
        ...

    @property
    def confidence(self) -> float:
        """The statement's confidence."""
        ...


def aggregate_confidence(statements: Sequence[Judgement], verdict: Verdict) -> float:
    """Confidence of the claim verdict.

    Refuted: the most confident refutation decides. Supported: the chain is as strong as its weakest
    statement. Not enough info: the mean over statements.
    """
    if not statements:
        return 0.0
    if verdict == "refuted":
        return max(s.confidence for s in statements if s.verdict == "refuted")
    if verdict == "supported":
        return min(s.confidence for s in statements)
    return sum(s.confidence for s in statements) / len(statements)


class Checker:
    """Checks claims against one index with one chat backend and one pipeline version.

    The pipeline decides the prompt, the retrieval mode (the retriever is used as given, with the
    pipeline's mode) and the verdict stage after the model.
    """

    def __init__(
        self,
        store: SentenceStore,
        retriever: SentenceRetriever,
        chat: StructuredChat,
        *,
        pipeline: Pipeline | str = DEFAULT_PIPELINE,
        answer_prompt_id: str = DEFAULT_ANSWER_PROMPT,
    ) -> None:
        self.pipeline = get_pipeline(pipeline) if isinstance(pipeline, str) else pipeline
        self.store = store
        if retriever.mode != self.pipeline.retrieval:
            retriever = retriever.model_copy(update={"mode": self.pipeline.retrieval})
        self.retriever = retriever
        self.chat = chat
        # One memo for the scope and verdict stages: both embed the claim's statements and its sentences.
        self.embeddings = MemoEmbeddings(retriever.embeddings)
        self.verdicts = VerdictStage.load(self.pipeline.verdict_model, self.embeddings)
        self.prompt: Prompt = load_prompt(self.pipeline.prompt)
        self.answer_prompt: Prompt = load_prompt(answer_prompt_id)
        self._docs: dict[str, StoredDocument] = {}
        self.chain: Runnable[dict[str, Any], CheckResult] = (
            RunnablePassthrough.assign(hits=RunnableLambda(self._retrieve))
            | RunnableLambda(self._judge)
            | RunnableLambda(self._assemble)
        )

    def check(self, claim: str, *, doc_id: str | None = None, k: int | None = None) -> CheckResult:
        """Check one claim; ``doc_id`` restricts retrieval to one document, ``k`` overrides the depth."""
        return self._run(self.prompt, claim, doc_id=doc_id, k=k)

    def answer(
        self,
        question: str,
        *,
        doc_id: str | None = None,
        k: int | None = None,
        history: list[dict[str, str]] | None = None,
        search_text: str | None = None,
    ) -> CheckResult:
        """Answer a question as checkable statements with verified citations.

        ``history`` holds earlier turns (``question``/``answer``) so follow-ups resolve; ``search_text``
        overrides what is sent to the retriever (e.g. the previous question plus the follow-up).
        """
        return self._run(
            self.answer_prompt, question, doc_id=doc_id, k=k, history=history or [], search_text=search_text
        )

    def _run(
        self,
        prompt: Prompt,
        text: str,
        *,
        doc_id: str | None,
        k: int | None,
        history: list[dict[str, str]] | None = None,
        search_text: str | None = None,
    ) -> CheckResult:
        if len(text.strip()) > MAX_CLAIM_CHARS:
            raise InputError(
                f"the text to check has {len(text.strip())} characters; at most {MAX_CLAIM_CHARS} are "
                "checked at once: split it into shorter claims"
            )
        self._docs.clear()  # documents may have been re-ingested since the last call
        return self.chain.invoke(
            {
                "claim": text.strip(),
                "search": (search_text or text).strip(),
                "doc_id": doc_id,
                "k": k or self.retriever.k,
                "prompt": prompt,
                "history": history,
            }
        )

    # ---- stages ---------------------------------------------------------------------------------

    def _retrieve(self, inputs: dict[str, Any]) -> dict[str, Any]:
        t0 = time.perf_counter()
        k: int = inputs["k"]
        want = k
        quarantined: list[Quarantined] = []
        for _ in range(SCREEN_ROUNDS + 1):
            docs = self.retriever.invoke(inputs["search"], k=want, doc_id=inputs["doc_id"])
            hits = [document_to_hit(d) for d in docs]
            if not self.pipeline.screen:
                break
            kept, quarantined = _screen_hits(hits)
            # More sentences in place of the flagged ones, so the prompt is what the clean text would give.
            if len(kept) >= k or len(hits) < want:
                hits = kept
                break
            want = k + len(quarantined)
            hits = kept
        return {"hits": hits[:k], "quarantined": quarantined, "ms": (time.perf_counter() - t0) * 1000}

    def _judge(self, inputs: dict[str, Any]) -> _Judged:
        claim: str = inputs["claim"]
        hits: list[Sentence] = inputs["hits"]["hits"]
        prompt: Prompt = inputs["prompt"]
        system, user, shown = self._fit(prompt, claim, hits, inputs["history"])
        t0 = time.perf_counter()
        reply, usage = self.chat.ask(
            system, user, ModelCheckReply, prompt_id=prompt.id, max_tokens=REPLY_TOKENS
        )
        return _Judged(
            prompt_id=prompt.id,
            claim=claim,
            hits=hits[:shown],
            reply=reply,
            usage=usage,
            is_claim=prompt is self.prompt,
            timings_ms={"retrieve": inputs["hits"]["ms"], "llm": (time.perf_counter() - t0) * 1000},
            quarantined=inputs["hits"]["quarantined"],
            context_dropped=len(hits) - shown,
        )

    def _fit(
        self,
        prompt: Prompt,
        claim: str,
        hits: list[Sentence],
        history: list[dict[str, str]] | None,
    ) -> tuple[str, str, int]:
        """The rendered prompt with as many of the best sentences as fit the model's context window.

        Source text is escaped (``escape_source``): it cannot leave its line or imitate the prompt's labels
        or the reply's JSON. Lower-ranked sentences are left out first; a claim that does not fit even
        with no sentence is refused.
        """
        shown = len(hits)
        while True:
            variables: dict[str, Any] = {
                "claim": claim,
                "sentences": [
                    {"number": i + 1, "text": escape_source(h.text)} for i, h in enumerate(hits[:shown])
                ],
            }
            if history is not None:
                variables["history"] = [
                    {"question": t["question"], "answer": escape_source(t["answer"])} for t in history
                ]
            system, user = prompt.render(**variables)
            if self.chat.fits(system, user, max_tokens=REPLY_TOKENS):
                return system, user, shown
            if shown == 0:
                raise InputError(
                    "the text to check does not fit the model's context of "
                    f"{self.chat.context_tokens} tokens: shorten it"
                )
            shown -= 1

    def _assemble(self, judged: _Judged) -> CheckResult:
        t0 = time.perf_counter()
        dropped = 0
        statements: list[Statement] = []
        set_aside: list[SetAside] = []
        replied = judged.reply.statements
        if self.pipeline.scope and judged.is_claim:
            decisions = scope_statements(
                judged.claim,
                [st.text.strip() for st in replied],
                [h.text for h in judged.hits],
                self.embeddings,
            )
            set_aside = [
                SetAside(text=st.text.strip(), reason=d.reason or "")
                for st, d in zip(replied, decisions, strict=True)
                if not d.keep
            ]
            replied = [st for st, d in zip(replied, decisions, strict=True) if d.keep]
        for st in replied:
            evidence: list[Evidence] = []
            for number in st.sentences:
                ev = self._evidence_for(judged.hits, number)
                if ev is None:
                    dropped += 1
                elif ev not in evidence:
                    evidence.append(ev)
            outcome = self.verdicts.apply(
                StatementView(
                    text=st.text.strip(),
                    model_verdict=st.verdict,
                    model_confidence=min(1.0, max(0.0, st.confidence)),
                    cited=[e.text for e in evidence],
                    retrieved=[h.text for h in judged.hits],
                )
            )
            statements.append(
                Statement(
                    text=st.text.strip(),
                    verdict=outcome.verdict,
                    confidence=round(outcome.confidence, 3),
                    evidence=evidence,
                    note=outcome.note,
                    signals=outcome.signals,
                )
            )
        verdict = aggregate_verdict([s.verdict for s in statements])
        timings = dict(judged.timings_ms)
        timings["verify"] = (time.perf_counter() - t0) * 1000
        timings["total"] = sum(timings.values())
        return CheckResult(
            claim=judged.claim,
            verdict=verdict,
            confidence=round(self._claim_confidence(statements, verdict, judged.is_claim), 3),
            statements=statements,
            retrieved=[
                Retrieved(
                    doc_id=h.doc_id,
                    sentence_id=h.sentence_id,
                    start=h.start,
                    end=h.end,
                    text=h.text,
                    score=h.score,
                    copies=len(h.also),
                    also=[
                        SentenceLocation(doc_id=a.doc_id, sentence_id=a.sentence_id, start=a.start, end=a.end)
                        for a in h.also[:MAX_LISTED_COPIES]
                    ],
                )
                for h in judged.hits
            ],
            dropped_citations=dropped,
            set_aside=set_aside,
            model=self.chat.name,
            prompt_version=judged.prompt_id,
            pipeline=self.pipeline.id,
            timings_ms={k: round(v, 1) for k, v in timings.items()},
            usage={
                "prompt_tokens": judged.usage.prompt_tokens,
                "completion_tokens": judged.usage.completion_tokens,
                "cached": int(judged.usage.cached),
            },
            schema_failures=judged.usage.schema_failures,
            quarantined=judged.quarantined,
            context_dropped=judged.context_dropped,
        )

    def _claim_confidence(self, statements: list[Statement], verdict: Verdict, is_claim: bool) -> float:
        confidence = aggregate_confidence(statements, verdict)
        return self.verdicts.calibrate_claim(confidence) if is_claim and statements else confidence

    def _evidence_for(self, hits: list[Sentence], number: int) -> Evidence | None:
        if not 1 <= number <= len(hits):
            return None  # the model cited a sentence it was not shown
        hit = hits[number - 1]
        doc = self._document(hit.doc_id)
        if doc is None:
            return None
        span = verify_citation(doc.text, hit)
        if span is None:
            return None
        return Evidence(
            doc_id=doc.doc_id,
            doc_path=doc.path,
            sentence_id=span.sentence_id,
            start=span.start,
            end=span.end,
            text=span.text,
        )

    def _document(self, doc_id: str) -> StoredDocument | None:
        # Read the cache once: another thread's check may clear it between two lookups.
        doc = self._docs.get(doc_id)
        if doc is None:
            doc = self.store.get_document(doc_id)
            if doc is not None:
                self._docs[doc_id] = doc
        return doc
