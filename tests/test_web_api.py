"""The web app's JSON API through FastAPI's TestClient, with fake models: every endpoint and every error.

The API must answer what the CLI prints with ``--json`` (both are driven on the same state folder and
compared), refuse bad input with the CLI's message, and keep what was asked when a check fails.
"""

from __future__ import annotations

import json
import threading

import pytest
from fastapi.testclient import TestClient

from assistant.app import App
from assistant.config import resolve_settings
from assistant.errors import EndpointError
from assistant.web import create_app
from assistant.web.results import CheckRequestRecord, ResultStore

from .conftest import SEED, FakeEmbeddings
from .web_fakes import echo_app, verdict_for

CLAIM = "Im Jahr 2023 verabschiedete der US-Kongress eine Gesetzesergänzung"
LOCAL = "http://127.0.0.1"


def _client(web, **kw) -> TestClient:
    return TestClient(web, base_url=LOCAL, **kw)


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


@pytest.fixture
def echo(home):
    app, model = echo_app(home)
    web = create_app(app)
    with _client(web) as client:
        yield client, web.state.web, model


def _upload(client, *files):
    return client.post("/api/documents", files=[("file", f) for f in files])


def _seed(client):
    r = _upload(client, ("musk-nato.de.txt", SEED.read_bytes(), "text/plain"))
    assert r.status_code == 200, r.text
    return r.json()


# ---- the same JSON as the CLI ----------------------------------------------------------------------


def test_every_endpoint_answers_what_the_cli_prints(run, home, fake_chat_model, structured_fake):
    """ingest, docs, check, log and remove: the API's JSON equals the CLI's on the same state folder."""
    app = App(resolve_settings(home=str(home)), embeddings=FakeEmbeddings(), chat=structured_fake)
    reply = {"statements": [{"text": "Congress passed it.", "sentences": [1], "verdict": "supported",
                             "confidence": 0.8}]}  # fmt: skip
    with _client(create_app(app)) as client:
        code, cli_out, cli_err = run("check", "--json", CLAIM)
        r = client.post("/api/check", json={"claim": CLAIM})
        assert code == 1 and r.status_code == 409
        assert r.json() == {"error": cli_err.strip().removeprefix("error: "), "exit_code": 1}

        uploaded = _seed(client)
        added = {"doc_id": "musk-nato.de.txt", "action": "added", "n_sentences": 43}
        assert uploaded == {"documents": [added], "errors": []}
        code, cli_out, _ = run("docs", "--json")
        assert client.get("/api/documents").json() == json.loads(cli_out)

        fake_chat_model.enqueue(reply, reply)
        code, cli_out, _ = run("check", "--json", CLAIM)
        r = client.post("/api/check", json={"claim": CLAIM})
        assert code == 0 and r.status_code == 200
        api, cli = r.json(), json.loads(cli_out)
        api.pop("timings_ms"), cli.pop("timings_ms")
        assert api == cli and api["statements"][0]["evidence"]
        assert r.headers["content-location"].startswith("/checks/")

        code, cli_out, _ = run("log", "--json")
        assert client.get("/api/log").json() == json.loads(cli_out)
        assert [e["source"] for e in json.loads(cli_out)] == ["check", "web"]
        assert len(client.get("/api/log", params={"limit": 1}).json()) == 1

        r = client.delete("/api/documents/musk-nato.de.txt")
        assert r.status_code == 200 and r.json() == {"removed": "musk-nato.de.txt"}
        code, cli_out, cli_err = run("remove", "musk-nato.de.txt")
        r = client.delete("/api/documents/musk-nato.de.txt")
        assert code == 2 and r.status_code == 404
        assert r.json()["error"] == cli_err.strip().removeprefix("error: ")


