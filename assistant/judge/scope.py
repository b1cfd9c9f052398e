"""Stage: set aside statements that are not part of the claim (the rules are in :mod:`assistant.scope`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..schemas import SetAside
from ..scope import scope_statements
from . import Draft, Mode, StageEnv


@dataclass(frozen=True)
class Scope:
    """Keeps the statements that belong to the claim; the others are shown as set aside, never judged.

    ``whole_claim``: where a statement restates the claim word for word, it alone is judged (check.v18 on;
    :mod:`assistant.scope`, rule 3).
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
