"""Pipeline versions: which prompt, which retrieval and which judge stages a check runs.

A pipeline is versioned as a whole, so a report can show old and new side by side on the same items and a
result says which pipeline produced it. Add a version; never change what an existing one does. The stages
after the model are objects (``assistant/judge/``) run in the order listed: a new stage is one class there
and one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from .errors import ConfigError
from .judge import Stage
from .judge.aggregate import Aggregate, CalibrateClaim
from .judge.citations import Citations, Quotes
from .judge.classify import Classify
from .judge.compare import CompareValues
from .judge.odds import VerdictOdds
from .judge.pairs import PairOdds
from .judge.scope import Scope
from .judge.states import ProjectState, ReplyStates
from .judge.uncertain import MarkUncertain
from .retrieve import RetrievalMode
from .schemas import ModelBriefReply, ModelCheckReply, ModelExtractReply, ModelTerseReply


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


#: The judge of check.v3 and check.v4: citations verified, then a classifier and the policy rules.
def _classified(model_id: str) -> tuple[Stage, ...]:
    return (Citations(), Classify.load(model_id), Aggregate())


#: The judge of check.v6 onwards: the scope stage, any stages that measure signals for the classifier, the
#: classified verdicts, the claim calibration.
def _calibrated(model_id: str, *measures: Stage, scope: Scope | None = None) -> tuple[Stage, ...]:
    return (scope or Scope(), *measures, *_classified(model_id), CalibrateClaim.load(model_id))


PIPELINES: dict[str, Pipeline] = {
    p.id: p
    for p in (
        Pipeline(
            "check.v1",
            prompt="check.v1",
            retrieval="dense",
            stages=(Citations(), Aggregate()),
            description="dense retrieval, one decomposing prompt, the model's verdicts as they are",
        ),
        Pipeline(
            "naive.v1",
            prompt="naive.v1",
            retrieval="dense",
            stages=(Citations(), Aggregate()),
            description="baseline: top sentences and one verdict prompt, no decomposition",
        ),
        Pipeline(
            "check.v2",
            prompt="check.v1",
            retrieval="hybrid",
            stages=(Citations(), Aggregate()),
            description="check.v1 with hybrid retrieval (dense + BM25 over the best documents)",
        ),
        Pipeline(
            "check.v3",
            prompt="check.v1",
            retrieval="hybrid",
            stages=_classified("verdict.v1"),
            description="check.v2 with a verdict stage: a classifier over the model's verdict and "
            "measured signals, then the evidence, hedge and year rules",
        ),
        Pipeline(
            "check.v4",
            prompt="check.v1",
            retrieval="dense",
            stages=_classified("verdict.v2"),
            description="check.v1's dense retrieval with a verdict stage retrained on dense and hybrid "
            "dev replies (verdict.v2), then the same rules",
        ),
        Pipeline(
            "check.v5",
            prompt="check.v1",
            retrieval="dense",
            stages=(Scope(), *_classified("verdict.v3")),
            description="check.v4 with a scope stage that sets aside statements not part of the claim "
            "(copied source sentences, repeats), and the verdict stage retrained on the kept statements "
            "(verdict.v3)",
        ),
        Pipeline(
            "check.v6",
            prompt="check.v1",
            retrieval="dense",
            stages=_calibrated("verdict.v4"),
            description="check.v5 with a calibrated claim confidence: verdict.v3's weights plus a Platt "
            "scaling fitted on the dev half's cross-validated claim verdicts (verdict.v4)",
        ),
        Pipeline(
            "check.v7",
            prompt="check.v1",
            retrieval="dense",
            stages=_calibrated("verdict.v4"),
            screen=True,
            description="check.v6 with an injection screen: retrieved sentences that address the model or "
            "imitate its reply or prompt are set aside before the prompt and others retrieved in their "
            "place; identical to check.v6 when no retrieved sentence is flagged",
        ),
        Pipeline(
            "check.v8",
            prompt="check.v2",
            retrieval="dense",
            stages=(Scope(), Citations(), Quotes(), CompareValues(), Aggregate()),
            screen=True,
            reply=ModelExtractReply,
            description="extraction instead of judgement: per statement the model copies the value it "
            "asserts and the source's words for it (check.v2 prompt, no confidence asked); the quote is "
            "found verbatim in the source (a sub-sentence evidence span) and its value compared in code; "
            "the model's verdicts stand, with the comparison as signals",
        ),
        Pipeline(
            "check.v9",
            prompt="check.v2",
            retrieval="dense",
            stages=(
                Scope(),
                Citations(),
                Quotes(),
                CompareValues(),
                Classify.load("verdict.v5"),
                Aggregate(),
                CalibrateClaim.load("verdict.v5"),
                MarkUncertain(0.6),
            ),
            screen=True,
            reply=ModelExtractReply,
            description="check.v8 with a verdict stage over the base signals and the value comparison's, "
            "trained on check.v8's dev-half replies (verdict.v5, with a claim calibration), the evidence, "
            "hedge and year rules, and claims below 0.6 calibrated confidence marked uncertain",
        ),
        Pipeline(
            "check.v10",
            prompt="check.v1",
            retrieval="dense",
            stages=(*_calibrated("verdict.v4"), MarkUncertain(0.6)),
            screen=True,
            description="check.v7 with honest abstention: a claim whose calibrated confidence is below 0.6 "
            "(verdicts like it are right less than six times in ten) is marked uncertain, with the reason; "
            "verdicts and confidences are check.v7's",
        ),
        Pipeline(
            "check.v11",
            prompt="check.v3",
            retrieval="dense",
            stages=(Scope(), Citations(), Aggregate()),
            screen=True,
            reply=ModelBriefReply,
            description="the brief reply (issue 15): check.v1's instructions, but a claim that is one "
            "statement is not typed back (null text) and no confidence is asked; the model's verdicts as "
            "they are",
        ),
        Pipeline(
            "check.v12",
            prompt="check.v4",
            retrieval="dense",
            stages=(Scope(), Citations(), Aggregate()),
            screen=True,
            reply=ModelTerseReply,
            description="check.v11 with the model's confidence asked again (issue 15): a claim that is one "
            "statement is not typed back (null text); the model's verdicts as they are",
        ),
        Pipeline(
            "check.v13",
            prompt="check.v1",
            retrieval="dense",
            stages=(*_calibrated("verdict.v6"), MarkUncertain(0.6)),
            screen=True,
            description="check.v10 with its verdict stage trained on real claims (issue 14): verdict.v6 is "
            "fitted on check.v1's replies to the seed dev half and 300 Check-COVID training claims, with "
            "the claim calibration, the rules and the uncertain mark as in check.v10",
        ),
        Pipeline(
            "check.v14",
            prompt="check.v1",
            retrieval="dense",
            stages=(Scope(), VerdictOdds(), Citations(), Aggregate()),
            screen=True,
            description="check.v7's prompt and retrieval with the verdict odds (issue 14): at each "
            "statement's verdict in the reply, the model's probability of each of the three verdicts is "
            "read from its token probabilities and shown; the model's verdicts as they are (the training "
            "data of check.v15's verdict stage)",
        ),
        Pipeline(
            "check.v15",
            prompt="check.v1",
            retrieval="dense",
            stages=(*_calibrated("verdict.v7", VerdictOdds()), MarkUncertain(0.6)),
            screen=True,
            description="check.v13 with the verdict odds as signals of its verdict stage (issue 14): "
            "verdict.v7 is fitted on check.v14's replies to the seed dev half and 300 Check-COVID training "
            "claims; the rules, the claim calibration and the uncertain mark as in check.v13",
        ),
        Pipeline(
            "check.v16",
            prompt="check.v1",
            retrieval="dense",
            stages=(Scope(), VerdictOdds(), ReplyStates(), Citations(), Aggregate()),
            screen=True,
            description="check.v14 with the model's hidden state read where each statement's verdict "
            "begins (issue 14): the model's verdicts as they are; the states are the training data of "
            "a verifier head (evals/collect_states.py)",
        ),
        Pipeline(
            "check.v17",
            prompt="check.v1",
            retrieval="dense",
            stages=(
                *_calibrated("verdict.v8", VerdictOdds(), ReplyStates(), ProjectState.load("verdict.v8")),
                MarkUncertain(0.6),
            ),
            screen=True,
            description="check.v15 with a verifier head on the model's hidden state (issue 14): the state "
            "where each verdict begins, projected on its 32 principal components, is among the signals of "
            "verdict.v8, fitted on check.v16's replies and states of the seed dev half and 300 Check-COVID "
            "training claims; the rules, the claim calibration and the uncertain mark as in check.v15",
        ),
        Pipeline(
            "check.v18",
            prompt="check.v1",
            retrieval="dense",
            stages=(
                *_calibrated(
                    "verdict.v8",
                    VerdictOdds(),
                    ReplyStates(),
                    ProjectState.load("verdict.v8"),
                    scope=Scope(whole_claim=True),
                ),
                MarkUncertain(0.6),
            ),
            screen=True,
            description="check.v17 with the claim judged whole where the model restates it (issue 14): "
            "when a statement is the claim word for word, the model's other statements (its parts, or "
            "additions of its own) are set aside, so a stray addition no longer refutes the claim; the "
            "verifier head, the rules, the claim calibration and the uncertain mark as in check.v17",
        ),
        Pipeline(
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
            fallback="check.v10",
            description="check.v18 with the pair question (issue 14): each kept statement is put to the "
            "model again against the shown sentence closest to it in meaning (prompt pair.v1: supported, "
            "contradicted or unrelated, scored from the token probabilities), and the answers and their "
            "agreement with the written verdict are signals of verdict.v9, fitted as verdict.v8 on the same "
            "training claims with them; the rules, the claim calibration and the uncertain mark as in "
            "check.v18. A backend that cannot score text (a server) runs check.v10 instead",
        ),
        Pipeline(
            "check.v20",
            prompt="check.v1",
            retrieval="dense",
            stages=(
                *_calibrated(
                    "verdict.v10",
                    ReplyStates(),
                    ProjectState.load("verdict.v10"),
                    PairOdds(per_statement=1),
                    scope=Scope(whole_claim=True),
                ),
                MarkUncertain(0.6, pair_reason=True),
            ),
            screen=True,
            fallback="check.v10",
            description="check.v19 without the verdict odds (issue 14): the hidden state where each verdict "
            "begins is what the odds were read from, and with it and the pair answers the odds add nothing "
            "in training (verdict.v10, fitted as verdict.v9 without them: CV accuracy 0.737, AUROC 0.795), "
            "so the seven decoding steps a statement they cost are saved; a low-confidence claim whose pair "
            "answer disagrees with the written verdict says so. A backend that cannot score text (a server) "
            "runs check.v10 instead",
        ),
    )
}
DEFAULT_PIPELINE = "check.v19"


def get_pipeline(pipeline_id: str) -> Pipeline:
    """The pipeline with this id; a clear error names the known ones."""
    try:
        return PIPELINES[pipeline_id]
    except KeyError:
        known = ", ".join(sorted(PIPELINES))
        raise ConfigError(f"unknown pipeline {pipeline_id!r} (known: {known})") from None