def test_a_check_is_stored_under_its_permanent_link(echo):
    client, _, _ = echo
    _seed(client)
    r = client.post("/api/check", json={"claim": "Der Kongress stimmte nicht zu", "k": 3})
    assert r.status_code == 200 and r.json()["verdict"] == "refuted"
    status = client.get("/api/checks/" + r.headers["content-location"].rsplit("/", 1)[1]).json()
    assert status["status"] == "done" and status["result"] == r.json() and status["position"] == 0
    assert client.get("/api/checks/nope").status_code == 404


def test_doc_restricts_the_check_to_one_document(echo):
    client, _, _ = echo
    _seed(client)
    _upload(
        client, ("other.txt", "Ein ganz anderer Text über Hamburg. Er hat zwei Sätze.".encode(), "text/plain")
    )
    r = client.post("/api/check", json={"claim": "Hamburg hat zwei Sätze", "doc": "other.txt"})
    assert {s["doc_id"] for s in r.json()["retrieved"]} == {"other.txt"}


# ---- errors: the CLI's message, a status that says whose side ----------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"claim": "   "}, 400, "the claim is empty"),
        ({"claim": "x" * 2001}, 400, "the text to check has 2001 characters; at most 2000"),
        ({"claim": "x", "k": 0}, 500, "k must be a whole number from 1 to"),
        ({"claim": "x", "pipeline": "check.v999"}, 500, "check.v999"),
        ({"claim": "x", "doc": "missing.txt"}, 400, "no document 'missing.txt' in the index"),
        ({}, 422, "claim: Field required"),
        ({"claim": "x", "k": "many"}, 422, "k: Input should be a valid integer"),
    ],
)
def test_bad_checks_are_refused_with_the_clis_message(echo, body, status, message):
    client, _, model = echo
    _seed(client)
    r = client.post("/api/check", json=body)
    assert r.status_code == status and message in r.json()["error"], r.text
    assert model.calls == 0  # refused before the queue


def test_malformed_json_is_a_422(echo):
    client, _, _ = echo
    r = client.post("/api/check", content=b"{", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "error" in r.json()


def test_a_failed_check_keeps_its_request_and_the_worker_goes_on(home, monkeypatch):
    """The model fails (its error naming the API key): the key is masked, the claim is kept, and the next
    check still runs."""
    key = "sk-test-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    app, model = echo_app(home)
    failures = [EndpointError(f"endpoint refused key {key}")]
    real = model._generate

    def generate(*args, **kwargs):
        if failures:
            raise failures.pop()
        return real(*args, **kwargs)

    monkeypatch.setattr(model, "_generate", generate)
    with _client(create_app(app)) as client:
        _seed(client)
        r = client.post("/api/check", json={"claim": "Der Kongress stimmte zu"})
        assert r.status_code == 502 and key not in r.text and "***" in r.json()["error"]
        page = client.get(r.headers["content-location"])
        assert page.status_code == 502 and key not in page.text
        assert "Der Kongress stimmte zu" in page.text and "Try again" in page.text
        r = client.post("/api/check", json={"claim": "Der Kongress stimmte zu"})
        assert r.status_code == 200 and r.json()["verdict"] == "supported"


# ---- uploads -------------------------------------------------------------------------------------


def test_several_files_in_one_upload_and_a_bad_one_named_in_the_errors(echo, home):
    client, _, _ = echo
    r = _upload(
        client,
        ("musk-nato.de.txt", SEED.read_bytes(), "text/plain"),
        ("bild.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "text/plain"),
        ("leer.txt", b"  \n", "text/plain"),
    )
    assert r.status_code == 400
    body = r.json()
    assert [d["doc_id"] for d in body["documents"]] == ["musk-nato.de.txt"]
    assert len(body["errors"]) == 2
    assert body["errors"][0].startswith("bild.txt: looks like a binary file")
    assert body["errors"][1] == "leer.txt: file is empty"
    assert "upload-" not in r.text  # the temporary folder is not shown
    assert not list((home / "uploads").iterdir())  # and it is gone


def test_upload_names_cannot_leave_the_upload_folder(echo, home, tmp_path):
    client, _, _ = echo
    r = _upload(client, ("../../escape.txt", b"Ein Satz. Noch ein Satz.", "text/plain"))
    assert r.status_code == 200 and r.json()["documents"][0]["doc_id"] == "escape.txt"
    assert not (tmp_path / "escape.txt").exists() and not (home / "escape.txt").exists()
    for name in ("..", "/", "..."):
        r = _upload(client, (name, b"Ein Satz.", "text/plain"))
        assert r.status_code == 400 and "not a usable file name" in r.json()["errors"][0], name
    r = _upload(client, ("a.txt", b"Ein Satz.", "text/plain"), ("a.txt", b"Zwei.", "text/plain"))
    assert "uploaded twice" in r.json()["errors"][0]


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\a\\Bericht.txt", "Bericht.txt"),
        ("Über\x00sicht\u202e.txt", "Übersicht.txt"),
        (".hidden.txt", "hidden.txt"),
        ("<img src=x onerror=alert(1)>.txt", "_img src=x onerror=alert(1)_.txt"),
    ],
)  # fmt: skip
def test_safe_upload_name(given, kept):
    from assistant.web.security import safe_upload_name

    assert safe_upload_name(given) == kept


