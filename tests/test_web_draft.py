"""Drafts in the web app and the kept uploads, through FastAPI's TestClient with fake models.

``POST /api/draft`` must answer what ``factcheck draft --json -`` prints on the same state folder, refuse bad
input with the CLI's message and a status that says why, and run as one job on the model queue whose page
shows claim n of N, then the annotated draft. An uploaded source is kept under ``HOME/sources`` so its stored
path exists, and is deleted with its document.
"""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.app import App
from assistant.config import resolve_settings
from assistant.web import create_app

from .conftest import SEED, FakeEmbeddings
from .test_draft import CLAIMS, DRAFT, _reply
from .web_fakes import echo_app

LOCAL = "http://127.0.0.1"


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


@pytest.fixture
def echo(home):
    app, model = echo_app(home)
    web = create_app(app)
    with TestClient(web, base_url=LOCAL) as client:
        yield client, web.state.web, model


def _seed(client, name="musk-nato.de.txt", data=None):
    r = client.post("/api/documents", files=[("file", (name, data or SEED.read_bytes(), "text/plain"))])
    assert r.status_code == 200, r.text
    return r


def _csrf(client) -> str:
    client.get("/draft")
    return client.cookies["factcheck_csrf"]


# ---- the same JSON as the CLI ----------------------------------------------------------------------


def test_api_draft_answers_what_the_cli_prints(run, home, fake_chat_model, structured_fake, monkeypatch):
    monkeypatch.setenv("FACTCHECK_PIPELINE", "model")  # the verdicts are the fake's, as queued
    app = App(resolve_settings(home=str(home)), embeddings=FakeEmbeddings(), chat=structured_fake)
    with TestClient(create_app(app), base_url=LOCAL) as client:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(DRAFT.encode())))
        code, _, cli_err = run("draft", "-", "--json")  # nothing indexed
        r = client.post("/api/draft", json={"text": DRAFT})
        assert code == 1 and r.status_code == 409
        assert r.json() == {"error": cli_err.strip().removeprefix("error: "), "exit_code": 1}

        _seed(client)
        fake_chat_model.enqueue(*[_reply()] * 4)
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(("\ufeff" + DRAFT).encode())))
        code, cli_out, cli_err = run("draft", "-", "--json")
        assert code == 0, cli_err
        fake_chat_model.enqueue(*[_reply()] * 4)
        r = client.post("/api/draft", json={"text": "\ufeff" + DRAFT})
        assert r.status_code == 200, r.text
        api, cli = r.json(), json.loads(cli_out)
        api.pop("timings_ms"), cli.pop("timings_ms")
        assert api == cli and [c["text"] for c in api["claims"]] == CLAIMS
        assert all(DRAFT[c["start"] : c["end"]] == c["text"] for c in api["claims"])
        assert api["claims"][0]["statements"][0]["evidence"]
        assert r.headers["content-location"].startswith("/drafts/")
        status = client.get("/api/" + r.headers["content-location"].lstrip("/")).json()
        assert status["status"] == "done" and status["result"] == r.json()
        # each claim is logged as `factcheck draft` logs it
        assert [e["source"] for e in client.get("/api/log", params={"limit": 100}).json()].count("draft") == 8


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"text": "  \n"}, 400, "the draft is empty"),
        ({"text": "x" * (20 * 2**20 + 1)}, 413, "larger than 20 MiB"),
        ({"text": " ".join(f"Lee voted {n} times in the Senate." for n in range(200))}, 400, "--limit N"),
        ({"text": DRAFT, "limit": 0}, 400, "--limit must be at least 1"),
        ({"text": DRAFT, "doc": "nope.txt"}, 400, "no document 'nope.txt'"),
    ],
)
def test_bad_drafts_are_refused_with_the_clis_message(echo, body, status, message):
    client, state, model = echo
    _seed(client)
    r = client.post("/api/draft", json=body)
    assert r.status_code == status and message in r.json()["error"], r.text
    assert r.json()["exit_code"] == 2 and not state.drafts.recent(5) and model.calls == 0


def test_a_long_draft_with_a_limit_checks_the_first_claims(echo):
    client, _, _ = echo
    _seed(client)
    text = " ".join(f"Lee voted {n} times in the Senate." for n in range(200))
    r = client.post("/api/draft", json={"text": text, "limit": 3})
    assert r.status_code == 200 and r.json()["summary"]["checked"] == 3
    assert "beyond --limit 3" in r.json()["skipped"][-1]["reason"]


# ---- the Draft page --------------------------------------------------------------------------------


def _finished(client, url: str) -> str:
    draft_id = url.rsplit("/", 1)[1]
    for _ in range(500):  # a bound, not a measurement
        if client.get(f"/api/drafts/{draft_id}").json()["status"] in ("done", "failed"):
            return draft_id
        time.sleep(0.02)
    raise AssertionError("the draft did not finish")


