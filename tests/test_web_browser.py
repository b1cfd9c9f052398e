"""The pages in a real browser: Debian's chromium driven by Playwright, against the app on loopback.

Upload the seed, check a claim (fake model), see the evidence highlighted in the result and in the document,
paste a draft and see it annotated, keep screenshots (index/reports/web-check.png and web-draft.png, CI
artifacts), and prove that no request left localhost.
Skips cleanly without chromium or Playwright (Playwright's own browser download is never used).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from assistant.web import create_app

from .conftest import ROOT, SEED
from .web_fakes import LiveServer, echo_app

REPORTS = ROOT / "index" / "reports"
CLAIM = "Der US-Kongress verabschiedete 2023 eine Gesetzesergänzung"
DRAFT = (
    "Hier ist, was wir wissen. Elon Musk unterstützte 2025 einen Austritt der USA aus der NATO.\n\n"
    "Der US-Kongress stimmte dem Gesetz nicht zu.\n"
)


def _chromium() -> str | None:
    # Debian's /usr/bin/chromium is a shell wrapper; Playwright starts the binary itself.
    for path in ("/usr/lib/chromium/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if path and Path(path).is_file():
            return path
    return None


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    chromium = _chromium()
    if chromium is None:
        pytest.skip("chromium not found (Debian: apt-get install -y chromium; .ci/run installs it)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


def test_upload_check_and_see_the_highlighted_evidence(browser, tmp_path):
    app, _ = echo_app(tmp_path / "home", delay_s=0.3)  # slow enough for the progress line to show
    with LiveServer(create_app(app)) as server:
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        hosts: set[str] = set()
        page.on("request", lambda request: hosts.add(urlparse(request.url).hostname or request.url))
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

        page.goto(server.url + "/sources")
        page.set_input_files("input[name=file]", str(SEED))
        with page.expect_navigation():
            page.click("#upload button[type=submit]")
        assert "musk-nato.de.txt: added, 43 sentences" in page.content(), page.content()[-3000:]

        page.goto(server.url + "/check")
        page.fill("textarea[name=claim]", CLAIM)
        page.click("#check button[type=submit]")
        page.wait_for_selector("#progress")  # the check's own page, while it runs
        page.wait_for_selector("section#result", timeout=20_000)  # check.js reloads it when done
        mark = page.locator("section#result mark").first
        assert mark.is_visible()
        span = mark.inner_text()
        assert span and span in SEED.read_text("utf-8")
        assert page.locator("section#result .badge.supported").count() >= 1
        REPORTS.mkdir(parents=True, exist_ok=True)
        shot = REPORTS / "web-check.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

        page.click("text=in the document")
        highlighted = page.locator("mark#hl")
        assert highlighted.is_visible() and highlighted.inner_text() == span

        page.goto(server.url + "/history")
        assert page.locator("table.log a", has_text=CLAIM).count() == 1

        page.goto(server.url + "/draft")  # a pasted draft: claim n of N while it runs, then annotated
        page.fill("textarea[name=text]", DRAFT)
        page.click("#draft button[type=submit]")
        page.wait_for_selector("#progress")
        page.wait_for_selector("#annotated", timeout=30_000)
        claims = page.locator("#annotated a.claim")
        assert claims.count() == 2 and page.locator("#annotated a.claim.refuted").count() == 1
        claims.first.click()  # the claim links to its statements and evidence
        evidence = page.locator("section#claim-1 mark").first
        assert evidence.is_visible() and evidence.inner_text() in SEED.read_text("utf-8")
        page.screenshot(path=str(REPORTS / "web-draft.png"), full_page=True)
        page.close()
    assert hosts == {"127.0.0.1"}, hosts  # no request left localhost
    assert not errors, errors  # no script error, no refused resource (CSP)