def test_an_oversized_upload_is_refused_with_413(home):
    app, _ = echo_app(home)
    web = create_app(app)
    from assistant.web import app as web_app

    limit = web_app.MAX_REQUEST_BYTES
    with _client(web) as client:
        big = b"Ein Satz. " * (limit // 10 + 1)
        r = _upload(client, ("big.txt", big, "text/plain"))
        assert r.status_code == 413 and "MiB limit" in r.json()["error"]
        assert client.get("/api/documents").json() == []


def test_no_file_is_a_422(echo):
    client, _, _ = echo
    r = client.post("/api/documents", data={"x": "1"})
    assert r.status_code == 422 and "file" in r.json()["error"]


# ---- access: token, host, cross-site ---------------------------------------------------------------

TOKEN = "a-long-enough-test-token-123"


def test_with_a_token_every_page_and_api_call_needs_it(home):
    app, _ = echo_app(home)
    with _client(create_app(app, token=TOKEN, loopback_only=False)) as client:
        for path in ("/api/documents", "/api/log", "/sources", "/check", "/history", "/api/openapi.json"):
            assert client.get(path).status_code == 401, path
        assert client.post("/api/check", json={"claim": "x"}).status_code == 401
        bad = {"Authorization": "Bearer wrong-token-wrong-token"}
        assert client.get("/api/documents", headers=bad).status_code == 401
        good = {"Authorization": f"Bearer {TOKEN}"}
        assert client.get("/api/documents", headers=good).json() == []
        assert client.get("/static/report.css").status_code == 200  # the login page's stylesheet
        r = client.post("/login", data={"token": "nope", "next": "/sources"}, follow_redirects=False)
        assert r.status_code == 401
        r = client.post("/login", data={"token": TOKEN, "next": "/sources"}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/sources"
        assert TOKEN not in r.headers["set-cookie"]  # the cookie holds a value derived from it
        assert client.get("/sources").status_code == 200


def test_on_loopback_only_loopback_host_names_are_answered(echo):
    client, _, _ = echo
    assert client.get("/api/documents").status_code == 200
    assert client.get("/api/documents", headers={"host": "evil.example"}).status_code == 400
    assert client.get("/api/documents", headers={"host": "localhost:8765"}).status_code == 200


def test_cross_site_posts_are_refused(echo):
    client, _, _ = echo
    file = [("file", ("a.txt", b"Ein Satz.", "text/plain"))]
    r = client.post("/api/documents", files=file, headers={"origin": "http://evil.example"})
    assert r.status_code == 403
    r = client.post("/api/documents", files=file, headers={"origin": "null"})
    assert r.status_code == 403
    r = client.post("/api/documents", files=file, headers={"sec-fetch-site": "cross-site", "origin": LOCAL})
    assert r.status_code == 403
    r = client.post("/api/documents", files=file, headers={"origin": LOCAL, "sec-fetch-site": "same-origin"})
    assert r.status_code == 200


def test_form_posts_need_the_csrf_token(echo):
    client, _, _ = echo
    _seed(client)
    client.get("/check")  # sets the CSRF cookie
    r = client.post("/check", data={"claim": "Der Kongress stimmte zu"}, follow_redirects=False)
    assert r.status_code == 403
    csrf = client.cookies["factcheck_csrf"]
    r = client.post("/check", data={"claim": "Der Kongress stimmte zu", "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/checks/")


# ---- queue -------------------------------------------------------------------------------------


def test_the_local_model_runs_one_check_at_a_time(home):
    app, model = echo_app(home, delay_s=0.02)
    with _client(create_app(app)) as client:
        _seed(client)
        answers: dict[str, dict] = {}

        def ask(i: int) -> None:
            claim = f"Behauptung Nummer {i} über den Kongress"
            answers[claim] = client.post("/api/check", json={"claim": claim}).json()

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert model.calls == 8 and model.max_overlap == 1
    assert all(a["claim"] == c and a["statements"][0]["text"] == c for c, a in answers.items())


def test_a_server_backend_runs_checks_at_once(home):
    app, model = echo_app(home, backend="openai")
    both_in = threading.Barrier(2, timeout=20)  # passes only if two replies are generated at the same time
    real = model._generate

    def generate(*args, **kwargs):
        both_in.wait()
        return real(*args, **kwargs)

    object.__setattr__(model, "_generate", generate)
    web = create_app(app)
    assert web.state.web.queue.workers > 1
    with _client(web) as client:
        _seed(client)
        out: list[int] = []

        def ask(i: int) -> None:
            out.append(client.post("/api/check", json={"claim": f"c{i}"}).status_code)

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert out == [200, 200]


def test_checks_asked_before_a_restart_run_at_the_next_start(home):
    app, _ = echo_app(home)
    with _client(create_app(app)) as client:
        _seed(client)
    ResultStore(home).add(
        "leftover", "2026-01-01T00:00:00+00:00", CheckRequestRecord("Der Kongress stimmte zu")
    )
    app, _ = echo_app(home)
    web = create_app(app)
    with _client(web) as client:
        job = web.state.web.queue.get("leftover")
        assert job is None or job.wait(20)
        status = client.get("/api/checks/leftover").json()
        assert status["status"] == "done" and status["result"]["verdict"] == verdict_for(
            "Der Kongress stimmte zu"
        )


def test_openapi_describes_the_api(echo):
    client, _, _ = echo
    spec = client.get("/api/openapi.json").json()
    assert {"/api/check", "/api/documents", "/api/documents/{doc_id}", "/api/log"} <= set(spec["paths"])
    assert "CheckResult" in spec["components"]["schemas"]


# ---- factcheck serve ---------------------------------------------------------------------------


def test_serve_refuses_a_public_address_without_a_token(run, monkeypatch, tmp_path):
    monkeypatch.delenv("FACTCHECK_TOKEN", raising=False)
    code, _, err = run("serve", "--host", "0.0.0.0")
    assert code == 2 and "--host 0.0.0.0 makes the app reachable from other machines" in err
    short = tmp_path / "token"
    short.write_text("short\n")
    code, _, err = run("serve", "--host", "0.0.0.0", "--token-file", str(short))
    assert code == 2 and "at least 16 characters" in err and "short" not in err.split("token-file")[0]
    code, _, err = run("serve", "--token-file", str(tmp_path / "missing"))
    assert code == 2 and "cannot be read" in err


def test_serve_says_when_the_port_is_taken(run, monkeypatch):
    from assistant.web.serve import listen

    monkeypatch.delenv("FACTCHECK_TOKEN", raising=False)
    taken = listen("127.0.0.1", 0)
    taken.listen()
    try:
        code, _, err = run("serve", "--port", str(taken.getsockname()[1]))
    finally:
        taken.close()
    assert code == 2 and "cannot listen on 127.0.0.1:" in err and "pass another --port" in err
