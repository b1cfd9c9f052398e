"""The judge: the stages that turn the model's reply into verdicts, one class per stage.

After the model has replied, a check is a :class:`Draft`: the claim, the sentences the model was shown and
one :class:`DraftStatement` per statement of the reply. A pipeline (``assistant/pipelines.py``) lists the
stages that run on the draft, in order; each is a small object with a ``run(draft, env)`` method and the
modes it applies to (a claim to check, a question to answer):

- :class:`~assistant.judge.fidelity.Fidelity` takes out statements that change a slot of the claim;
- :class:`~assistant.judge.scope.Scope` sets aside statements that are not part of the claim;
- :class:`~assistant.judge.odds.VerdictOdds` measures how likely the model finds each verdict it could give;
- :class:`~assistant.judge.states.ReplyStates` reads the model's hidden state where each verdict begins;
- :class:`~assistant.judge.states.ProjectState` turns that state into signals (its principal components);
- :class:`~assistant.judge.pairs.PairOdds` asks the model again, one statement against one sentence at a time;
- :class:`~assistant.judge.citations.Citations` verifies the sentences each statement cites;
- :class:`~assistant.judge.classify.Classify` decides the verdict from the model's and the measured signals;
- :class:`~assistant.judge.aggregate.Aggregate` gives the claim its verdict and confidence;
- :class:`~assistant.judge.aggregate.CalibrateClaim` maps the claim confidence to a calibrated one;
- :class:`~assistant.judge.fidelity.RefuteByCorrection` refutes a claim its sources correct;
- :class:`~assistant.judge.uncertain.MarkUncertain` marks a low-confidence claim verdict, with the reason.

Adding a stage is one class here and one line in a pipeline version; the checker runs whatever is listed.
The evaluation scripts and ``research/train_verdict.py`` use these same classes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from ..records import Sentence
from ..schemas import Quarantined, SetAside, Verdict
from .verdict_model import MemoEmbeddings

Mode = Literal["claim", "question"]
MODES: frozenset[Mode] = frozenset(("claim", "question"))


@dataclass
class DraftStatement:
    """One statement of the model's reply on its way to a verdict.

    ``verdict`` and ``confidence`` start as the model's and are what the stages change; ``cited`` holds
    the sentence numbers the model gave (1-based positions in the prompt), ``evidence`` the verified spans
    shown as evidence and ``cited_sentences`` the full sentences they stand in (for signals and rules).
    """

    text: str
    model_verdict: Verdict
    #: None when the prompt does not ask the model for a confidence.
    model_confidence: float | None
    cited: list[int] = field(default_factory=list)
    evidence: list[Sentence] = field(default_factory=list)
    cited_sentences: list[Sentence] = field(default_factory=list)
    verdict: Verdict = "not_enough_info"
    confidence: float = 0.0
    note: str | None = None
    #: Signals measured by stages before the verdict stage (e.g. the value comparison).
    measured: dict[str, float] = field(default_factory=dict)
    #: Where the statement stands in the model's reply (0-based; None: not from a reply).
    position: int | None = None
    #: The model's probability of each verdict at this statement's verdict (``VerdictOdds``), when measured.
    model_probabilities: dict[str, float] | None = None
    #: The model's hidden state just before it wrote this statement's verdict (``ReplyStates``), when read.
    state: list[float] | None = field(default=None, repr=False)
    #: The signals the verdict stage decided on (shown with the result).
    signals: dict[str, float] | None = None

    def __post_init__(self) -> None:
        self.verdict = self.model_verdict
        self.confidence = 0.5 if self.model_confidence is None else self.model_confidence


@dataclass
class DraftCorrection:
    """A statement that changes a slot of the claim (:mod:`.fidelity`): the model's correction, not a part."""

    text: str
    slot: str
    claim_value: str
    statement_value: str
    #: The verified span that states the statement's value (empty: none of the sentences shown does).
    evidence: list[Sentence]
    confirmed: bool
    #: The correction in the reader's words ("the source says Republican, not Democratic").
    reason: str
    #: How likely a claim refuted on this correction is refuted, where it differs from the refuting stage's
    #: own (:mod:`.fidelity`'s measured rates; None: the stage's).
    confidence: float | None = None


@dataclass
class Draft:
    """A check between the model's reply and its result; the stages read and change it."""

    mode: Mode
    #: The claim (or question) as checked.
    text: str
    #: The sentences shown to the model, in prompt order (sentence ``n`` of the prompt is ``shown[n-1]``).
    shown: list[Sentence]
    statements: list[DraftStatement]
    set_aside: list[SetAside] = field(default_factory=list)
    #: Statements that change a slot of the claim (the fidelity stage): never judged as its parts.
    corrections: list[DraftCorrection] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    #: Citations not shown as evidence: numbers of sentences the model was not shown, sentences whose text
    #: does not match the source, quotes not found verbatim in the sentences shown.
    dropped_citations: int = 0
    verdict: Verdict = "not_enough_info"
    confidence: float = 0.0
    #: Why the claim verdict should not be relied on (set by MarkUncertain below its threshold).
    uncertain: str | None = None
    #: The model's reply as it wrote it (None: rebuilt from a stored result).
    reply: str | None = None


@dataclass
class StageEnv:
    """What stages may use besides the draft: the embedder (memoised) and the source documents' text."""

    embeddings: MemoEmbeddings
    #: The full text of a document by id (None if it is gone); a per-check cache, never shared.
    document_text: Callable[[str], str | None]
    #: The path a document was ingested from, by id (for evidence records).
    document_path: Callable[[str], str]
    #: The log-probability of each text as what follows a beginning of this check's reply (None: the
    #: backend cannot score text, or there is no reply).
    score: Callable[[str, list[str]], list[float] | None] | None = None
    #: The model's last hidden state at the end of a beginning of this check's reply (None: the backend
    #: cannot give one, or there is no reply).
    state: Callable[[str], list[float] | None] | None = None
    #: The log-probability of each text as the start of the model's reply to another prompt, given as its
    #: id, system and user text (None: the backend cannot score text).
    score_prompt: Callable[[str, str, str, list[str]], list[float] | None] | None = None
    #: The page an offset of a document stands on, by id and offset (None: no pages, or not known).
    document_page: Callable[[str, int], int | None] | None = None


class Stage(Protocol):
    """A step of the judge: changes the draft in place."""

    @property
    def modes(self) -> frozenset[Mode]:
        """The modes the stage applies to; it is skipped for the others."""
        ...

    def run(self, draft: Draft, env: StageEnv) -> None:
        """Apply the stage to the draft."""
        ...


__all__ = ["MODES", "Draft", "DraftCorrection", "DraftStatement", "Mode", "Stage", "StageEnv"]
