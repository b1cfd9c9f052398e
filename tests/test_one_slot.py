"""The one-slot-changed gold claims: the loader's optional keys and the metrics on them (#29)."""

from __future__ import annotations

import json

import pytest

from assistant.errors import InputError
from assistant.evaluation.corrections import confident_accuracy, one_slot_metrics, shows_correction
from assistant.evaluation.datasets import load_jsonl
from assistant.evaluation.runner import ItemRecord

from .conftest import ROOT, SEED


def _item(**extra) -> dict:
    return {
        "id": "x-1", "kind": "claim", "claim": "Mike Lee ist Demokrat.", "label": "refuted", "lang": "de",
        "evidence": [], **extra,
    }  # fmt: skip


def test_the_loader_reads_slot_and_correct_and_refuses_half_of_them(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(_item(slot="party", correct="Republican")) + "\n", "utf-8")
    (item,) = load_jsonl(path, SEED).items
    assert (item.slot, item.correct) == ("party", "Republican")
    for bad in (_item(slot="party"), _item(slot="colour", correct="red")):
        path.write_text(json.dumps(bad) + "\n", "utf-8")
        with pytest.raises(InputError, match="'slot'"):
            load_jsonl(path, SEED)


def test_the_seed_set_has_one_slot_claims_in_both_halves_and_languages():
    items = [i for i in load_jsonl(ROOT / "evals" / "seed_claims.jsonl", SEED).items if i.slot]
    from assistant.evaluation.runner import split_of

    assert len(items) >= 30 and all(i.label == "refuted" and i.correct for i in items)
    assert {split_of(i.id) for i in items} == {"dev", "test"} and {i.lang for i in items} == {"en", "de"}
    assert {i.slot for i in items} >= {"person", "party", "place", "institution", "number", "year", "office"}


def _record(pred: str, corrections: list[dict], slot="party", correct="Republican") -> ItemRecord:
    result = {"verdict": pred, "corrections": corrections}
    return ItemRecord(
        "x", "claim", "en", "refuted", None, [], [], pred=pred, result=result, slot=slot, correct=correct
    )


SPAN = [{"doc_id": "d", "start": 0, "end": 5}]


def test_a_correction_counts_when_confirmed_with_a_span_and_the_right_value():
    right = {"confirmed": True, "evidence": SPAN, "slot": "party", "source_value": "Republican"}
    assert shows_correction(_record("refuted", [right]))
    assert not shows_correction(_record("refuted", [{**right, "confirmed": False}]))
    assert not shows_correction(_record("refuted", [{**right, "evidence": []}]))
    assert not shows_correction(_record("refuted", [{**right, "source_value": "Green"}]))
    number = {"confirmed": True, "evidence": SPAN, "slot": "number", "source_value": "2/3"}
    assert shows_correction(_record("refuted", [number], "number", "Zweidrittelmehrheit"))
    metrics = one_slot_metrics([_record("refuted", [right]), _record("supported", [])])
    assert (metrics["n"], metrics["refuted_recall"], metrics["correction_shown"]) == (2, 0.5, 0.5)


def test_confident_accuracy_counts_only_confident_verdicts():
    got = confident_accuracy(
        ["refuted", "supported", "refuted"], ["refuted", "refuted", "supported"], [0.9, 0.85, 0.5]
    )
    assert got == {"n": 2, "accuracy": 0.5}
