"""The ``openai`` backend over HTTP: a real llama.cpp server (integration) and scripted fake servers.

The fake servers answer like an OpenAI-compatible endpoint would on a bad day (503, 401, nothing at all),
so retries and error messages are tested without a model.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from assistant.app import App
from assistant.config import Settings
from assistant.errors import ConfigError, EndpointError
from assistant.ingest import ingest_paths
from assistant.llm import openai_compat
from assistant.schemas import VERDICTS, CheckResult

from .conftest import SEED, FakeEmbeddings
from .fakes import VALID_REPLY, FakeOpenAI, completion
from .servers import closed_port_url, llama_server

CLAIM = "Mike Lee ist Senator aus Texas."


def _app(tmp_path: Path, base_url: str, *, api_key: str | None = None) -> App:
    """An App on the openai backend at ``base_url``, with fake embeddings and the seed ingested."""
    settings = Settings(
        home=tmp_path,
        index=str(tmp_path / "chroma"),
        embedder="fake",
        backend="openai",
        model_dir=tmp_path / "models",
        k=5,
        pipeline="check.v1",
        cache=False,
        model="qwen",
        base_url=base_url,
        api_key=api_key,
    )
    app = App(settings, embeddings=FakeEmbeddings())
    report = ingest_paths(app.store, app.embeddings, [SEED])
    assert report.ok and report.outcomes[0].n_sentences > 0
    return app


def _assert_exact_spans(result: CheckResult) -> None:
    seed_text = SEED.read_text("utf-8")
    for st in result.statements:
        for ev in st.evidence:
            assert seed_text[ev.start : ev.end] == ev.text


# ---- a real llama.cpp server ------------------------------------------------------------------------


@pytest.mark.integration
def test_check_through_a_real_llama_cpp_server(tmp_path):
    from assistant.llm.model_file import ensure_model

    model_dir = Path(os.environ.get("FACTCHECK_MODEL_DIR") or Path.home() / ".cache" / "factcheck" / "models")
    model = ensure_model(model_dir)
    # One thread: llama.cpp threads spin-wait for each other, so two threads on a 2-core machine drop to
    # seconds per token as soon as anything else runs (measured: 3.6 s/token with 2, 0.12 s with 1).
    with llama_server(model, n_threads=1, log_path=tmp_path / "llama-server.log") as base_url:
        app = _app(tmp_path, base_url)
        result = app.checker.check(CLAIM)
    assert isinstance(result, CheckResult)
    assert 1 <= len(result.statements) <= 3
    assert result.verdict in VERDICTS
    assert all(st.verdict in VERDICTS for st in result.statements)
    assert result.retrieved
    _assert_exact_spans(result)
    assert "qwen" in result.model and "openai" in result.model
    assert result.usage["prompt_tokens"] > 0


# ---- scripted fake servers --------------------------------------------------------------------------


def test_503_is_retried_until_the_server_answers(tmp_path):
    unavailable = {"error": {"message": "loading model", "type": "server_error"}}
    script = [(503, unavailable), (503, unavailable), (200, completion(json.dumps(VALID_REPLY)))]
    with FakeOpenAI(script) as server:
        app = _app(tmp_path, server.base_url)
        result = app.checker.check(CLAIM)
    assert len(server.requests) == 3
    assert result.verdict == "refuted"
    assert result.statements[0].evidence  # sentence [1] was resolved to a verified span
    _assert_exact_spans(result)
    assert result.usage["prompt_tokens"] == 120
    assert result.model == f"qwen (openai @ {server.base_url})"
    request = server.requests[-1]
    assert request["path"] == "/v1/chat/completions"
    assert request["json"]["model"] == "qwen"
    assert request["json"]["response_format"]["type"] == "json_schema"
    assert CLAIM in request["json"]["messages"][-1]["content"]


def test_429_is_retried_too(tmp_path):
    limited = {"error": {"message": "rate limit", "type": "rate_limit_error"}}
    script = [(429, limited), (200, completion(json.dumps(VALID_REPLY)))]
    with FakeOpenAI(script) as server:
        result = _app(tmp_path, server.base_url).checker.check(CLAIM)
    assert len(server.requests) == 2
    assert result.verdict == "refuted"


def test_a_server_that_stays_unavailable_is_an_endpoint_error(tmp_path, monkeypatch):
    monkeypatch.setattr(openai_compat, "MAX_RETRIES", 1)
    with FakeOpenAI([(503, {"error": {"message": "down"}})]) as server:
        app = _app(tmp_path, server.base_url)
        with pytest.raises(EndpointError, match="answered HTTP 503"):
            app.checker.check(CLAIM)
    assert len(server.requests) == 2  # the first try and one retry


def test_a_server_without_json_schema_gets_the_schema_as_json_object(tmp_path, monkeypatch):
    # llama-cpp-python's server (0.3.x) refuses ``json_schema`` with a 500 but takes ``json_object`` + schema.
    monkeypatch.setattr(openai_compat, "MAX_RETRIES", 0)
    refused = {
        "error": {
            "message": "1 validation error: {'type': 'literal_error', 'loc': ('body', 'response_format', "
            "'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema'}",
            "type": "internal_server_error",
        }
    }

    def respond(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if body["response_format"]["type"] == "json_schema":
            return 500, refused
        return 200, completion(json.dumps(VALID_REPLY))

    with FakeOpenAI(respond=respond) as server:
        app = _app(tmp_path, server.base_url)
        first = app.checker.check(CLAIM)
        app.checker.check("Mike Lee ist Senator aus Utah.")
    assert [r["json"]["response_format"]["type"] for r in server.requests] == [
        "json_schema",
        "json_object",
        "json_object",  # the fallback is remembered: no second refusal
    ]
    schema = server.requests[1]["json"]["response_format"]["schema"]
    assert schema["properties"]["statements"]["maxItems"] == 3
    assert first.verdict == "refuted"


def test_a_rejected_key_is_a_config_error_that_does_not_show_the_key(tmp_path):
    key = "sk-test-0123456789abcdef"
    rejected = {"error": {"message": f"Incorrect API key provided: {key}", "type": "invalid_request_error"}}
    with FakeOpenAI([(401, rejected)]) as server:
        app = _app(tmp_path, server.base_url, api_key=key)
        with pytest.raises(ConfigError) as err:
            app.checker.check(CLAIM)
    message = str(err.value)
    assert "OPENAI_API_KEY" in message and server.base_url in message
    assert key not in message and "0123456789" not in message
    assert len(server.requests) == 1  # an authentication failure is not retried
    assert server.requests[0]["headers"]["authorization"] == f"Bearer {key}"


def test_an_unreachable_endpoint_fails_in_bounded_time(tmp_path, monkeypatch):
    monkeypatch.setattr(openai_compat, "MAX_RETRIES", 1)
    url = closed_port_url(path="/v1")
    app = _app(tmp_path, url)
    t0 = time.monotonic()
    with pytest.raises(EndpointError, match=f"cannot reach {url}"):
        app.checker.check(CLAIM)
    assert time.monotonic() - t0 < 30


@pytest.mark.parametrize(
    "body",
    [
        {"unexpected": "shape"},
        {"choices": None},
        {"choices": [{"message": None}]},
        ["not", "an", "object"],
        b"<html><body>502 Bad Gateway</body></html>",
        b"",
    ],
)
def test_a_200_with_a_garbage_body_is_one_endpoint_error(tmp_path, body):
    with FakeOpenAI([(200, body)]) as server:
        app = _app(tmp_path, server.base_url)
        with pytest.raises(EndpointError) as err:
            app.checker.check(CLAIM)
    assert server.base_url in str(err.value)
    assert "\n" not in str(err.value)


def test_a_hanging_endpoint_fails_after_one_timeout_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(openai_compat, "TIMEOUT_S", 0.5)
    with FakeOpenAI(hang=True) as server:
        app = _app(tmp_path, server.base_url)
        with pytest.raises(EndpointError) as err:
            app.checker.check(CLAIM)
        # A stuck server is asked once, not MAX_RETRIES + 1 times.
        assert len(server.requests) == 1
    message = str(err.value)
    assert "no answer within 0.5 s" in message and "cannot reach" not in message


def test_retries_stop_at_the_total_time_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(openai_compat, "TOTAL_TIMEOUT_S", 0.0)  # no time for any retry
    with FakeOpenAI([(503, {"error": {"message": "down"}})]) as server:
        app = _app(tmp_path, server.base_url)
        with pytest.raises(EndpointError, match="HTTP 503 on the first try"):
            app.checker.check(CLAIM)
    assert len(server.requests) == 1


def test_500_is_retried_then_answers(tmp_path):
    script = [(500, {"error": {"message": "oops"}}), (200, completion(json.dumps(VALID_REPLY)))]
    with FakeOpenAI(script) as server:
        result = _app(tmp_path, server.base_url).checker.check(CLAIM)
    assert len(server.requests) == 2 and result.verdict == "refuted"


KEY = "sk-planted-0123456789abcdefXYZ"


def test_the_chat_never_prints_the_key_an_endpoint_echoes(tmp_path, monkeypatch):
    import io

    from rich.console import Console

    from assistant.chat import ChatSession

    monkeypatch.setattr(openai_compat, "MAX_RETRIES", 0)
    echo = {"error": {"message": f"upstream failed for key Bearer {KEY} (request 42)"}}
    with FakeOpenAI([(500, echo)]) as server:
        app = _app(tmp_path, server.base_url, api_key=KEY)
        console = Console(file=io.StringIO(), width=300)
        session = ChatSession(app, console)
        session.handle("Mike Lee ist Senator aus Texas.")
    shown = console.file.getvalue()
    assert "HTTP 500" in shown
    assert KEY not in shown and "0123456789abcdef" not in shown


def test_a_key_unknown_to_us_is_masked_too():
    from assistant.secrets import scrub

    assert "sk-other" not in scrub("failed for key Bearer sk-otherkey123456 at proxy")
    assert scrub("api_key=abcd1234efgh&x=1") == "api_key=***&x=1"
    # A password in a URL (a base URL with credentials in an error line or the check log) is masked too.
    assert (
        scrub("cannot reach http://bob:s3cret@127.0.0.1:8080/v1")
        == "cannot reach http://***@127.0.0.1:8080/v1"
    )
    assert scrub("see https://example.com/a@b") == "see https://example.com/a@b"


def test_a_planted_key_appears_in_no_output_and_nowhere_in_the_state_folder(tmp_path, monkeypatch, capsys):
    """check, batch, eval and chat against an endpoint that echoes the key in its error body."""
    import io
    import subprocess
    import sys

    from assistant import cli
    from assistant.config import resolve_settings

    home = tmp_path / "home"
    monkeypatch.setenv("FACTCHECK_HOME", str(home))
    monkeypatch.setenv("FACTCHECK_EMBEDDER", "fake")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setattr(openai_compat, "MAX_RETRIES", 0)

    def app_with_fake_embeddings(**flags):
        return App(resolve_settings(**flags), embeddings=FakeEmbeddings())

    monkeypatch.setattr(cli, "_app", app_with_fake_embeddings)
    claims = tmp_path / "claims.txt"
    claims.write_text("Mike Lee ist Senator aus Texas.\n", "utf-8")
    dataset = tmp_path / "gold.jsonl"
    dataset.write_text(
        json.dumps({"id": "k1", "kind": "claim", "claim": CLAIM, "label": "refuted", "lang": "de",
                    "evidence": [], "doc": SEED.name}) + "\n",
        "utf-8",
    )  # fmt: skip
    echo = {"error": {"message": f"quota exceeded for key Bearer {KEY} (org {KEY[:12]}…)"}}
    shown: list[str] = []
    with FakeOpenAI([(500, echo)]) as server:
        remote = ["--backend", "openai", "--model", "qwen", "--base-url", server.base_url]
        runs = [
            ["ingest", str(SEED)],
            ["check", *remote, CLAIM],
            ["check", "--json", *remote, CLAIM],
            ["check", *remote, "--file", str(claims)],
            ["eval", str(dataset), "--corpus", str(SEED), "--compare-embedders", "", "--report-json",
             str(home / "reports" / "r.json"), *remote],
            ["chat", *remote],
            ["check", "--api-key", KEY + "-flag", *remote, CLAIM],
        ]  # fmt: skip
        for args in runs:
            monkeypatch.setattr(sys, "argv", ["factcheck", *args])
            monkeypatch.setattr(sys, "stdin", io.StringIO(f"{CLAIM}\n"))
            with pytest.raises(SystemExit):
                cli.main()
            captured = capsys.readouterr()
            shown.append(captured.out + captured.err)
    transcript = "\n".join(shown)
    assert "HTTP 500" in transcript  # the errors were shown, with the key masked
    assert KEY not in transcript and "0123456789abcdef" not in transcript
    found = subprocess.run(
        ["grep", "-r", "-l", "0123456789abcdef", str(tmp_path)], capture_output=True, text=True
    )
    assert found.stdout == "", f"key found in {found.stdout}"


# ---- the CLI a user runs, through the real SDK -----------------------------------------------------


@pytest.fixture
def cli_on_server(tmp_path, monkeypatch, capsys):
    """``factcheck ARGS`` through the real entry point, SDK and HTTP, with fake embeddings: code, out, err."""
    import sys

    from assistant import cli
    from assistant.config import resolve_settings

    monkeypatch.setenv("FACTCHECK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FACTCHECK_EMBEDDER", "fake")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setattr(
        cli, "_app", lambda **flags: App(resolve_settings(**flags), embeddings=FakeEmbeddings())
    )

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["factcheck", *args])
        with pytest.raises(SystemExit) as exit_:
            cli.main()
        captured = capsys.readouterr()
        return int(exit_.value.code or 0), captured.out, captured.err

    assert run("ingest", str(SEED))[0] == 0
    return run


def test_check_json_through_the_cli_gives_a_verdict_with_verified_spans(cli_on_server):
    with FakeOpenAI([(200, completion(json.dumps(VALID_REPLY)))]) as server:
        remote = ["--backend", "openai", "--model", "qwen", "--base-url", server.base_url]
        code, out, err = cli_on_server("check", "--json", *remote, CLAIM)
    assert code == 0, err
    result = json.loads(out)
    assert result["verdict"] == "refuted"
    evidence = result["statements"][0]["evidence"]
    assert evidence, "the cited sentence became a verified span"
    seed_text = SEED.read_text("utf-8")
    assert all(seed_text[ev["start"] : ev["end"]] == ev["text"] for ev in evidence)
    assert server.requests[0]["json"]["model"] == "qwen"


@pytest.mark.parametrize(("status", "code"), [(401, 2), (500, 5)])
def test_an_endpoint_echoing_the_key_gives_one_line_and_the_key_stays_hidden(
    cli_on_server, tmp_path, monkeypatch, status, code
):
    monkeypatch.setattr(openai_compat, "MAX_RETRIES", 0)
    echo = {"error": {"message": f"denied for key Bearer {KEY} (request 7)", "type": "invalid_request_error"}}
    with FakeOpenAI([(status, echo)]) as server:
        remote = ["--backend", "openai", "--model", "qwen", "--base-url", server.base_url, "--api-key", KEY]
        exit_code, out, err = cli_on_server("check", *remote, CLAIM)
    assert exit_code == code
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and server.base_url in errors[0]
    assert KEY not in out + err and "0123456789abcdef" not in out + err
    import subprocess

    found = subprocess.run(
        ["grep", "-r", "-l", "0123456789abcdef", str(tmp_path)], capture_output=True, text=True
    )
    assert found.stdout == "", f"key found in {found.stdout}"
