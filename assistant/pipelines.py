"""The pipelines a user can run: which prompt, which retrieval and which judge stages a check runs.

A pipeline is versioned as a whole (``check.v21``), so a report says exactly what produced it; users may
name it by its role instead (``default``, ``server``, ``model``, ``baseline``, ``previous``). Each is built
on first use, with the verdict weights it reads, so importing this module loads nothing. Add a version;
never change what an existing one does. Versions that are no longer the best at anything leave the package:
git keeps them (``RETIRED_AT``), and naming one says where to find it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from pydantic import BaseModel

from .errors import ConfigError
from .judge import Stage
from .judge.aggregate import Aggregate, CalibrateClaim, CapClaim
from .judge.citations import Citations
from .judge.classify import Classify
from .judge.fidelity import Fidelity, RefuteByCorrection
from .judge.odds import VerdictOdds
from .judge.pairs import PairOdds
from .judge.scope import Scope
from .judge.states import ProjectState, ReplyStates
from .judge.uncertain import MarkUncertain
from .retrieve import RetrievalMode
from .schemas import ModelCheckReply


@dataclass(frozen=True)
class Pipeline:
    """One versioned configuration of the check chain."""

    id: str
    prompt: str
    retrieval: RetrievalMode
    #: The judge stages after the model, in order (the last of the statement stages is followed by
    #: :class:`Aggregate`, which every pipeline lists).
    stages: tuple[Stage, ...]
    description: str
    #: Whether retrieved sentences that address the model or imitate its reply are set aside before the
    #: prompt (``assistant/injection.py``), with more sentences retrieved in their place.
    screen: bool = False
    #: The JSON the prompt's reply is constrained to.
    reply: type[BaseModel] = ModelCheckReply
    #: The pipeline run instead on a backend that cannot score text (server backends give no token
    #: probabilities and no hidden states), for a pipeline whose verdict stage was trained on them.
    fallback: str | None = None

    def __post_init__(self) -> None:
        if not any(isinstance(s, Aggregate) for s in self.stages):
            raise ConfigError(f"pipeline {self.id}: its stages must include Aggregate()")

    def for_backend(self, can_score: bool) -> Pipeline:
        """The pipeline to run on a backend that can (or cannot) score text: this one, or its fallback."""
        return self if can_score or self.fallback is None else get_pipeline(self.fallback)

    @property
    def verdict_model(self) -> str | None:
        """The id of the verdict classifier this pipeline's :class:`Classify` stage uses, if any."""
        return next((s.model_id for s in self.stages if isinstance(s, Classify)), None)


def _calibrated(model_id: str, *measures: Stage, scope: Scope | None = None) -> tuple[Stage, ...]:
    """The trained judge: the scope stage, stages that measure signals, the classifier and the policy rules,
    the claim verdict, its calibrated confidence."""
    return (
        scope or Scope(),
        *measures,
        Citations(),
        Classify.load(model_id),
        Aggregate(),
        CalibrateClaim.load(model_id),
    )


def _previous() -> Pipeline:
    return Pipeline(
        "check.v19",
        prompt="check.v1",
        retrieval="dense",
        stages=(
            *_calibrated(
                "verdict.v9",
                VerdictOdds(),
                ReplyStates(),
                ProjectState.load("verdict.v9"),
                PairOdds(per_statement=1),
                scope=Scope(whole_claim=True),
            ),
            MarkUncertain(0.6),
        ),
        screen=True,
        fallback="check.v22",
        description="the default before issue #29. Dense retrieval of the claim's sentences; retrieved "
        "sentences that address the model or imitate its reply are set aside and others retrieved in "
        "their place. One "
        "prompt (check.v1) splits the claim into atomic statements, each with the sentences it cites, a "
        "verdict and a confidence. A statement that is not part of the claim (a copied source sentence, a"
        " repeat) is set aside, and when one statement is the claim word for word the claim is judged "
        "whole. The model's probability of each verdict, its hidden state where it writes the verdict (32"
        " principal components) and its answer when each statement is put to it again against the closest"
        " shown sentence (prompt pair.v1) are signals, with similarity, numbers, names, hedges and "
        "negation, of a trained classifier (verdict.v9) that decides each statement; rules then require "
        "verified evidence for a verdict, treat evidence that only calls something possible as not "
        "enough, and refute a year the evidence contradicts. The claim's confidence is calibrated and a "
        "claim below 0.6 is marked uncertain. Needs the local model's token probabilities: a server "
        "backend runs check.v22 instead",
    )