def test_paste_a_draft_and_see_it_annotated_with_a_permanent_link(echo):
    client, _, _ = echo
    _seed(client)
    draft = DRAFT + "Der Kongress stimmte <b>nicht</b> zu.\n"
    r = client.post("/draft", data={"text": draft, "csrf": _csrf(client)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/drafts/")
    draft_id = _finished(client, r.headers["location"])
    page = client.get(f"/drafts/{draft_id}")
    assert page.status_code == 200
    html = page.text
    assert html.count('<a class="claim supported') == 4 and html.count('<a class="claim refuted') == 1
    assert "&lt;b&gt;nicht&lt;/b&gt;" in html and "<b>nicht</b>" not in html  # the draft is text
    assert 'href="#claim-1"' in html and 'id="claim-1"' in html and "/sources/musk-nato.de.txt?s=" in html
    assert f'href="/drafts/{draft_id}/report.html"' in html and 'href="/static/draft.css"' in html
    assert client.get("/static/draft.css").text.count("a.claim.refuted") == 1
    export = client.get(f"/drafts/{draft_id}/report.html")
    assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]
    assert export.text.count('<a class="claim supported') == 4 and "<script" not in export.text
    assert draft_id in client.get("/draft").text  # listed under recent drafts
    assert client.get("/drafts/nope").status_code == 404


def test_upload_a_draft_file(echo, tmp_path):
    client, _, _ = echo
    _seed(client)
    files = {"file": ("../entwurf.md", ("\ufeff" + DRAFT).encode(), "text/markdown")}
    r = client.post("/draft", data={"csrf": _csrf(client)}, files=files, follow_redirects=False)
    assert r.status_code == 303, r.text
    draft_id = _finished(client, r.headers["location"])
    result = client.get(f"/api/drafts/{draft_id}").json()["result"]
    assert result["draft"]["path"] == "entwurf.md" and [c["text"] for c in result["claims"]] == CLAIMS
    assert "<h1>entwurf.md</h1>" in client.get(f"/drafts/{draft_id}").text
    binary = {"file": ("d.txt", b"\x00\x01binary", "text/plain")}
    r = client.post("/draft", data={"csrf": _csrf(client)}, files=binary)
    assert r.status_code == 400 and "d.txt: looks like a binary file" in r.text and "draft-" not in r.text


def test_draft_form_errors_and_csrf(echo):
    client, _, _ = echo
    r = client.post("/draft", data={"text": DRAFT, "csrf": _csrf(client)})
    assert r.status_code == 409 and "is empty: run `factcheck ingest PATH` first" in r.text
    _seed(client)
    r = client.post("/draft", data={"text": DRAFT, "limit": "zwei", "csrf": _csrf(client)})
    assert r.status_code == 400 and "--limit must be a whole number" in r.text
    assert client.post("/draft", data={"text": DRAFT}).status_code == 403


def test_a_draft_is_one_job_on_the_model_queue_and_shows_claim_n_of_n(home):
    app, model = echo_app(home, delay_s=0.05)
    web = create_app(app)
    with TestClient(web, base_url=LOCAL) as client:
        _seed(client)
        state = web.state.web
        job = state.submit_draft(DRAFT)
        check = state.submit_check("Gab es Gesetz 1?")  # queued behind the whole draft
        seen: set[str] = set()
        while not job.wait(0.01):
            s = client.get(f"/api/drafts/{job.id}").json()
            if s["status"] == "running" and s["stage"].startswith("claim"):
                seen.add(s["stage"].split(":")[0])
                assert s["progress"]["total"] == 4 and s["progress"]["done"] < 4
                assert client.get(f"/api/checks/{check.id}").json()["position"] == 1
        assert check.wait(10) and check.result is not None
        assert model.max_overlap == 1
        assert seen and seen <= {f"claim {n} of 4" for n in range(1, 5)}, seen
        page = client.get(f"/drafts/{job.id}").text
        assert page.count('<a class="claim ') == 4


# ---- uploads are kept ------------------------------------------------------------------------------


def test_an_uploaded_source_is_kept_until_it_is_removed(echo, home):
    client, _, _ = echo
    _seed(client)
    [doc] = client.get("/api/documents").json()
    kept = Path(doc["path"])
    assert kept == (home / "sources" / "musk-nato.de.txt").resolve()
    assert kept.read_bytes() == SEED.read_bytes()
    r = client.post("/api/check", json={"claim": "Der Kongress beschloss ein Gesetz"})
    assert {Path(ev["doc_path"]) for st in r.json()["statements"] for ev in st["evidence"]} == {kept}

    # a refused file of the same name leaves the kept one (and the document) as it was
    r = client.post("/api/documents", files=[("file", ("musk-nato.de.txt", b"\x00\x01", "text/plain"))])
    assert r.status_code == 400 and "musk-nato.de.txt" in r.json()["errors"][0]
    assert "sources" not in r.json()["errors"][0] and kept.read_bytes() == SEED.read_bytes()
    # a changed file of the same name replaces it
    _seed(client, data=b"Ein neuer Text. Er hat zwei Saetze.")
    assert kept.read_bytes() == b"Ein neuer Text. Er hat zwei Saetze."

    assert client.delete("/api/documents/musk-nato.de.txt").status_code == 200
    assert not kept.exists() and client.get("/api/documents").json() == []


def test_kept_uploads_never_leave_the_sources_folder_and_other_files_are_not_touched(echo, home, tmp_path):
    client, state, _ = echo
    _seed(client, name="../../escape.txt", data=b"Ein Satz. Noch ein Satz.")
    assert (home / "sources" / "escape.txt").is_file() and not (tmp_path / "escape.txt").exists()
    outside = tmp_path / "mine.txt"
    outside.write_text("Ein Satz, den ich selbst ingestiert habe. Noch einer.", "utf-8")
    from assistant.ingest import ingest_paths

    ingest_paths(state.app.store, state.app.embeddings, [outside])
    assert client.delete("/api/documents/mine.txt").status_code == 200
    assert outside.is_file()  # a file ingested from disk is the user's, not the app's
    assert client.delete("/api/documents/escape.txt").status_code == 200
    assert not list((home / "sources").iterdir())
