"""Measured signals about one statement and its evidence, for the verdict stage.

A 1.5B model's verdict alone is a weak judge (see ``evals/RESULTS.md``). These signals are what else the
pipeline knows: how close the best source sentence is in meaning, whether the statement's numbers, years and
names appear in its evidence, whether the evidence only reports the fact as possible, whether one side is
negated. Each is general: no word lists tied to one article, no evaluation items.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.embeddings import Embeddings

from ..schemas import Verdict

#: Modal hedges in the languages of our sources and claims. Conditionals ("würde", "would") and reported
#: speech ("sei") are not hedges: they report what someone says or what would follow.
HEDGES = frozenset(
    """
    könnte könnten womöglich vermutlich möglicherweise eventuell wahrscheinlich vielleicht angeblich
    could might may possibly probably perhaps maybe likely allegedly reportedly
    pourrait pourraient peut-être probablement podría podrían quizás posiblemente
    """.split()
)
_WORD = re.compile(r"\w+", re.UNICODE)
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")
#: Negation words of the languages the claims come in (closed-class words, not topic words).
NEGATIONS = frozenset(
    """
    not no never none nobody nothing neither nor cannot without
    nicht kein keine keinen keinem keiner keines nie niemals niemand nichts weder ohne
    ne pas jamais aucun aucune sans no nunca ningún ninguna sin
    """.split()
)

#: Signal names, in the order a classifier reads them.
NAMES: tuple[str, ...] = (
    "model_supported",
    "model_refuted",
    "model_nei",
    "model_confidence",
    "n_evidence",
    "cos_best",
    "cos_cited",
    "cos_margin",
    "salient_overlap",
    "numbers_match",
    "numbers_mismatch",
    "hedged_evidence",
    "negation_mismatch",
)


@dataclass(frozen=True)
class StatementView:
    """What the verdict stage sees of one statement."""

    text: str
    model_verdict: Verdict
    model_confidence: float
    cited: Sequence[str]  # full text of each verified evidence sentence
    retrieved: Sequence[str]  # full text of each retrieved sentence, best first


def is_hedged(text: str) -> bool:
    """True when the text contains a modal hedge word."""
    return any(w in HEDGES for w in _WORD.findall(text.lower()))


def years(text: str) -> set[str]:
    """Four-digit years (1800–2099) mentioned in the text."""
    return set(_YEAR.findall(text))


def numbers(text: str) -> set[str]:
    """Numbers written with digits, normalised ("1.000" and "1,000" both become "1000")."""
    return {re.sub(r"[.,]", "", n) for n in _NUMBER.findall(text)}


def salient_tokens(text: str) -> set[str]:
    """Tokens that survive translation: numbers and capitalised words that do not start a sentence."""
    words = _WORD.findall(text)
    out = {w for w in words if w.isdigit()}
    for i, w in enumerate(words):
        if i > 0 and w[:1].isupper() and len(w) > 1:
            out.add(w.lower())
    return out


def negated(text: str) -> bool:
    """True when the text contains a negation word."""
    return any(w in NEGATIONS for w in _WORD.findall(text.lower()))


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors (0 for a zero vector)."""
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def compute(view: StatementView, embeddings: Embeddings) -> dict[str, float]:
    """All signals of :data:`NAMES` for one statement."""
    sentences = list(dict.fromkeys([*view.cited, *view.retrieved]))
    vectors = embeddings.embed_documents([view.text, *sentences]) if sentences else [[]]
    sims = dict(zip(sentences, (cosine(vectors[0], v) for v in vectors[1:]), strict=True))
    ranked = sorted(sims.values(), reverse=True)
    cos_best = ranked[0] if ranked else 0.0
    cos_cited = max((sims[s] for s in view.cited), default=0.0)
    # The sentence the statement is judged against: its best cited one, else the best retrieved one.
    best = (
        max(view.cited, key=lambda s: sims[s])
        if view.cited
        else (max(sentences, key=lambda s: sims[s]) if sentences else "")
    )
    claim_tokens = salient_tokens(view.text)
    overlap = (
        len(claim_tokens & {t.lower() for t in _WORD.findall(best)}) / len(claim_tokens)
        if claim_tokens
        else 0.0
    )
    claimed, stated = numbers(view.text), numbers(best)
    return {
        "model_supported": float(view.model_verdict == "supported"),
        "model_refuted": float(view.model_verdict == "refuted"),
        "model_nei": float(view.model_verdict == "not_enough_info"),
        "model_confidence": min(1.0, max(0.0, view.model_confidence)),
        "n_evidence": float(min(len(view.cited), 3)),
        "cos_best": cos_best,
        "cos_cited": cos_cited,
        "cos_margin": cos_best - (ranked[1] if len(ranked) > 1 else 0.0),
        "salient_overlap": overlap,
        "numbers_match": float(bool(claimed) and claimed <= stated),
        "numbers_mismatch": float(bool(claimed) and bool(stated) and not claimed & stated),
        "hedged_evidence": float(bool(best) and is_hedged(best) and not is_hedged(view.text)),
        "negation_mismatch": float(bool(best) and negated(best) != negated(view.text)),
    }
