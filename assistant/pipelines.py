"""Pipeline versions: which prompt, which retrieval and which verdict stage a check runs.

A pipeline is versioned as a whole, so a report can show old and new side by side on the same items and a
result says which pipeline produced it. Add a version; never change what an existing one does.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError
from .retrieve import RetrievalMode


@dataclass(frozen=True)
class Pipeline:
    """One versioned configuration of the check chain."""

    id: str
    prompt: str
    retrieval: RetrievalMode
    #: The verdict stage after the model: None keeps the model's verdicts; otherwise the id of a verdict
    #: classifier (``assistant/verdict_models/<id>.json``) applied with the policy rules.
    verdict_model: str | None
    description: str
    #: Whether the scope stage sets aside statements that are not part of the claim (``assistant/scope.py``).
    scope: bool = False
    #: Whether retrieved sentences that address the model or imitate its reply are set aside before the
    #: prompt (``assistant/injection.py``), with more sentences retrieved in their place.
    screen: bool = False


PIPELINES: dict[str, Pipeline] = {
    p.id: p
    for p in (
        Pipeline(
            "check.v1",
            prompt="check.v1",
            retrieval="dense",
            verdict_model=None,
            description="dense retrieval, one decomposing prompt, the model's verdicts as they are",
        ),
        Pipeline(
            "naive.v1",
            prompt="naive.v1",
            retrieval="dense",
            verdict_model=None,
            description="baseline: top sentences and one verdict prompt, no decomposition",
        ),
        Pipeline(
            "check.v2",
            prompt="check.v1",
            retrieval="hybrid",
            verdict_model=None,
            description="check.v1 with hybrid retrieval (dense + BM25 over the best documents)",
        ),
        Pipeline(
            "check.v3",
            prompt="check.v1",
            retrieval="hybrid",
            verdict_model="verdict.v1",
            description="check.v2 with a verdict stage: a classifier over the model's verdict and "
            "measured signals, then the evidence, hedge and year rules",
        ),
        Pipeline(
            "check.v4",
            prompt="check.v1",
            retrieval="dense",
            verdict_model="verdict.v2",
            description="check.v1's dense retrieval with a verdict stage retrained on dense and hybrid "
            "dev replies (verdict.v2), then the same rules",
        ),
        Pipeline(
            "check.v5",
            prompt="check.v1",
            retrieval="dense",
            verdict_model="verdict.v3",
            scope=True,
            description="check.v4 with a scope stage that sets aside statements not part of the claim "
            "(copied source sentences, repeats), and the verdict stage retrained on the kept statements "
            "(verdict.v3)",
        ),
        Pipeline(
            "check.v6",
            prompt="check.v1",
            retrieval="dense",
            verdict_model="verdict.v4",
            scope=True,
            description="check.v5 with a calibrated claim confidence: verdict.v3's weights plus a Platt "
            "scaling fitted on the dev half's cross-validated claim verdicts (verdict.v4)",
        ),
        Pipeline(
            "check.v7",
            prompt="check.v1",
            retrieval="dense",
            verdict_model="verdict.v4",
            scope=True,
            screen=True,
            description="check.v6 with an injection screen: retrieved sentences that address the model or "
            "imitate its reply or prompt are set aside before the prompt and others retrieved in their "
            "place; identical to check.v6 when no retrieved sentence is flagged",
        ),
    )
}
DEFAULT_PIPELINE = "check.v7"


def get_pipeline(pipeline_id: str) -> Pipeline:
    """The pipeline with this id; a clear error names the known ones."""
    try:
        return PIPELINES[pipeline_id]
    except KeyError:
        known = ", ".join(sorted(PIPELINES))
        raise ConfigError(f"unknown pipeline {pipeline_id!r} (known: {known})") from None
