"""Stage: compare the value each statement asserts with the source words the model quoted for it.

The extraction prompt asks the model to copy, per statement, the value it asserts and the words of a source
sentence that give the source's value for the same thing. This stage decides in code whether the two agree
(:mod:`assistant.judge.values`: numbers, fractions, years, months, names) and measures how close they are in
meaning with the retrieval embedder. Its outcome (same value: supports; different value: refutes; no quote:
not enough info) and whether the model's own verdict agrees with it become signals of the verdict stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..signals import cosine
from . import MODES, Draft, Mode, StageEnv
from .values import compare_values

#: Signal names this stage adds, in a fixed order.
NAMES: tuple[str, ...] = (
    "quote_given",
    "quote_found",
    "value_same",
    "value_different",
    "value_name_overlap",
    "value_quote_cos",
    "statement_quote_cos",
    "extraction_agrees",
    "extraction_disagrees",
)


@dataclass(frozen=True)
class CompareValues:
    """Adds the comparison's signals to every statement (``DraftStatement.measured``)."""

    modes: frozenset[Mode] = field(default=MODES)

    def run(self, draft: Draft, env: StageEnv) -> None:
        """Measure each statement's value against its quote."""
        for st in draft.statements:
            quote = st.quote_span.text if st.quote_span is not None else None
            value = (st.value or "").strip() or st.text
            signals = dict.fromkeys(NAMES, 0.0)
            signals["quote_given"] = float(st.quote is not None)
            if quote is None:
                outcome = "not_enough_info"
            else:
                cmp = compare_values(value, quote)
                v_value, v_quote, v_statement = env.embeddings.embed_documents([value, quote, st.text])
                signals.update(
                    quote_found=1.0,
                    value_same=float(cmp.outcome == "same"),
                    value_different=float(cmp.outcome == "different"),
                    value_name_overlap=cmp.name_overlap if cmp.name_overlap is not None else 0.0,
                    value_quote_cos=cosine(v_value, v_quote),
                    statement_quote_cos=cosine(v_statement, v_quote),
                )
                outcome = {"same": "supported", "different": "refuted"}.get(cmp.outcome, "unknown")
            if outcome != "unknown":
                agrees = outcome == st.model_verdict
                signals["extraction_agrees"] = float(agrees)
                signals["extraction_disagrees"] = float(not agrees)
            st.measured.update(signals)
