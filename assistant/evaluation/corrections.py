"""Metrics of the one-slot-changed gold claims: refuted recall, and whether the result shows the correction.

A gold claim that changes one slot of a source sentence (``slot``: person, party, place, institution, number,
year, office, negation) records the source's value in ``correct``. Its result *shows the correction* when one
of its corrections is confirmed, carries a verified span and names that value (for a changed negation: a
confirmed correction of the negation). Also here: the accuracy of the confident verdicts (confidence of at
least :data:`CONFIDENT`), the verdicts a journalist would act on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..judge.fidelity import numbers_and_years, offices, parties
from ..judge.values import fold
from .runner import ItemRecord

#: A verdict at least this confident is one a reader would act on without checking it (issue #29's target).
CONFIDENT = 0.8


def _words(text: str) -> set[str]:
    return {fold(w)[:5] for w in text.replace("-", " ").split() if len(w) > 1}


def names_value(correct: str, slot: str, shown: str) -> bool:
    """Whether a correction's value ``shown`` names the gold ``correct`` value of a slot."""
    if slot == "negation":
        return True
    for extract in (lambda t: set().union(*numbers_and_years(t)), parties, offices):
        gold = extract(correct)
        if gold:
            return bool(gold & extract(shown))
    return bool(_words(correct) & _words(shown))


def shows_correction(record: ItemRecord) -> bool:
    """The result holds a confirmed correction, with a span, that names the gold item's correct value."""
    if record.result is None or record.correct is None:
        return False
    return any(
        c.get("confirmed")
        and c.get("evidence")
        and (record.slot != "negation" or c.get("slot") == "negation")
        and names_value(record.correct, record.slot or "", str(c.get("source_value", "")))
        for c in record.result.get("corrections", [])
    )


def one_slot_metrics(records: Sequence[ItemRecord]) -> dict[str, Any]:
    """Refuted recall and the share showing the right correction on the one-slot-changed claims."""
    items = [r for r in records if r.slot is not None and r.pred is not None]
    if not items:
        return {"n": 0, "refuted_recall": None, "correction_shown": None, "by_slot": {}}
    by_slot: dict[str, list[ItemRecord]] = {}
    for r in items:
        by_slot.setdefault(r.slot or "", []).append(r)

    def row(rs: list[ItemRecord]) -> dict[str, Any]:
        return {
            "n": len(rs),
            "refuted_recall": round(sum(r.pred == "refuted" for r in rs) / len(rs), 4),
            "correction_shown": round(sum(shows_correction(r) for r in rs) / len(rs), 4),
        }

    return {**row(items), "by_slot": {slot: row(rs) for slot, rs in sorted(by_slot.items())}}


def confident_accuracy(gold: Sequence[str], pred: Sequence[str], conf: Sequence[float]) -> dict[str, Any]:
    """How many verdicts reach :data:`CONFIDENT`, and the share of them that are right."""
    picked = [g == p for g, p, c in zip(gold, pred, conf, strict=True) if c >= CONFIDENT]
    return {"n": len(picked), "accuracy": round(sum(picked) / len(picked), 4) if picked else None}
