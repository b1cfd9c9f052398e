"""The CLI through its real entry point (main), with fake models injected behind App."""

import json
import re

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
        return App(resolve_settings(**flags), embeddings=FakeEmbeddings())

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


def test_check_a_file_of_claims_and_resume(run, fake_chat_model, tmp_path, monkeypatch):
    monkeypatch.setenv("FACTCHECK_PIPELINE", "model")  # the verdicts are the fake's, as queued
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


# ---- conventions: -h, --version, global options, stdin, progress, log, HTML ------------------------

_REPLY = {
    "statements": [{"text": "Lee is from Utah.", "sentences": [1], "verdict": "supported", "confidence": 0.9}]
}


def test_version_and_short_help(run):
    from assistant import __version__

    code, out, _ = run("--version")
    assert code == 0 and out.strip() == f"factcheck {__version__}"
    for args in (["-h"], ["check", "-h"], ["eval", "-h"]):
        code, out, _ = run(*args)
        assert code == 0 and "Usage:" in out and "-h, --help" in out


def test_help_is_plain_and_not_cut_at_80_columns(run, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run("eval", "--help")
    assert code == 0
    assert "--compare-embedders" in out and "…" not in out
    assert "<bool>" not in out and "[min]/[max]" in out


def test_global_options_go_before_the_command(run, tmp_path):
    other = tmp_path / "other"
    assert run("--home", str(other), "ingest", str(SEED))[0] == 0
    code, out, _ = run("--home", str(other), "docs", "--json")
    assert code == 0 and [d["doc_id"] for d in json.loads(out)] == ["musk-nato.de.txt"]
    assert json.loads(run("docs", "--json")[1]) == []  # the default home (FACTCHECK_HOME) is another
    # the command's own flag wins over the one before it
    assert json.loads(run("--home", str(other), "docs", "--json", "--home", str(tmp_path / "x"))[1]) == []


def test_docs_creates_no_index_when_nothing_is_indexed(run, tmp_path):
    code, out, _ = run("docs")
    assert code == 0 and "no documents in" in out
    assert not (tmp_path / "home").exists()
    code, _, err = run("remove", "a.txt")
    assert code == 1 and "nothing is indexed" in err and not (tmp_path / "home").exists()


def test_dash_reads_claims_from_stdin_one_per_line(run, fake_chat_model, monkeypatch):
    import io
    import sys

    run("ingest", str(SEED))
    fake_chat_model.enqueue(_REPLY, _REPLY)
    monkeypatch.setattr(sys, "stdin", io.StringIO("Mike Lee aus Utah\n\n  Musk und die NATO  \n"))
    code, out, err = run("check", "-", "--json")
    assert code == 0, err
    assert [json.loads(line)["claim"] for line in out.splitlines()] == [
        "Mike Lee aus Utah",
        "Musk und die NATO",
    ]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n \n"))
    code, _, err = run("check", "-")
    assert code == 2 and "no claims on stdin" in err


def test_check_shows_each_stage_with_seconds_on_a_terminal(run, fake_chat_model, monkeypatch):
    import io

    from rich.console import Console

    run("ingest", str(SEED))
    status = Console(file=io.StringIO(), force_terminal=True, width=120)
    monkeypatch.setattr(cli, "err", status)
    fake_chat_model.enqueue(_REPLY)
    code, out, _ = run("check", "--json", "Mike Lee aus Utah")
    assert code == 0 and json.loads(out)["verdict"] == "supported"  # stdout: one clean object
    shown = status.file.getvalue()
    for stage in ("retrieving…", "asking the model…", "verifying…"):
        assert re.search(re.escape(stage) + r"\x1b\[[0-9;]*m* *\d+ s", shown), stage


def test_checks_are_logged_without_secrets_and_logging_can_be_off(
    run, fake_chat_model, monkeypatch, tmp_path
):
    secret = "sk-very-secret-key-42"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    monkeypatch.setenv("FACTCHECK_PIPELINE", "model")  # the logged verdict is the fake's, as queued
    run("ingest", str(SEED))
    fake_chat_model.enqueue(_REPLY, _REPLY, _REPLY)
    assert run("check", f"Mike Lee aus Utah {secret}")[0] == 0
    assert run("--no-log", "check", "Mike Lee aus Utah")[0] == 0
    monkeypatch.setenv("FACTCHECK_LOG", "0")
    assert run("check", "Mike Lee aus Utah")[0] == 0
    monkeypatch.delenv("FACTCHECK_LOG")
    code, out, _ = run("log", "--json")
    [entry] = json.loads(out)
    assert (entry["claim"], entry["verdict"], entry["source"]) == (
        "Mike Lee aus Utah ***",
        "supported",
        "check",
    )
    assert secret.encode() not in (tmp_path / "home" / "log.sqlite").read_bytes()
    code, out, _ = run("log")
    assert code == 0 and "Mike Lee" in out and "***" in out and "supported" in out


def test_empty_log_says_so(run, tmp_path):
    code, out, _ = run("log")
    assert code == 0 and "no checks logged in" in out and not (tmp_path / "home").exists()


def test_check_and_check_file_write_an_html_report(run, fake_chat_model, tmp_path, seed_text):
    from .test_html_report import parse

    run("ingest", str(SEED))
    fake_chat_model.enqueue(_REPLY, _REPLY, _REPLY)
    page = tmp_path / "out" / "report.html"
    code, out, err = run(
        "check", "--json", "--html", str(page), "Der republikanische Senator Mike Lee aus Utah"
    )
    assert code == 0 and json.loads(out) and f"HTML report → {page}" in err
    [mark] = parse(page.read_text("utf-8")).marks
    assert mark["text"] == seed_text[int(mark["data-start"]) : int(mark["data-end"])]
    claims = tmp_path / "claims.txt"
    claims.write_text("Mike Lee aus Utah\nMusk und die NATO\n", encoding="utf-8")
    code, _, err = run("check", "--file", str(claims), "--html", str(page))
    assert code == 0, err
    assert len(parse(page.read_text("utf-8")).marks) == 2
    code, _, err = run("check", "x", "--html", str(tmp_path))
    assert code == 2 and "is a folder" in err


def test_eta_comes_from_the_mean_time_per_step():
    from rich.progress import Task

    from assistant.progress import EtaColumn

    clock = iter([0.0, 100.0])
    task = Task(0, "scoring", total=10, completed=0, _get_time=lambda: next(clock, 100.0))
    assert EtaColumn().render(task).plain == "eta –"
    task.start_time, task.completed = 0.0, 4  # 4 of 10 items in 100 s: 150 s left
    assert EtaColumn().render(task).plain == "eta 0:02:30"


def test_readme_documents_every_command_option_and_environment_variable():
    import typer.main

    from assistant.config import ENV

    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text("utf-8")
    reference = readme.split("## Command reference", 1)[1].split("\n## ", 1)[0]
    root = typer.main.get_command(cli.cli)
    missing = []
    for name, command in [("factcheck", root), *root.commands.items()]:
        if name != "factcheck" and f"`factcheck {name}" not in reference:
            missing.append(f"command {name}")
        for param in command.params:
            for opt in param.opts + param.secondary_opts:
                if opt.startswith("-") and f"`{opt}`" not in reference:
                    missing.append(f"{name} {opt}")
    missing += [f"env {var}" for var in ENV.values() if f"`{var}`" not in readme]
    assert not missing, f"README's command reference lacks: {missing}"


def test_check_json_leaves_the_judges_internals_to_debug(run, fake_chat_model, monkeypatch):
    """The default JSON is the README's contract: no signals, no model states; --debug adds them (#29)."""
    from assistant.schemas import DEBUG_FIELDS, CheckResult, Statement

    monkeypatch.setenv("FACTCHECK_PIPELINE", "server")  # a verdict stage that records its signals
    assert run("ingest", str(SEED))[0] == 0
    statement = {"text": "Congress passed a law in 2023.", "sentences": [1], "verdict": "supported"}
    reply = {"statements": [{**statement, "confidence": 0.8}]}
    documented = set(CheckResult.model_fields) - {"uncertain"}
    fake_chat_model.enqueue(reply)
    code, out, _ = run(
        "check", "--json", "Im Jahr 2023 verabschiedete der US-Kongress eine Gesetzesergänzung"
    )
    plain = json.loads(out)
    assert code == 0 and documented <= set(plain) and plain["corrections"] == []
    (statement,) = plain["statements"]
    assert set(statement) == set(Statement.model_fields) - DEBUG_FIELDS
    assert "state_0" not in out and "model_probabilities" not in out
    fake_chat_model.enqueue(reply)
    code, out, _ = run("check", "--json", "--debug", "Im Jahr 2023 verabschiedete der US-Kongress")
    (statement,) = json.loads(out)["statements"]
    assert code == 0 and statement["signals"] and "cos_best" in statement["signals"]
