"""`factcheck eval` end to end through the CLI with fake models: reports, pipelines side by side, the gate."""

from __future__ import annotations

import json

import pytest

from assistant.evaluation import runner

from .conftest import SEED, FakeChatModel, FakeEmbeddings

LAW = "Im Jahr 2023 verabschiedete der US-Kongress"


@pytest.fixture
def dataset(tmp_path, seed_text):
    start = seed_text.index(LAW)
    end = seed_text.index(".", start) + 1
    items = [
        {"id": "a", "kind": "claim", "claim": "Congress passed a law in 2023.", "label": "supported",
         "lang": "en", "evidence": [{"quote": seed_text[start:end], "start": start, "end": end}]},
        {"id": "b", "kind": "claim", "claim": "Rutte was prime minister.", "label": "not_enough_info",
         "lang": "en", "evidence": []},
        {"id": "c", "kind": "question", "claim": "What did Congress pass?", "label": None, "lang": "en",
         "evidence": [{"quote": seed_text[start:end], "start": start, "end": end}]},
    ]  # fmt: skip
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in items) + "\n", encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def fake_eval_embedder(monkeypatch):
    monkeypatch.setattr(runner, "get_embedder", lambda name: FakeEmbeddings())


def _reply(verdict: str, sentences: list[int]) -> dict:
    return {"statements": [{"text": "s", "sentences": sentences, "verdict": verdict, "confidence": 0.7}]}


def test_eval_writes_reports_with_pipelines_side_by_side(run, fake_chat_model, dataset, tmp_path):
    # Main pipeline: a, b, c; then check.v1 on the two claims; then the naive baseline on them.
    fake_chat_model.enqueue(
        _reply("supported", [1]), _reply("refuted", [1]), _reply("supported", [1]),
        _reply("refuted", [1]), _reply("not_enough_info", []),
        _reply("supported", [1]), _reply("supported", [1]),
    )  # fmt: skip
    out_json, out_md = tmp_path / "r.json", tmp_path / "r.md"
    code, out, err = run(
        "eval", str(dataset), "--corpus", str(SEED), "--pipeline", "check.v22", "--compare", "check.v1",
        "--baseline", "--compare-embedders", "", "--report-json", str(out_json), "--report-md", str(out_md),
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out_json.read_text())
    assert report["n_items"] == 3 and report["config"]["pipeline"] == "check.v22"
    assert report["verdict_accuracy"] == 0.5
    rows = report["pipelines_compared"]["rows"]
    assert set(rows) == {"check.v22", "check.v1", "naive.v1"}
    assert rows["check.v1"]["accuracy"] == 0.5 and rows["naive.v1"]["accuracy"] == 0.5
    assert report["span_validity"] == 1.0
    assert all(item["result"]["pipeline"] == "check.v22" for item in report["items"])
    assert "Pipelines side by side" in out_md.read_text() and "scoring items (check.v1)" in err
    assert not fake_chat_model._replies  # every queued reply was used: each pipeline ran once per claim


def test_eval_gate_fails_with_exit_code_6(run, fake_chat_model, dataset, tmp_path):
    fake_chat_model.enqueue(_reply("refuted", [1]), _reply("refuted", [1]), _reply("supported", [1]))
    gate = tmp_path / "t.toml"
    gate.write_text("[min]\nverdict_accuracy = 0.9\n")
    code, _, err = run(
        "eval", str(dataset), "--corpus", str(SEED), "--compare-embedders", "", "--thresholds", str(gate)
    )
    assert code == 6
    assert "quality gate failed: verdict_accuracy" in err.strip().splitlines()[-1]


def test_eval_rejects_an_unknown_pipeline(run, dataset):
    code, _, err = run("eval", str(dataset), "--corpus", str(SEED), "--pipeline", "check.v99")
    assert code == 2 and "unknown pipeline 'check.v99'" in err


def test_eval_html_page_failed_items_and_plain_markdown_on_a_pipe(run, fake_chat_model, dataset, tmp_path):
    from .test_html_report import parse

    # a: right (supported), b: wrong (refuted for not_enough_info), c: a question
    fake_chat_model.enqueue(_reply("supported", [1]), _reply("refuted", [1]), _reply("supported", [1]))
    page = tmp_path / "eval.html"
    code, out, err = run(
        "eval", str(dataset), "--corpus", str(SEED), "--compare-embedders", "", "--html", str(page),
        "--pipeline", "model",  # the fake's verdicts, as queued
    )  # fmt: skip
    assert code == 0, err
    assert "3 items (2 claims, 1 question)" in out and "commit `unknown`" not in out
    assert "### Items the pipeline got wrong (1)" in out
    assert "| b | Rutte was prime minister. | not_enough_info | refuted |" in out
    html = page.read_text("utf-8")
    assert "Items the pipeline got wrong (1)" in html and "Rutte was prime minister." in html
    assert "<svg" in html and 'class="bin"' in html and "Confusion matrix" in html
    assert parse(html).scripts == 0 and f"HTML report → {page}" in err


def test_a_class_without_gold_items_has_no_recall(run, fake_chat_model, dataset, tmp_path):
    fake_chat_model.enqueue(_reply("supported", [1]), _reply("supported", [1]))
    code, out, _ = run(
        "eval", str(dataset), "--corpus", str(SEED), "--compare-embedders", "", "--limit", "1",
        "--report-json", str(tmp_path / "r.json"),
    )  # fmt: skip
    assert code == 0
    assert json.loads((tmp_path / "r.json").read_text())["nei_recall"] is None
    assert "| not_enough_info recall | n/a |" in out and "| not_enough_info | 0.000 | n/a | n/a | 0 |" in out
    assert "1 item (1 claim, 0 questions)" in out


@pytest.mark.parametrize("fake_chat_model", [FakeChatModel()])  # a backend without token probabilities
def test_eval_on_a_backend_that_cannot_score_reports_the_fallback_that_ran(
    run, fake_chat_model, dataset, tmp_path
):
    """check.v19 needs token probabilities; without them check.v22 runs, and the report says so."""
    fake_chat_model.enqueue(_reply("supported", [1]), _reply("refuted", [1]), _reply("supported", [1]))
    out_json = tmp_path / "r.json"
    code, _, err = run(
        "eval", str(dataset), "--corpus", str(SEED), "--pipeline", "check.v19", "--compare-embedders", "",
        "--report-json", str(out_json),
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out_json.read_text())
    assert report["config"]["pipeline"] == "check.v22"
    assert report["config"]["pipeline_asked"] == "check.v19"
    assert all(item["result"]["pipeline"] == "check.v22" for item in report["items"] if item.get("result"))
