"""The web app's pages through the TestClient: what each shows, hostile content shown as text, the queue."""

from __future__ import annotations

import re
import threading

import pytest
from fastapi.testclient import TestClient

from assistant.web import create_app

from .conftest import SEED
from .web_fakes import echo_app

LOCAL = "http://127.0.0.1"
HOSTILE_ARTICLE = (
    "Der Rat tagte am Montag. <script>alert('article')</script> Er beschloss den Haushalt.\n\n"
    "Die Sitzung dauerte drei Stunden.\n"
)
HOSTILE_CLAIM = "Der Rat beschloss <b onmouseover=alert(1)>den Haushalt</b>"
HOSTILE_NAME = "<img src=x onerror=alert(2)>.txt"


@pytest.fixture
def client(tmp_path):
    app, _ = echo_app(tmp_path / "home")
    with TestClient(create_app(app), base_url=LOCAL) as client:
        client.get("/check")  # the CSRF cookie
        yield client


def _csrf(client) -> dict[str, str]:
    return {"csrf": client.cookies["factcheck_csrf"]}


def _upload_page(client, *files):
    return client.post("/sources", files=[("file", f) for f in files], data=_csrf(client))


def _check_page(client, claim: str, doc: str = "") -> str:
    r = client.post("/check", data={"claim": claim, "doc": doc, **_csrf(client)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"]


def _wait(client, url: str) -> None:
    job = client.app.state.web.queue.get(url.rsplit("/", 1)[1])
    assert job is None or job.wait(20)


def test_sources_upload_list_view_and_remove(client):
    r = _upload_page(client, ("musk-nato.de.txt", SEED.read_bytes(), "text/plain"))
    assert r.status_code == 200 and "musk-nato.de.txt: added, 43 sentences" in r.text
    row = re.search(r"<tr>\s*<td><a href=\"/sources/musk-nato.de.txt\">.*?</tr>", r.text, re.S)
    assert row and "<td>text</td>" in row.group(0) and '<td class="n">43</td>' in row.group(0)
    doc = client.get("/sources/musk-nato.de.txt", params={"s": 3})
    sentence = client.app.state.web.app.store.sentences_of("musk-nato.de.txt")[3]
    assert doc.status_code == 200
    marked = re.search(r'<mark id="hl">(.*?)</mark>', doc.text, re.S)
    assert marked and marked.group(1) == sentence.text.replace("&", "&amp;").replace('"', "&#34;")
    assert client.get("/sources/musk-nato.de.txt", params={"s": 999}).status_code == 404
    assert client.get("/sources/nope.txt").status_code == 400
    r = client.post("/sources/musk-nato.de.txt/remove", data=_csrf(client))
    assert r.status_code == 200 and "removed musk-nato.de.txt" in r.text and "Nothing indexed yet" in r.text
    assert client.post("/sources/musk-nato.de.txt/remove", data={}).status_code == 403  # no CSRF token


def test_a_check_page_shows_verdicts_evidence_links_and_export(client):
    _upload_page(client, ("musk-nato.de.txt", SEED.read_bytes(), "text/plain"))
    url = _check_page(client, "Der Kongress stimmte nicht zu")
    _wait(client, url)
    page = client.get(url).text
    assert 'class="claim refuted"' in page and "confidence 0.80" in page
    assert re.search(r"<mark data-doc=\"musk-nato.de.txt\"", page)
    assert f'href="{url}/report.html"' in page and "Permanent link" in page
    assert re.search(r'href="/sources/musk-nato.de.txt\?s=\d+#hl"', page)
    export = client.get(url + "/report.html")
    assert export.headers["content-disposition"].startswith("attachment")
    assert "<mark" in export.text and "Der Kongress stimmte nicht zu" in export.text
    history = client.get("/history").text
    assert f'<a href="{url}">Der Kongress stimmte nicht zu</a>' in history
    assert client.get("/checks/nope").status_code == 404


def test_check_form_errors_keep_the_claim(client):
    r = client.post("/check", data={"claim": "Nichts ist indexiert", **_csrf(client)})
    assert r.status_code == 409 and "is empty: run `factcheck ingest PATH` first" in r.text
    assert "Nichts ist indexiert</textarea>" in r.text


def test_hostile_article_claim_and_file_name_are_shown_as_text(client):
    r = _upload_page(client, (HOSTILE_NAME, HOSTILE_ARTICLE.encode(), "text/plain"))
    assert r.status_code == 200
    for html in (r.text, client.get("/sources").text):
        assert "<img" not in html and "<script>alert" not in html
    # The article's first line (its title) holds the script: listed as text.
    assert "&lt;script&gt;alert(&#39;article&#39;)&lt;/script&gt;" in client.get("/sources").text
    doc_id = client.app.state.web.documents()[0].doc_id
    assert "<script>alert" not in client.get(f"/sources/{doc_id}").text
    url = _check_page(client, HOSTILE_CLAIM)
    _wait(client, url)
    for html in (client.get(url).text, client.get(url + "/report.html").text, client.get("/history").text,
                 client.get("/check").text):  # fmt: skip
        assert "<b onmouseover" not in html and "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;b onmouseover=alert(1)&gt;den Haushalt&lt;/b&gt;" in html


def test_pages_load_nothing_from_elsewhere_and_forbid_inline_script(client):
    page = client.get("/check")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text)
    assert client.get("/static/check.js").status_code == 200
    assert ".badge" in client.get("/static/report.css").text


def test_the_queue_shows_each_visitor_their_place(tmp_path):
    app, model = echo_app(tmp_path / "home")
    gate = threading.Event()
    real = model._generate

    def generate(*args, **kwargs):
        assert gate.wait(20)
        return real(*args, **kwargs)

    object.__setattr__(model, "_generate", generate)
    with TestClient(create_app(app), base_url=LOCAL) as client:
        client.get("/check")
        _upload_page(client, ("musk-nato.de.txt", SEED.read_bytes(), "text/plain"))
        first = _check_page(client, "Erste Behauptung")
        second = _check_page(client, "Zweite Behauptung")
        state = client.app.state.web
        job = state.queue.get(first.rsplit("/", 1)[1])
        for _ in range(1000):  # until the worker has taken the first check (bounded)
            if job.stage:
                break
            threading.Event().wait(0.01)
        status = client.get("/api/checks/" + second.rsplit("/", 1)[1]).json()
        assert status["status"] == "queued" and status["position"] == 1
        page = client.get(second).text
        assert "place 1 in the queue" in page and 'src="/static/check.js"' in page
        assert client.get("/api/checks/" + first.rsplit("/", 1)[1]).json()["status"] == "running"
        # Nobody waits on these pages (the tabs are "closed"); both checks still finish and are stored.
        gate.set()
        _wait(client, first), _wait(client, second)
        for url in (first, second):
            assert client.get("/api/checks/" + url.rsplit("/", 1)[1]).json()["status"] == "done"
