"""50 checks at once against the app on loopback (fake backend): all answered, none lost, none mixed up."""

from __future__ import annotations

import asyncio

from assistant.web import create_app

from .conftest import SEED
from .web_fakes import LiveServer, claims_for_load, echo_app, post_checks, verdict_for

N = 50


def test_fifty_concurrent_checks_are_all_answered_each_with_its_own_result(tmp_path):
    app, model = echo_app(tmp_path / "home")
    web = create_app(app)
    state = web.state.web
    with LiveServer(web) as server:
        import httpx

        r = httpx.post(server.url + "/api/documents", files={"file": ("musk-nato.de.txt", SEED.read_bytes())},
                       trust_env=False)  # fmt: skip
        assert r.status_code == 200
        claims = claims_for_load(N)
        answers = asyncio.run(post_checks(server.url, claims, timeout_s=120))
    assert [status for status, *_ in answers] == [200] * N
    for claim, (_, body, location, _) in zip(claims, answers, strict=True):
        assert body["claim"] == claim
        assert [s["text"] for s in body["statements"]] == [claim]  # the model's answer to this very claim
        assert body["verdict"] == verdict_for(claim)
        assert state.results.get(location.rsplit("/", 1)[1]).request.claim == claim
    assert len({location for _, _, location, _ in answers}) == N
    stored = state.results.recent(N + 10)
    assert len(stored) == N and {row.status for row in stored} == {"done"}
    assert model.calls == N and model.max_overlap == 1  # one model worker for everyone
