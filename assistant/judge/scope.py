"""The scope stage: keep the statements that belong to the claim, set the others aside.

Asked to split a claim into atomic statements, the embedded 1.5B model often appends statements that are
not part of the claim at all: it copies or paraphrases a source sentence it was shown ("Elon Musk (l.) ist ein
Mann, auf den Donald Trump (r.) hört …" for a claim about Musk's role), or repeats a statement. It then judges
those too, and one stray "refuted" decides the whole claim. A statement that is part of the claim is close to
the claim in meaning; a copied source sentence is closer to that sentence than to the claim. This stage
measures both with the retrieval embedder and sets aside:

1. a statement that repeats an earlier one (same words, case and punctuation aside);
2. a statement that is not close to the claim (cosine below :data:`MIN_CLAIM_SIMILARITY`) and is closer to a
   retrieved source sentence than to the claim by more than :data:`SOURCE_MARGIN`;
3. with ``whole_claim`` (check.v18 on): every other statement, where a kept statement restates the claim
   word for word. The model then judged the claim whole; the others are its parts or additions of its own
   ("Elon Musk is a member of the US administration" beside "Musk is regarded as an influential voice in the
   US administration"), and under "any refuted statement refutes the claim" a stray addition decided it.
   The first statement that is the claim decides alone.

At least one statement always stays (the one closest to the claim). A set-aside statement is shown to the
reader with its reason but has no verdict and does not count towards the claim's. Both thresholds were chosen
on the dev half of the seed set, where any value of 0.6–0.85 and 0–0.2 set aside the same statements.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from langchain_core.embeddings import Embeddings

from ..schemas import SetAside
from . import Draft, Mode, StageEnv
from .signals import cosine

#: A statement at least this close to the claim is always part of it.
MIN_CLAIM_SIMILARITY = 0.7
#: How much closer to a source sentence than to the claim a statement must be to be set aside.
SOURCE_MARGIN = 0.1

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class ScopeDecision:
    """Whether one statement stays, and why not when it does not."""

    keep: bool
    reason: str | None = None
    claim_similarity: float = 0.0


def _words(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def scope_statements(
    claim: str,
    statements: Sequence[str],
    retrieved: Sequence[str],
    embeddings: Embeddings,
    *,
    whole_claim: bool = False,
) -> list[ScopeDecision]:
    """One decision per statement, in order (``whole_claim``: rule 3 of the module's docstring)."""
    if not statements:
        return []
    vectors = embeddings.embed_documents([claim, *statements, *retrieved])
    claim_vec, statement_vecs, source_vecs = (
        vectors[0],
        vectors[1 : 1 + len(statements)],
        vectors[1 + len(statements) :],
    )
    decisions: list[ScopeDecision] = []
    seen: set[str] = set()
    for text, vec in zip(statements, statement_vecs, strict=True):
        to_claim = cosine(claim_vec, vec)
        to_source = max((cosine(vec, s) for s in source_vecs), default=0.0)
        key = _words(text)
        if key in seen:
            decisions.append(ScopeDecision(False, "repeats an earlier statement", to_claim))
        elif to_claim < MIN_CLAIM_SIMILARITY and to_source > to_claim + SOURCE_MARGIN:
            decisions.append(
                ScopeDecision(
                    False,
                    f"not part of the claim: it restates a source sentence (similarity to the claim "
                    f"{to_claim:.2f}, to the source {to_source:.2f})",
                    to_claim,
                )
            )
        else:
            decisions.append(ScopeDecision(True, None, to_claim))
        seen.add(key)
    if not any(d.keep for d in decisions):
        best = max(range(len(decisions)), key=lambda i: decisions[i].claim_similarity)
        decisions[best] = ScopeDecision(True, None, decisions[best].claim_similarity)
    if whole_claim:
        decisions = _whole_claim(claim, statements, decisions)
    return decisions


def _whole_claim(
    claim: str, statements: Sequence[str], decisions: list[ScopeDecision]
) -> list[ScopeDecision]:
    """Rule 3: the first kept statement that is the claim word for word decides alone."""
    key = _words(claim)
    whole = next((i for i, d in enumerate(decisions) if d.keep and _words(statements[i]) == key), None)
    if whole is None:
        return decisions
    reason = f"part of statement {whole + 1}, which restates the claim whole and decides it"
    return [
        d if i == whole or not d.keep else ScopeDecision(False, reason, d.claim_similarity)
        for i, d in enumerate(decisions)
    ]


@dataclass(frozen=True)
class Scope:
    """Keeps the statements that belong to the claim; the others are shown as set aside, never judged.

    ``whole_claim``: where a statement restates the claim word for word, it alone is judged (check.v18 on;
    rule 3 above).
    """

    whole_claim: bool = False
    modes: frozenset[Mode] = field(default=frozenset(("claim",)))

    def run(self, draft: Draft, env: StageEnv) -> None:
        """Split the draft's statements into kept and set aside."""
        decisions = scope_statements(
            draft.text,
            [st.text for st in draft.statements],
            [s.text for s in draft.shown],
            env.embeddings,
            whole_claim=self.whole_claim,
        )
        draft.set_aside.extend(
            SetAside(text=st.text, reason=d.reason or "")
            for st, d in zip(draft.statements, decisions, strict=True)
            if not d.keep
        )
        draft.statements = [st for st, d in zip(draft.statements, decisions, strict=True) if d.keep]
