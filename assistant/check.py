"""The check chain: retrieve → ask → assemble, three typed steps over one request.

- **retrieve** (:class:`Retrieval`): the sentences closest to the claim, with the injection screen of the
  pipelines that have one;
- **ask** (:class:`Asked`): the prompt, fitted to the model's context, and the model's structured reply;
- **assemble**: the reply becomes a :class:`~assistant.judge.Draft` that the pipeline's judge stages
  (``assistant/judge/``) decide, then a :class:`~assistant.schemas.CheckResult`.

It runs as a LangChain runnable (``retrieve | ask | assemble``), so callbacks see the retriever and the chat
model (the CLI's status line comes from them). A check is a claim to judge or a question to answer
(:data:`~assistant.judge.Mode`); the mode decides the prompt and which stages apply.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import BaseModel

from .errors import InputError
from .injection import escape_source, screen
from .judge import Draft, DraftStatement, Mode, StageEnv
from .judge.aggregate import aggregate_confidence, aggregate_verdict
from .judge.pairs import PairOdds
from .judge.verdict_model import MemoEmbeddings
from .llm import StructuredChat, Usage
from .pipelines import DEFAULT_PIPELINE, Pipeline, get_pipeline
from .prompts_loader import Prompt, load_prompt
from .records import Sentence
from .retrieve import SentenceRetriever, document_to_sentence
from .schemas import (
    MAX_LISTED_COPIES,
    CheckResult,
    Correction,
    Evidence,
    ModelCheckReply,
    ModelStatement,
    Quarantined,
    Retrieved,
    SentenceLocation,
    Statement,
)
from .store import SentenceStore, StoredDocument

__all__ = [
    "DEFAULT_ANSWER_PROMPT",
    "MAX_CLAIM_CHARS",
    "Asked",
    "CheckRequest",
    "Checker",
    "Retrieval",
    "aggregate_confidence",
    "aggregate_verdict",
]

DEFAULT_ANSWER_PROMPT = "answer.v1"
#: The longest claim or question checked: a claim is a sentence or two; a pasted article is refused with a
#: message instead of being cut or overflowing the model's context.
MAX_CLAIM_CHARS = 2000
#: Tokens reserved for the model's reply (StructuredChat.ask's default).
REPLY_TOKENS = 600
#: Retrieval rounds the screen may ask for more sentences in place of flagged ones.
SCREEN_ROUNDS = 3


@dataclass(frozen=True)
class CheckRequest:
    """What to check: the text, its mode, what to search for, and where."""

    text: str
    mode: Mode
    #: What the retriever is asked (the text itself, or e.g. a follow-up with its previous question).
    search: str
    doc_id: str | None
    k: int
    #: Earlier turns of a conversation (``question``/``answer``), for questions that follow up.
    history: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True)
class Retrieval:
    """The sentences retrieved for a request, best first, and those the injection screen set aside."""

    request: CheckRequest
    sentences: list[Sentence]
    quarantined: list[Quarantined]
    ms: float


@dataclass(frozen=True)
class Asked:
    """The model's reply to the prompt built from a retrieval."""

    retrieval: Retrieval
    prompt_id: str
    #: The sentences the prompt showed (the best ones that fit the context), numbered from 1.
    shown: list[Sentence]
    statements: list[DraftStatement]
    usage: Usage
    ms: float
    #: The rendered prompt the reply answers (for stages that score text against it).
    system: str = ""
    user: str = ""

    @property
    def context_dropped(self) -> int:
        """Retrieved sentences left out so the prompt fits the context."""
        return len(self.retrieval.sentences) - len(self.shown)


def screen_sentences(sentences: list[Sentence]) -> tuple[list[Sentence], list[Quarantined]]:
    """Sentences split into those kept and those the injection screen sets aside (with the reason)."""
    kept: list[Sentence] = []
    flagged: list[Quarantined] = []
    for s in sentences:
        flag = screen(s.text)
        if flag is None:
            kept.append(s)
        else:
            flagged.append(
                Quarantined(
                    doc_id=s.doc_id,
                    sentence_id=s.sentence_id,
                    start=s.start,
                    end=s.end,
                    text=s.text,
                    reason=flag.reason,
                )
            )
    return kept, flagged


def draft_statement(st: BaseModel, claim: str) -> DraftStatement:
    """One statement of a reply to ``claim``, whatever the reply schema, as the judge stages see it."""
    if isinstance(st, ModelStatement):
        return DraftStatement(
            text=st.text.strip(),
            model_verdict=st.verdict,
            model_confidence=min(1.0, max(0.0, st.confidence)),
            cited=list(st.sentences),
        )
    raise TypeError(f"no draft for a reply statement of type {type(st).__name__}")


