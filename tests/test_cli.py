"""The CLI through its real entry point (main), with fake models injected behind App."""

import json

import pytest

from assistant import cli
from assistant.app import App
from assistant.config import resolve_settings

from .conftest import SEED, FakeEmbeddings


def test_ingest_docs_check_json(run, fake_chat_model, seed_text):
    code, out, _ = run("ingest", str(SEED))
    assert code == 0 and "added" in out and "43 sentences" in out
    code, out, _ = run("ingest", str(SEED), "--json")
    assert json.loads(out)["documents"][0]["action"] == "unchanged"
    code, out, _ = run("docs", "--json")
    assert json.loads(out)[0]["doc_id"] == "musk-nato.de.txt"
    fake_chat_model.enqueue(
        {
            "statements": [
                {
                    "text": "Congress passed it in 2023.",
                    "sentences": [1],
                    "verdict": "supported",
                    "confidence": 0.8,
                }
            ]
        }
    )
    code, out, _ = run(
        "check", "--json", "Im Jahr 2023 verabschiedete der US-Kongress eine Gesetzesergänzung"
    )
    assert code == 0
    result = json.loads(out)
    assert set(result) >= {
        "claim",
        "verdict",
        "confidence",
        "statements",
        "retrieved",
        "dropped_citations",
        "model",
        "prompt_version",
        "timings_ms",
    }
    ev = result["statements"][0]["evidence"][0]
    assert set(ev) == {"doc_id", "doc_path", "sentence_id", "start", "end", "text"}
    assert seed_text[ev["start"] : ev["end"]] == ev["text"]
    assert set(result["retrieved"][0]) == {
        "doc_id",
        "sentence_id",
        "start",
        "end",
        "text",
        "score",
        "copies",
        "also",
    }


def test_human_output_shows_verdict_span_and_offsets(run, fake_chat_model):
    run("ingest", str(SEED))
    fake_chat_model.enqueue(
        {
            "statements": [
                {"text": "Lee is from Utah.", "sentences": [1], "verdict": "supported", "confidence": 0.9}
            ]
        }
    )
    code, out, _ = run("check", "Der republikanische Senator Mike Lee aus Utah")
    assert code == 0
    assert "SUPPORTED" in out and "musk-nato.de.txt" in out and "chars 121–187" in out


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["check", "anything"], "is empty: run `factcheck ingest PATH` first", 1),
        (["ingest", "/nonexistent/file.txt"], "no such file", 2),
        (["check", "x", "--doc", "nope.txt"], "no document 'nope.txt'", 2),
        (["check", "x", "--backend", "openai"], "needs a model name", 2),
        (["check", "x", "--embedder", "nope"], "unknown embedder", 2),
    ],
)
def test_errors_are_one_line_with_nonzero_exit(run, args, message, code, monkeypatch):
    if "--embedder" in args or "--backend" in args:
        monkeypatch.setenv("FACTCHECK_EMBEDDER", "use-multilingual")
        monkeypatch.setattr(cli, "_app", lambda **flags: App(resolve_settings(**flags)))
    got, out, err = run(*args)
    assert got == code
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_openai_backend_needs_key_and_never_prints_it(run, monkeypatch):
    monkeypatch.setenv("FACTCHECK_EMBEDDER", "use-multilingual")
    monkeypatch.setattr(cli, "_app", lambda **flags: App(resolve_settings(**flags)))
    code, _, err = run("check", "x", "--backend", "openai", "--model", "gpt-x")
    assert code == 2 and "OPENAI_API_KEY" in err


def test_malformed_model_reply_is_a_clear_error(run, fake_chat_model):
    run("ingest", str(SEED))
    fake_chat_model.enqueue("nope", "{", '{"statements": "x"}')
    code, _, err = run("check", "Lee Utah")
    assert code == 4
    assert "do not fit the expected JSON schema" in err


def test_locked_index(run, tmp_path):
    from filelock import FileLock

    run("ingest", str(SEED))
    lock = FileLock(str(tmp_path / "home" / "chroma" / "write.lock"))
    with lock:
        code, _, err = run("ingest", str(SEED))
    assert code == 3 and "locked" in err


def test_remove(run):
    run("ingest", str(SEED))
    code, out, _ = run("remove", "musk-nato.de.txt")
    assert code == 0
    code, out, _ = run("docs", "--json")
    assert json.loads(out) == []


def test_unreachable_endpoint_is_one_line_and_hides_the_key(run, monkeypatch):
    run("ingest", str(SEED))

    def app_with_real_chat(**flags):
        app = App(resolve_settings(**flags))
        app.__dict__["embeddings"] = FakeEmbeddings()
        return app

    monkeypatch.setattr(cli, "_app", app_with_real_chat)
    monkeypatch.setattr("assistant.llm.openai_compat.MAX_RETRIES", 0)
    secret = "sk-test-very-secret-key-123"
    code, out, err = run(
        "check",
        "Lee Utah",
        "--backend",
        "openai",
        "--model",
        "m",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--api-key",
        secret,
    )
    assert code == 5
    assert "cannot reach http://127.0.0.1:9/v1" in err
    assert secret not in out + err


def test_check_a_file_of_claims_and_resume(run, fake_chat_model, tmp_path):
    reply = {"statements": [{"text": "x", "sentences": [1], "verdict": "supported", "confidence": 0.8}]}
    claims = tmp_path / "claims.txt"
    claims.write_text("Mike Lee ist Senator aus Utah.\n\nMark Rutte leitet die NATO.\n", encoding="utf-8")
    assert run("ingest", str(SEED))[0] == 0
    fake_chat_model.enqueue(reply, reply)
    code, out, err = run("check", "--file", str(claims), "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["out"] == str(tmp_path / "claims.results.jsonl")
    assert (summary["checked"], summary["skipped"], summary["verdicts"]) == (2, 0, {"supported": 2})
    lines = [json.loads(x) for x in (tmp_path / "claims.results.jsonl").read_text("utf-8").splitlines()]
    assert [r["id"] for r in lines] == ["line-1", "line-3"]
    # nothing queued: a rerun must not call the model
    code, out, _ = run("check", "--file", str(claims))
    assert code == 0 and "checked 0, failed 0, skipped 2 already done" in out


def test_check_needs_exactly_one_of_claim_or_file(run, tmp_path):
    claims = tmp_path / "claims.txt"
    claims.write_text("a\n", encoding="utf-8")
    assert run("check")[0] == 2
    code, _, err = run("check", "Ein Satz.", "--file", str(claims))
    assert code == 2 and "either a CLAIM or --file" in err
    code, _, err = run("check", "Ein Satz.", "--concurrency", "2")
    assert code == 2 and "go with --file" in err
    code, _, err = run("check", "--file", str(tmp_path / "claims.csv"))
    assert code == 2 and ".txt file" in err
