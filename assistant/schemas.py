"""Pydantic models: what the LLM must reply (constrained by JSON schema) and what a check returns.

The result schema is the stable JSON contract documented in the README; add fields, never rename them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, SerializationInfo, SerializerFunctionWrapHandler, model_serializer

Verdict = Literal["supported", "refuted", "not_enough_info"]
VERDICTS: tuple[Verdict, ...] = ("supported", "refuted", "not_enough_info")

# ---- what the model replies -----------------------------------------------------------------


class ModelStatement(BaseModel):
    """One atomic statement as the model judged it, citing source sentences by their number."""

    text: str = Field(max_length=300)
    sentences: list[int] = Field(max_length=3)
    verdict: Verdict
    confidence: float


class ModelCheckReply(BaseModel):
    """The model's whole reply to the check prompt."""

    statements: list[ModelStatement] = Field(min_length=1, max_length=3)


# ---- what a check returns -------------------------------------------------------------------


class Evidence(BaseModel):
    """A verified span: ``text == document_text[start:end]`` was checked before this was built."""

    doc_id: str
    doc_path: str
    sentence_id: int
    start: int
    end: int
    text: str
    #: The page (1-based) the span starts on, for a document with pages (PDF); absent otherwise.
    page: int | None = Field(default=None, exclude_if=lambda v: v is None)


#: What each statement carries for debugging the judge: the signals its verdict stage read (the hidden
#: state's principal components ``state_N`` among them) and the model's own verdict probabilities. Left out
#: of every dump unless its context holds ``{"debug": True}`` (``--debug``; the eval reports keep them).
DEBUG_FIELDS = frozenset({"signals", "model_probabilities"})


class Statement(BaseModel):
    """An atomic statement with its verdict and the verified evidence for it."""

    text: str
    verdict: Verdict
    confidence: float
    evidence: list[Evidence]
    #: Why the verdict differs from the model's (set by the verdict stage of pipelines that have one).
    note: str | None = None
    #: The measured signals the verdict stage decided on (pipelines with a verdict classifier).
    signals: dict[str, float] | None = None
    #: The model's probability of each verdict where this statement's verdict begins in its reply
    #: (pipelines with the verdict-odds stage, local backend; absent otherwise).
    model_probabilities: dict[str, float] | None = Field(default=None, exclude_if=lambda v: v is None)

    @model_serializer(mode="wrap")
    def _without_debug_fields(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        """Every dump leaves out :data:`DEBUG_FIELDS` unless its context asks for them (``{"debug": True}``):
        the CLI's, the chat's, a draft's and the web app's JSON alike."""
        data = handler(self)
        if isinstance(data, dict) and not (info.context or {}).get("debug"):
            for name in DEBUG_FIELDS:
                data.pop(name, None)
        return data


class SetAside(BaseModel):
    """A statement the model wrote that is not part of the claim (or repeats one): shown, never judged."""

    text: str
    reason: str


class Correction(BaseModel):
    """A statement of the model that changes a slot of the claim (a name, party, office, number, year,
    negation): the model's correction, never support. ``confirmed``: a source sentence shown states the
    statement's value and not the claim's (``evidence`` holds its span), and the claim is refuted on it."""

    text: str
    slot: str
    claim_value: str
    source_value: str
    confirmed: bool
    reason: str
    evidence: list[Evidence] = Field(default_factory=list)


class SentenceLocation(BaseModel):
    """Another place where a retrieved sentence's text stands (a line the corpus repeats)."""

    doc_id: str
    sentence_id: int
    start: int
    end: int


#: At most this many other locations of a repeated sentence are listed in a result (``copies`` counts all).
MAX_LISTED_COPIES = 20


class Retrieved(BaseModel):
    """A sentence the retriever returned for the claim, with its similarity score.

    A text the corpus repeats (boilerplate) is retrieved once: ``copies`` counts its other locations and
    ``also`` lists the first ``MAX_LISTED_COPIES`` of them.
    """

    doc_id: str
    sentence_id: int
    start: int
    end: int
    text: str
    score: float
    copies: int = 0
    also: list[SentenceLocation] = Field(default_factory=list)


class Quarantined(BaseModel):
    """A retrieved source sentence set aside before the prompt: it reads as an instruction to the model or
    imitates the model's reply or prompt. It is never shown to the model, cited or used as a signal."""

    doc_id: str
    sentence_id: int
    start: int
    end: int
    text: str
    reason: str


class CheckResult(BaseModel):
    """The result of checking one claim (the README documents this JSON)."""

    claim: str
    verdict: Verdict
    confidence: float
    statements: list[Statement]
    retrieved: list[Retrieved]
    dropped_citations: int
    #: Statements of the model's reply set aside by the scope stage (pipelines that have one).
    set_aside: list[SetAside] = Field(default_factory=list)
    #: What says a slot of the claim otherwise: a statement of the model, or the source sentence closest to
    #: the claim (pipelines with the fidelity stages, check.v21 and check.v22).
    corrections: list[Correction] = Field(default_factory=list)
    model: str
    prompt_version: str
    pipeline: str = ""
    timings_ms: dict[str, float]
    usage: dict[str, int] = Field(default_factory=dict)
    schema_failures: int = 0
    #: Retrieved sentences set aside by the injection screen (pipelines that have one).
    quarantined: list[Quarantined] = Field(default_factory=list)
    #: Retrieved sentences left out of the prompt, lowest-ranked first, so it fits the model's context.
    context_dropped: int = 0
    #: Why the verdict should not be relied on: its calibrated confidence is low (pipelines that mark it;
    #: absent otherwise). The verdict itself is unchanged.
    uncertain: str | None = Field(default=None, exclude_if=lambda v: v is None)


#: The serialization context that keeps :data:`DEBUG_FIELDS`.
DEBUG = {"debug": True}


def result_dict(result: CheckResult, *, debug: bool = False) -> dict[str, Any]:
    """The result as the JSON contract of the README: without :data:`DEBUG_FIELDS` unless ``debug``."""
    return result.model_dump(mode="json", context=DEBUG if debug else None)


def result_json(result: CheckResult, *, debug: bool = False, indent: int | None = None) -> str:
    """:func:`result_dict` as JSON text."""
    return result.model_dump_json(context=DEBUG if debug else None, indent=indent)


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema with every ``$ref`` to ``$defs`` inlined: grammar converters handle it best."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: walk(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


def reply_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema the model's reply is constrained to."""
    return inline_refs(model.model_json_schema())