class Checker:
    """Checks claims (and answers questions) against one index with one chat backend and one pipeline."""

    def __init__(
        self,
        store: SentenceStore,
        retriever: SentenceRetriever,
        chat: StructuredChat,
        *,
        pipeline: Pipeline | str = DEFAULT_PIPELINE,
        answer_prompt_id: str = DEFAULT_ANSWER_PROMPT,
    ) -> None:
        asked_for = get_pipeline(pipeline) if isinstance(pipeline, str) else pipeline
        #: The pipeline that runs: the one asked for, or its fallback on a backend that cannot score text.
        self.pipeline = asked_for.for_backend(chat.can_score)
        #: Why the pipeline asked for does not run (None: it does).
        self.fallback_note: str | None = None
        if self.pipeline is not asked_for:
            self.fallback_note = (
                f"pipeline {asked_for.id} reads the model's token probabilities, which backend {chat.name} "
                f"does not give; {self.pipeline.id} runs instead"
            )
        self.store = store
        self.retriever = retriever
        self.chat = chat
        # One memo for all judge stages: they embed the claim's statements and its sentences.
        self.embeddings = MemoEmbeddings(retriever.embeddings)
        self.prompts: dict[Mode, Prompt] = {
            "claim": load_prompt(self.pipeline.prompt),
            "question": load_prompt(answer_prompt_id),
        }
        self.replies: dict[Mode, type[BaseModel]] = {
            "claim": self.pipeline.reply,
            "question": ModelCheckReply,
        }
        self.chain: Runnable[CheckRequest, CheckResult] = (
            RunnableLambda(self.retrieve, name="retrieve")
            | RunnableLambda(self.ask, name="ask")
            | RunnableLambda(self.assemble, name="assemble")
        )

    def check(self, claim: str, *, doc_id: str | None = None, k: int | None = None) -> CheckResult:
        """Check one claim; ``doc_id`` restricts retrieval to one document, ``k`` overrides the depth."""
        return self.chain.invoke(self.request(claim, "claim", doc_id=doc_id, k=k))

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
        request = self.request(
            question, "question", doc_id=doc_id, k=k, history=history or [], search=search_text
        )
        return self.chain.invoke(request)

    def warm(self) -> None:
        """Have the model read the claim prompt's fixed part now (the chat does it while the user types)."""
        for stage in self.pipeline.stages:  # a second prompt's fixed part first (the pair question's) …
            if isinstance(stage, PairOdds):
                self.chat.warm(stage.fixed_part())
        system, _ = self.prompts["claim"].render(claim="", sentences=[])
        self.chat.warm(system)  # … so the claim prompt's is what the KV cache holds (the other is kept aside)

    def request(
        self,
        text: str,
        mode: Mode,
        *,
        doc_id: str | None = None,
        k: int | None = None,
        history: list[dict[str, str]] | None = None,
        search: str | None = None,
    ) -> CheckRequest:
        """A validated request (an over-long text is refused with a message)."""
        if len(text.strip()) > MAX_CLAIM_CHARS:
            raise InputError(
                f"the text to check has {len(text.strip())} characters; at most {MAX_CLAIM_CHARS} are "
                "checked at once: split it into shorter claims"
            )
        return CheckRequest(
            text=text.strip(),
            mode=mode,
            search=(search or text).strip(),
            doc_id=doc_id,
            k=k or self.retriever.k,
            history=tuple(history or ()),
        )

    # ---- the three steps ------------------------------------------------------------------------

    def retrieve(self, request: CheckRequest) -> Retrieval:
        """The best ``k`` sentences; with the screen, flagged ones are set aside and others fill in."""
        t0 = time.perf_counter()
        want = request.k
        quarantined: list[Quarantined] = []
        for _ in range(SCREEN_ROUNDS + 1):
            docs = self.retriever.invoke(
                request.search, k=want, doc_id=request.doc_id, mode=self.pipeline.retrieval
            )
            sentences = [document_to_sentence(d) for d in docs]
            if not self.pipeline.screen:
                break
            kept, quarantined = screen_sentences(sentences)
            # More sentences in place of the flagged ones, so the prompt is what the clean text would give.
            if len(kept) >= request.k or len(sentences) < want:
                sentences = kept
                break
            want = request.k + len(quarantined)
            sentences = kept
        return Retrieval(request, sentences[: request.k], quarantined, (time.perf_counter() - t0) * 1000)

    def ask(self, retrieval: Retrieval) -> Asked:
        """The model's reply to the mode's prompt over the retrieved sentences that fit its context."""
        request = retrieval.request
        prompt = self.prompts[request.mode]
        system, user, shown = self._fit(prompt, request, retrieval.sentences)
        t0 = time.perf_counter()
        reply, usage = self.chat.ask(
            system, user, self.replies[request.mode], prompt_id=prompt.id, max_tokens=REPLY_TOKENS
        )
        return Asked(
            retrieval=retrieval,
            prompt_id=prompt.id,
            shown=retrieval.sentences[:shown],
            statements=[
                replace(draft_statement(st, request.text), position=i)
                for i, st in enumerate(getattr(reply, "statements"))  # noqa: B009
            ],
            usage=usage,
            ms=(time.perf_counter() - t0) * 1000,
            system=system,
            user=user,
        )

    def assemble(self, asked: Asked) -> CheckResult:
        """Run the pipeline's judge stages on the reply and build the result."""
        t0 = time.perf_counter()
        draft, env = self.judge(asked)
        verify_ms = (time.perf_counter() - t0) * 1000
        timings = {"retrieve": asked.retrieval.ms, "llm": asked.ms, "verify": verify_ms}
        timings["total"] = sum(timings.values())
        return result_of(draft, asked, env, model=self.chat.name, pipeline=self.pipeline.id, timings=timings)

    def judge(self, asked: Asked) -> tuple[Draft, StageEnv]:
        """The reply as a draft, decided by the pipeline's judge stages (those of the request's mode)."""
        request = asked.retrieval.request
        draft = Draft(
            mode=request.mode,
            text=request.text,
            shown=asked.shown,
            statements=asked.statements,
            quarantined=asked.retrieval.quarantined,
            reply=asked.usage.reply or None,
        )
        documents: dict[str, StoredDocument | None] = {}  # this check's own: never shared between threads

        def document(doc_id: str) -> StoredDocument | None:
            if doc_id not in documents:
                documents[doc_id] = self.store.get_document(doc_id)
            return documents[doc_id]

        env = StageEnv(
            embeddings=self.embeddings,
            document_text=lambda d: doc.text if (doc := document(d)) is not None else None,
            document_path=lambda d: doc.path if (doc := document(d)) is not None else "",
            score=lambda prefix, texts: self.chat.continuation_logprobs(
                asked.system, asked.user, prefix, texts, prompt_id=asked.prompt_id
            ),
            state=lambda prefix: self.chat.reply_state(
                asked.system, asked.user, prefix, prompt_id=asked.prompt_id
            ),
            score_prompt=self.chat.score_reply,
        )
        for stage in self.pipeline.stages:
            if request.mode in stage.modes:
                stage.run(draft, env)
        return draft, env

    def draft(self, text: str, mode: Mode = "claim", **request: Any) -> Draft:
        """The judged draft of a check (what the result is built from), e.g. for training a stage."""
        return self.judge(self.ask(self.retrieve(self.request(text, mode, **request))))[0]

    def _fit(self, prompt: Prompt, request: CheckRequest, sentences: list[Sentence]) -> tuple[str, str, int]:
        """The rendered prompt with as many of the best sentences as fit the model's context window.

        Source text is escaped (``escape_source``): it cannot leave its line or imitate the prompt's labels
        or the reply's JSON. Lower-ranked sentences are left out first; a claim that does not fit even
        with no sentence is refused.
        """
        shown = len(sentences)
        while True:
            variables: dict[str, Any] = {
                "claim": request.text,
                "sentences": [
                    {"number": i + 1, "text": escape_source(s.text)} for i, s in enumerate(sentences[:shown])
                ],
            }
            if request.mode == "question":
                variables["history"] = [
                    {"question": t["question"], "answer": escape_source(t["answer"])} for t in request.history
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


def evidence_of(span: Sentence, env: StageEnv) -> Evidence:
    """A verified span as a result's evidence record."""
    return Evidence(
        doc_id=span.doc_id,
        doc_path=env.document_path(span.doc_id),
        sentence_id=span.sentence_id,
        start=span.start,
        end=span.end,
        text=span.text,
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
        corrections=[
            Correction(
                text=c.text,
                slot=c.slot,
                claim_value=c.claim_value,
                source_value=c.statement_value,
                confirmed=c.confirmed,
                reason=c.reason,
                evidence=[evidence_of(e, env) for e in c.evidence],
            )
            for c in draft.corrections
        ],
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