def _default() -> Pipeline:
    previous = _previous()
    *decide, mark = previous.stages
    return Pipeline(
        "check.v21",
        prompt=previous.prompt,
        retrieval=previous.retrieval,
        stages=(Fidelity(), *decide, CapClaim(), RefuteByCorrection(), mark),
        screen=True,
        fallback="check.v22",
        description="the default: check.v19 with the fidelity stages (judge/fidelity.py). A statement that "
        "changes a slot of the claim (a name, party, office, number, year, negation) is the model's "
        "correction, never a part of the claim; where a sentence shown states the correction's value and not "
        "the claim's, the claim is refuted with that sentence and the correction as its reason. The claim is "
        "also compared with the sentence closest to it: one slot changed there refutes it the same way. "
        "Values are compared in code, no model call added. The claim's confidence is capped at what its "
        "statements allow (the weakest supported statement, the most confident refutation). A server "
        "backend runs check.v22 instead",
    )


def _server() -> Pipeline:
    return Pipeline(
        "check.v22",
        prompt="check.v1",
        retrieval="dense",
        stages=(Fidelity(), *_calibrated("verdict.v4"), CapClaim(), RefuteByCorrection(), MarkUncertain(0.6)),
        screen=True,
        description="the default's retrieval, screen, prompt, scope and fidelity stages with a classifier "
        "that reads only what any backend gives (the reply and measured signals: similarity, numbers, "
        "names, hedges, negation; verdict.v4), the same rules, a calibrated claim confidence capped at what "
        "its statements allow and the uncertain mark below 0.6. What an OpenAI-compatible server runs in "
        "place of the default (check.v10 with the fidelity stages)",
    )


def _model() -> Pipeline:
    return Pipeline(
        "check.v1",
        prompt="check.v1",
        retrieval="dense",
        stages=(Citations(), Aggregate()),
        description="the model's own verdicts and confidences, citations verified, no trained stage: for a "
        "model much stronger than the embedded one (an OpenAI-compatible endpoint), whose judgement the "
        "classifiers trained on the embedded model's replies would only second-guess",
    )


def _baseline() -> Pipeline:
    return Pipeline(
        "naive.v1",
        prompt="naive.v1",
        retrieval="dense",
        stages=(Citations(), Aggregate()),
        description="baseline for evaluation: the top sentences and one verdict prompt, no decomposition",
    )


#: Every pipeline in the package, by id, built on first use.
BUILDERS: dict[str, Callable[[], Pipeline]] = {
    "check.v21": _default,
    "check.v22": _server,
    "check.v1": _model,
    "naive.v1": _baseline,
    "check.v19": _previous,
}
#: Plain names for the roles, beside the versioned ids that results and reports record.
ALIASES: dict[str, str] = {
    "default": "check.v21",
    "server": "check.v22",
    "model": "check.v1",
    "baseline": "naive.v1",
    "previous": "check.v19",
}
DEFAULT_PIPELINE = ALIASES["default"]
#: The last commit whose package holds every retired version (check.v2 … check.v18), with
#: its verdict weights, prompts and reports; evals/NOTEBOOK.md says what each measured.
RETIRED_AT = "9dd2001"
_RETIRED = {f"check.v{n}" for n in range(2, 19)} - set(BUILDERS)
#: Versions retired later, with the last commit that has each (issue #29): check.v20 (``fast``: the default
#: without the verdict odds, about 0.4 s a check saved) and check.v10 (the server pipeline before the
#: fidelity stages, now check.v22).
_RETIRED_LATER = {"check.v20": "a416742", "check.v10": "a416742"}


def pipeline_ids() -> list[str]:
    """The registered versioned ids, the default first."""
    return list(BUILDERS)


def get_pipeline(name: str) -> Pipeline:
    """The pipeline with this id or plain name, built (and its weights read) on first use."""
    pipeline_id = ALIASES.get(name, name)
    if pipeline_id in BUILDERS:
        return _built(pipeline_id)
    known = ", ".join([*ALIASES, *BUILDERS])
    if pipeline_id in _RETIRED or pipeline_id in _RETIRED_LATER:
        commit = _RETIRED_LATER.get(pipeline_id, RETIRED_AT)
        raise ConfigError(
            f"pipeline {pipeline_id!r} was retired; commit {commit} is the last that has it "
            f"(`git checkout {commit}`); choose one of: {known}"
        )
    raise ConfigError(f"unknown pipeline {name!r}; choose one of: {known}")


@cache
def _built(pipeline_id: str) -> Pipeline:
    return BUILDERS[pipeline_id]()
