"""Stage: how likely the model finds each verdict it could have given, read from its own token probabilities.

A 1.5B model's written verdict and its self-reported confidence digits say little about when it is right
(``evals/RESULTS.md``). What it computes is richer: at the point of its reply where a statement's verdict
begins, the model assigns a probability to ``supported``, ``refuted`` and ``not_enough_info`` alike. This
stage scores the three as continuations of the reply up to that point (one short pass over the reply the
KV cache mostly holds already), normalises them over the three, and hands them to the verdict stage as
signals. The written verdict is unchanged.

Backends that cannot score given text (server backends) give no probabilities; the signals then stand at
the written verdict (probability 1 for it), the most the reply alone says.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from ..schemas import VERDICTS
from . import MODES, Draft, DraftStatement, Mode, StageEnv

#: Signal names this stage adds, in a fixed order.
NAMES: tuple[str, ...] = ("odds_supported", "odds_refuted", "odds_nei", "odds_margin")
#: Where a statement's verdict value begins in a reply's JSON (an escaped quote in a string never matches).
_VERDICT_SLOT = re.compile(r'"verdict"\s*:\s*"')


def odds_signals(probabilities: Mapping[str, float]) -> dict[str, float]:
    """The signals of :data:`NAMES` from the three verdict probabilities."""
    p = [float(probabilities.get(v, 0.0)) for v in VERDICTS]
    top, second = sorted(p, reverse=True)[:2]
    return dict(zip(NAMES, [*p, top - second], strict=True))


def normalised(logprobs: list[float]) -> list[float]:
    """Probabilities from log-probabilities, over these alternatives only."""
    top = max(logprobs)
    exps = [math.exp(v - top) for v in logprobs]
    return [e / sum(exps) for e in exps]


def verdict_slots(reply: str) -> list[int]:
    """The offset in ``reply`` at which each statement's verdict value begins, in reply order."""
    return [m.end() for m in _VERDICT_SLOT.finditer(reply)]


def verdict_prefixes(draft: Draft) -> Iterator[tuple[DraftStatement, str | None]]:
    """Each statement with the reply up to where its verdict begins (None: no reply, or no verdict there)."""
    slots = verdict_slots(draft.reply) if draft.reply is not None else []
    for st in draft.statements:
        if draft.reply is not None and st.position is not None and st.position < len(slots):
            yield st, draft.reply[: slots[st.position]]
        else:
            yield st, None


@dataclass(frozen=True)
class VerdictOdds:
    """Adds the model's verdict probabilities to every statement (``model_probabilities``, ``measured``)."""

    modes: frozenset[Mode] = field(default=MODES)

    def run(self, draft: Draft, env: StageEnv) -> None:
        """Score the three verdicts at each statement's verdict in the reply."""
        for st, prefix in verdict_prefixes(draft):
            probabilities: dict[str, float] | None = None
            if env.score is not None and prefix is not None:
                logprobs = env.score(prefix, [f'{v}"' for v in VERDICTS])
                if logprobs is not None:
                    # Rounded as the result shows them, so a replayed result gives the same signals.
                    probabilities = {
                        v: round(p, 4) for v, p in zip(VERDICTS, normalised(logprobs), strict=True)
                    }
            st.model_probabilities = probabilities
            # Unmeasured: the written verdict is all there is.
            st.measured.update(
                odds_signals(probabilities or {v: float(v == st.model_verdict) for v in VERDICTS})
            )
