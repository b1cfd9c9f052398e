"""Rejudging: a pipeline scored on another's stored results, where the two differ only after the model.

Two pipelines with the same prompt, retrieval, injection screen and model-reading stages (the verdict odds,
the states, with the same state projection) get the same model output; they may differ in their scope
stage, their verdict model and the stages after it. A stored result records, for every statement it kept,
all that its verdict stage read: the model's verdict and confidence, the odds, the state's components
(``research/replay.py``, :func:`draft_before_verdict`). The other pipeline's verdicts follow from it
without a model call: its scope stage on the kept statements, then its verdict stage and the stages after.
Its scope may set more statements aside than the stored one did, never fewer (those are not stored).
It may also add the pair question (:class:`~assistant.judge.pairs.PairOdds`), which reads only what a
result stores (each kept statement and the sentences shown); that stage then asks the model (or the reply
cache). It may leave out the verdict odds (:class:`~assistant.judge.odds.VerdictOdds`): the stored odds are
then forgotten before its scope stage, so nothing after reads them (:class:`ForgetOdds`).
``research/rejudge_eval.py`` writes the report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.errors import ConfigError
from assistant.judge import MODES, Draft, Mode, Stage, StageEnv
from assistant.judge.classify import Classify
from assistant.judge.fidelity import Fidelity
from assistant.judge.odds import NAMES as ODDS_NAMES
from assistant.judge.odds import VerdictOdds
from assistant.judge.pairs import PairOdds
from assistant.judge.scope import Scope
from assistant.judge.states import ProjectState
from assistant.pipelines import Pipeline
from assistant.result import correction_of, evidence_of
from research.replay import draft_before_verdict


@dataclass(frozen=True)
class ForgetOdds:
    """Rejudging only: a stored result's verdict odds removed, for a pipeline that does not read them."""

    modes: frozenset[Mode] = field(default=MODES)

    def run(self, draft: Draft, env: StageEnv) -> None:
        """Drop each statement's odds and their signals."""
        for st in draft.statements:
            st.model_probabilities = None
            for name in ODDS_NAMES:
                st.measured.pop(name, None)


def _setup(pipeline: Pipeline) -> tuple[object, ...]:
    return (pipeline.prompt, pipeline.retrieval, pipeline.screen, pipeline.reply)


def _before_verdict(pipeline: Pipeline) -> list[Stage]:
    """The stages before the verdict stage (a :class:`ConfigError` where there is none)."""
    index = next((i for i, s in enumerate(pipeline.stages) if isinstance(s, Classify)), None)
    if index is None:
        raise ConfigError(f"{pipeline.id} has no verdict stage: its results cannot be rejudged")
    return list(pipeline.stages[:index])


def _same_reading(old: Stage, new: Stage) -> bool:
    if type(old) is not type(new):
        return False
    if isinstance(old, Scope) and isinstance(new, Scope):
        return new.whole_claim or not old.whole_claim  # the new scope keeps no statement the old set aside
    if isinstance(old, ProjectState) and isinstance(new, ProjectState):
        return old.projection.same_as(new.projection)
    return old == new


def rejudging_stages(old: Pipeline, new: Pipeline) -> list[Stage]:
    """The stages of ``new`` that rejudge a result of ``old``: the odds forgotten where ``new`` reads none,
    its scope stage (if any), the pair question where ``old`` has none, its verdict stage and the stages
    after; a :class:`ConfigError` unless the two read the model alike otherwise."""
    before_old, before_new = _before_verdict(old), _before_verdict(new)
    rest = list(new.stages[len(before_new) :])
    # The fidelity stage reads only the statements and the sentences shown: it runs first where old has none
    # (on the statements old's scope kept; those it set aside are not stored).
    fidelity: list[Stage] = []
    if not any(isinstance(s, Fidelity) for s in before_old):
        fidelity = [s for s in before_new if isinstance(s, Fidelity)]
        before_new = [s for s in before_new if not isinstance(s, Fidelity)]
    forget: list[Stage] = []
    if not any(isinstance(s, VerdictOdds) for s in before_new):
        forget = [ForgetOdds()] if any(isinstance(s, VerdictOdds) for s in before_old) else []
        before_old = [s for s in before_old if not isinstance(s, VerdictOdds)]
    asked_again: list[Stage] = []
    if not any(isinstance(s, PairOdds) for s in before_old):
        asked_again = [s for s in before_new if isinstance(s, PairOdds)]
        before_new = [s for s in before_new if not isinstance(s, PairOdds)]
    alike = len(before_old) == len(before_new) and all(
        _same_reading(a, b) for a, b in zip(before_old, before_new, strict=True)
    )
    if _setup(old) != _setup(new) or not alike:
        raise ConfigError(
            f"{new.id} does not read the model as {old.id} does: its results cannot be rejudged"
        )
    scope = [s for s in before_new if isinstance(s, Scope)]
    return [*forget, *fidelity, *scope, *asked_again, *rest]


def documents_of(items: list[dict[str, Any]]) -> Callable[[str], str | None]:
    """Each document's text where the items' results show it (their retrieved sentences at their offsets,
    blanks between), so a stage that verifies a span against its source can run on a stored report."""
    spans: dict[str, dict[int, str]] = {}
    for item in items:
        for r in (item.get("result") or {}).get("retrieved", []):
            spans.setdefault(r["doc_id"], {})[int(r["start"])] = r["text"]
    texts: dict[str, str] = {}
    for doc_id, at in spans.items():
        chars = [" "] * max(start + len(text) for start, text in at.items())
        for start, text in at.items():
            chars[start : start + len(text)] = text
        texts[doc_id] = "".join(chars)
    return texts.get


def rejudged(item: dict[str, Any], stages: list[Stage], env: StageEnv) -> dict[str, Any]:
    """The report item as the new pipeline decides it (questions and failed items unchanged)."""
    result = item.get("result")
    if item["kind"] != "claim" or not result:
        return item
    draft = draft_before_verdict(result)
    for stage in stages:
        if "claim" in stage.modes:
            stage.run(draft, env)
    stored = {st["text"]: st for st in result["statements"]}
    statements = [
        {
            # a statement of the new stages (the claim refuted by a correction) has its evidence only
            **stored.get(
                st.text,
                {
                    "text": st.text,
                    "evidence": [evidence_of(e, env).model_dump(mode="json") for e in st.evidence],
                },
            ),
            "verdict": st.verdict,
            "confidence": st.confidence,
            "note": st.note,
            "signals": st.signals,
        }
        for st in draft.statements
    ]
    new_aside = [{"text": a.text, "reason": a.reason} for a in draft.set_aside]
    confidence = round(draft.confidence, 3)  # as the result shows it
    new_result = {
        **result,
        "verdict": draft.verdict,
        "confidence": confidence,
        "statements": statements,
        "set_aside": [*result.get("set_aside", []), *new_aside],
        "corrections": [correction_of(c, env).model_dump(mode="json") for c in draft.corrections],
    }
    new_result.pop("uncertain", None)
    if draft.uncertain is not None:
        new_result["uncertain"] = draft.uncertain
    return {
        **item,
        "pred": draft.verdict,
        "confidence": confidence,
        "set_aside": item.get("set_aside", 0) + len(new_aside),
        "result": new_result,
    }
