"""Stage: the model asked again, one statement against one source sentence at a time.

The decomposing prompt asks a 1.5B model to split a claim, cite sentences and judge, all in one JSON reply;
its verdict leans to "refuted" and it hardly ever says "not_enough_info" (``evals/RESULTS.md``). A second,
much smaller question is one a small model answers better: given one source sentence and one statement,
is the statement supported by it, contradicted by it, or unrelated to it (prompt ``pair.v1``)? This stage
puts that question for each kept statement and the sentences shown to the model that are closest to it in
meaning, reads the model's probability of each answer from its token probabilities (no text is generated),
and hands the verdict stage four signals: the strongest support and contradiction over the pairs, how
unrelated even the most related sentence is, and how much the pairs agree with the verdict the model
wrote in its reply (agreement over two formulations). The written verdict is unchanged.

Backends that cannot score given text (server backends) give no probabilities; the signals then stand at
the written verdict, as the verdict odds' do (:mod:`.odds`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..injection import escape_source
from ..prompts_loader import load_prompt
from ..records import Sentence
from ..schemas import VERDICTS, Verdict
from . import MODES, Draft, DraftStatement, Mode, StageEnv
from .odds import normalised
from .signals import cosine

#: The prompt of the question; its answers, in the order of VERDICTS.
PROMPT = "pair.v1"
ANSWERS: tuple[str, ...] = ("supported", "contradicted", "unrelated")
#: Signal names this stage adds, in a fixed order.
NAMES: tuple[str, ...] = ("pair_supported", "pair_refuted", "pair_nei", "pair_agrees")


def pair_signals(pairs: list[dict[Verdict, float]], written: Verdict) -> dict[str, float]:
    """The signals of :data:`NAMES` from each pair's answer probabilities (none: the written verdict's)."""
    if not pairs:
        pairs = [{v: float(v == written) for v in VERDICTS}]
    supported = max(p["supported"] for p in pairs)
    refuted = max(p["refuted"] for p in pairs)
    nei = min(p["not_enough_info"] for p in pairs)
    # How strongly the pairs say what the reply wrote: the best pair's probability of the written verdict,
    # except that "not enough info" needs every pair to say so.
    agrees = nei if written == "not_enough_info" else max(p[written] for p in pairs)
    return dict(zip(NAMES, (supported, refuted, nei, agrees), strict=True))


@dataclass(frozen=True)
class PairOdds:
    """Adds the pair question's signals to every statement (``measured``)."""

    #: How many of the shown sentences, the closest to the statement in meaning first, each is paired with.
    per_statement: int = 2
    modes: frozenset[Mode] = field(default=MODES)

    def fixed_part(self) -> str:
        """The question's system prompt, the same for every pair (read once, then kept in the KV cache)."""
        return load_prompt(PROMPT).render(sentence="", claim="")[0]

    def closest(self, st: DraftStatement, draft: Draft, env: StageEnv) -> list[Sentence]:
        """The shown sentences paired with the statement: the closest in meaning, best first."""
        if not draft.shown:
            return []
        vectors = env.embeddings.embed_documents([st.text, *(s.text for s in draft.shown)])
        scored = sorted(
            zip(draft.shown, (cosine(vectors[0], v) for v in vectors[1:]), strict=True),
            key=lambda pair: -pair[1],
        )
        return [s for s, _ in scored[: self.per_statement]]

    def run(self, draft: Draft, env: StageEnv) -> None:
        """Ask the pair question for every statement and its closest sentences."""
        prompt = load_prompt(PROMPT)
        for st in draft.statements:
            pairs: list[dict[Verdict, float]] = []
            if env.score_prompt is not None:
                for sentence in self.closest(st, draft, env):
                    system, user = prompt.render(sentence=escape_source(sentence.text), claim=st.text)
                    logprobs = env.score_prompt(prompt.id, system, user, list(ANSWERS))
                    if logprobs is None:
                        break
                    # Rounded as results show numbers, so a replayed result gives the same signals.
                    pairs.append(
                        {v: round(p, 4) for v, p in zip(VERDICTS, normalised(logprobs), strict=True)}
                    )
            st.measured.update(pair_signals(pairs, st.model_verdict))
