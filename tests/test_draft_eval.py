"""The gold drafts and their evaluation: the file is what its builder makes, offsets verified, the metrics."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from assistant.errors import InputError
from assistant.evaluation.drafts import load_drafts
from assistant.evaluation.runner import split_of

from .conftest import ROOT, SEED

GOLD = ROOT / "evals" / "drafts.jsonl"


def test_gold_drafts_are_what_the_builder_makes_with_exact_offsets():
    done = subprocess.run(
        [sys.executable, "evals/build_draft_gold.py", "--check"], cwd=ROOT, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    drafts, docs = load_drafts(GOLD, ROOT / "seeds")
    seed = docs["musk-nato.de.txt"].text
    labels = [c.label for d in drafts for c in d.claims]
    assert len(labels) + sum(len(d.filler) for d in drafts) >= 40
    assert {d.lang for d in drafts} == {"en", "de"} and len(drafts) >= 3
    assert {"supported", "refuted", "not_enough_info"} == set(labels)
    for d in drafts:
        assert all(d.text[c.start : c.end] == c.text for c in d.claims)
        assert all(seed[e.start : e.end] == e.quote for c in d.claims for e in c.evidence)
    assert {split_of(d.id) for d in drafts} == {"dev", "test"}


def test_a_gold_draft_with_a_wrong_offset_is_refused(tmp_path):
    rec = json.loads(GOLD.read_text("utf-8").splitlines()[0])
    rec["claims"][0]["start"] += 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(rec) + "\n", "utf-8")
    with pytest.raises(InputError, match="text does not match draft"):
        load_drafts(bad, SEED)
    rec["claims"][0]["start"] -= 1
    rec["claims"][0]["evidence"][0]["start"] += 1
    bad.write_text(json.dumps(rec) + "\n", "utf-8")
    with pytest.raises(InputError, match="quote does not match"):
        load_drafts(bad, SEED)


def _reply(verdict: str, sentences: list[int]) -> dict:
    return {"statements": [{"text": "s", "sentences": sentences, "verdict": verdict, "confidence": 0.7}]}


def test_eval_drafts_scores_detection_verdicts_and_spans(run, fake_chat_model, tmp_path, monkeypatch):
    monkeypatch.setenv("FACTCHECK_PIPELINE", "model")  # the verdicts are the fake's, as queued
    text = (
        "Elon Musk backed a US exit from NATO over the weekend. What happens next? "
        "I think this is remarkable. Mark Rutte was elected pope in 2020."
    )
    a, b = text.index("Elon"), text.index("Mark")
    seed = SEED.read_text("utf-8")
    rec = {
        "id": "d1", "lang": "en", "text": text,
        "claims": [
            {"start": a, "end": text.index(" What"), "text": text[a : text.index(" What")], "label": "supported",  # noqa: E501
             "evidence": [{"quote": seed[0:120], "start": 0, "end": 120}]},
            {"start": b, "end": len(text), "text": text[b:], "label": "not_enough_info", "evidence": []},
        ],
        "filler": [{"start": text.index("What"), "end": text.index(" I think"), "text": "What happens next?"}],  # noqa: E501
    }  # fmt: skip
    gold = tmp_path / "drafts.jsonl"
    gold.write_text(json.dumps(rec) + "\n", "utf-8")
    thresholds = tmp_path / "t.toml"
    thresholds.write_text("[min]\nclaim_detection_recall = 1.0\nverdict_accuracy = 0.9\n", "utf-8")
    fake_chat_model.enqueue(_reply("supported", [1]), _reply("refuted", [1]))
    out_json = tmp_path / "r.json"
    code, out, err = run(
        "eval", str(gold), "--format", "drafts", "--corpus", str(SEED), "--report-json", str(out_json),
        "--thresholds", str(thresholds),
    )  # fmt: skip
    assert code == 6 and "quality gate failed: verdict_accuracy = 0.5 (needs ≥ 0.9)" in err
    report = json.loads(out_json.read_text("utf-8"))
    assert report["claim_detection_recall"] == 1.0 and report["claim_detection_precision"] == 1.0
    assert report["verdict_accuracy"] == 0.5 and report["draft_span_validity"] == 1.0
    assert report["source_span_validity"] == 1.0 and report["evidence_recall"] in (0.0, 1.0)
    assert "| claim detection recall | 1.000 |" in out
    assert "Mark Rutte was elected pope in 2020. — gold not_enough_info, got refuted" in out
