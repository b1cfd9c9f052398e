"""Batch checking: reading claim files, the resumable JSON-lines results file, failures and concurrency."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

from assistant.batch import ClaimInput, check_many, read_claims
from assistant.check import Checker
from assistant.errors import EndpointError, InputError
from assistant.llm import StructuredChat
from assistant.retrieve import SentenceRetriever


@pytest.fixture
def checker(seeded_store, fake_embeddings, structured_fake):
    retriever = SentenceRetriever(store=seeded_store, embeddings=fake_embeddings, k=5)
    # check.v1: the model's verdicts pass through, so these tests see the machinery, not the verdict stage.
    return Checker(seeded_store, retriever, structured_fake, pipeline="check.v1")


def _reply(verdict: str = "supported", sentences: tuple[int, ...] = (1,)) -> dict[str, Any]:
    return {
        "statements": [{"text": "s", "sentences": list(sentences), "verdict": verdict, "confidence": 0.8}]
    }


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


CLAIMS = [
    ClaimInput("a", "Mike Lee ist Senator aus Utah."),
    ClaimInput("b", "Mark Rutte ist NATO-Generalsekretär."),
    ClaimInput("c", "Der Kongress verabschiedete 2023 eine Gesetzesergänzung."),
]


# ---- reading claims ---------------------------------------------------------------------------------


def test_txt_claims_are_non_empty_lines_named_by_line_number(tmp_path):
    f = tmp_path / "claims.txt"
    f.write_bytes("\ufeffErste Behauptung.\n\n   \n  Zweite Behauptung.  \r\nDritte.".encode())
    assert read_claims(f) == [
        ClaimInput("line-1", "Erste Behauptung."),
        ClaimInput("line-4", "Zweite Behauptung."),
        ClaimInput("line-5", "Dritte."),
    ]


def test_jsonl_claims_with_ids_and_documents(tmp_path):
    f = tmp_path / "claims.jsonl"
    f.write_text(
        '{"claim": "Eins.", "id": "x1"}\n'
        "\n"
        '{"claim": " Zwei. ", "doc": "musk-nato.de.txt"}\n'
        '{"claim": "Drei.", "id": 7, "doc": null}\n',
        encoding="utf-8",
    )
    assert read_claims(f) == [
        ClaimInput("x1", "Eins."),
        ClaimInput("line-3", "Zwei.", "musk-nato.de.txt"),
        ClaimInput("7", "Drei."),
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("claims.csv", b"a,b\n", "a .txt file"),
        ("claims.jsonl", b'{"claim": "ok"}\n{"claim": "broken"\n', r"claims.jsonl line 2: not valid JSON"),
        ("claims.jsonl", b'{"claim": "ok"}\n\n{"id": "x"}\n', r"line 3: \"claim\" must be a non-empty"),
        ("claims.jsonl", b'["not", "an", "object"]\n', "line 1: expected an object"),
        ("claims.jsonl", b'{"claim": "a", "id": "x"}\n{"claim": "b", "id": "x"}\n', "duplicate claim id 'x'"),
        ("claims.jsonl", b'{"claim": "a", "id": "line-2"}\n{"claim": "b"}\n', "duplicate claim id 'line-2'"),
        ("claims.jsonl", b'{"claim": "a", "id": {"x": 1}}\n', r"line 1: \"id\" must be"),
        ("claims.txt", "Behauptung über Städte\n".encode("latin-1"), "not valid UTF-8"),
        ("claims.txt", b"\n  \n", "no claims found"),
    ],
)
def test_bad_claim_files_are_refused_with_a_clear_message(tmp_path, name, content, message):
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_claims(f)


def test_missing_claims_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_claims(tmp_path / "nope.txt")


# ---- checking and writing ---------------------------------------------------------------------------


def test_results_are_written_one_line_per_claim(checker, fake_chat_model, tmp_path, seed_text):
    fake_chat_model.enqueue(_reply("supported"), _reply("refuted"), _reply("not_enough_info", ()))
    out = tmp_path / "out" / "results.jsonl"
    progress: list[tuple[int, int]] = []
    summary = check_many(checker, CLAIMS, out, on_progress=lambda d, t: progress.append((d, t)))
    assert (summary.total, summary.skipped, summary.checked, summary.failed) == (3, 0, 3, 0)
    assert summary.verdicts == {"supported": 1, "refuted": 1, "not_enough_info": 1}
    assert progress == [(0, 3), (1, 3), (2, 3), (3, 3)]
    lines = _lines(out)
    assert [(r["id"], r["claim"], r["verdict"]) for r in lines] == [
        ("a", CLAIMS[0].claim, "supported"),
        ("b", CLAIMS[1].claim, "refuted"),
        ("c", CLAIMS[2].claim, "not_enough_info"),
    ]
    ev = lines[0]["statements"][0]["evidence"][0]
    assert seed_text[ev["start"] : ev["end"]] == ev["text"]
    assert lines[0]["prompt_version"] == "check.v1" and lines[0]["retrieved"]


def test_a_claim_restricted_to_a_document(checker, fake_chat_model, tmp_path):
    fake_chat_model.enqueue(_reply())
    claims = [ClaimInput("in", "NATO", doc="musk-nato.de.txt"), ClaimInput("missing", "NATO", doc="nope.txt")]
    summary = check_many(checker, claims, tmp_path / "r.jsonl")
    assert (summary.checked, summary.failed) == (1, 1)
    ok, failed = _lines(tmp_path / "r.jsonl")
    assert {r["doc_id"] for r in ok["retrieved"]} == {"musk-nato.de.txt"}
    assert failed == {"id": "missing", "claim": "NATO", "error": failed["error"]}
    assert "no document 'nope.txt'" in failed["error"]


def test_resume_skips_claims_that_have_a_result(checker, fake_chat_model, tmp_path):
    out = tmp_path / "r.jsonl"
    fake_chat_model.enqueue(_reply(), _reply())
    check_many(checker, CLAIMS[:2], out)
    before = out.read_bytes()
    # nothing queued: any model call would fail the test
    again = check_many(checker, CLAIMS[:2], out)
    assert (again.total, again.skipped, again.checked) == (2, 2, 0)
    assert out.read_bytes() == before
    fake_chat_model.enqueue(_reply("refuted"))
    more = check_many(checker, CLAIMS, out)
    assert (more.skipped, more.checked, more.verdicts) == (2, 1, {"refuted": 1})
    assert len(fake_chat_model.calls) == 3
    assert [r["id"] for r in _lines(out)] == ["a", "b", "c"]


def test_a_truncated_last_line_is_dropped_and_its_claim_checked_again(checker, fake_chat_model, tmp_path):
    out = tmp_path / "r.jsonl"
    fake_chat_model.enqueue(_reply(), _reply(), _reply())
    check_many(checker, CLAIMS, out)
    complete = out.read_bytes()
    lines = complete.splitlines(keepends=True)
    out.write_bytes(b"".join(lines[:2]) + lines[2][:57])  # a crash in the middle of writing "c"
    fake_chat_model.enqueue(_reply("refuted"))
    summary = check_many(checker, CLAIMS, out)
    assert (summary.skipped, summary.checked) == (2, 1)
    assert [(r["id"], r["verdict"]) for r in _lines(out)] == [
        ("a", "supported"),
        ("b", "supported"),
        ("c", "refuted"),
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chroma", "r.jsonl"]  # no temp file left


def test_a_complete_last_line_without_newline_is_kept(checker, fake_chat_model, tmp_path):
    out = tmp_path / "r.jsonl"
    fake_chat_model.enqueue(_reply(), _reply())
    check_many(checker, CLAIMS[:2], out)
    out.write_bytes(out.read_bytes().rstrip(b"\n"))
    fake_chat_model.enqueue(_reply())
    summary = check_many(checker, CLAIMS, out)
    assert (summary.skipped, summary.checked) == (2, 1)
    assert [r["id"] for r in _lines(out)] == ["a", "b", "c"]


def test_a_garbled_line_before_the_last_is_an_error_not_silently_dropped(checker, tmp_path):
    out = tmp_path / "r.jsonl"
    out.write_text('{"id": "a", "verdict": "supported"}\nnot json\n{"id": "b", "verdict": "supported"}\n')
    with pytest.raises(InputError, match="r.jsonl line 2 is not a results line"):
        check_many(checker, CLAIMS, out)


def test_a_model_error_is_recorded_and_the_rest_go_on(checker, fake_chat_model, tmp_path):
    out = tmp_path / "r.jsonl"
    fake_chat_model.enqueue(_reply(), "{", "{", "{", _reply("refuted"))  # "b" gets three malformed replies
    summary = check_many(checker, CLAIMS, out)
    assert (summary.checked, summary.failed, summary.verdicts) == (2, 1, {"supported": 1, "refuted": 1})
    a, b, c = _lines(out)
    assert (a["id"], c["id"], c["verdict"]) == ("a", "c", "refuted")
    assert set(b) == {"id", "claim", "error"} and b["id"] == "b" and b["claim"] == CLAIMS[1].claim
    assert "do not fit the expected JSON schema" in b["error"]
    # a rerun checks only the failed claim and replaces its error line
    fake_chat_model.enqueue(_reply("not_enough_info", ()))
    again = check_many(checker, CLAIMS, out)
    assert (again.skipped, again.checked, again.failed) == (2, 1, 0)
    assert [(r["id"], r["verdict"]) for r in _lines(out)] == [
        ("a", "supported"),
        ("c", "refuted"),
        ("b", "not_enough_info"),
    ]


def _fail_on(checker: Checker, monkeypatch, bad_claim: str) -> list[str]:
    """Make ``checker.check`` raise EndpointError for one claim; returns the claims it was asked."""
    real = checker.check
    asked: list[str] = []

    def check(claim, **kwargs):
        asked.append(claim)
        if claim == bad_claim:
            raise EndpointError("cannot reach http://127.0.0.1:9/v1")
        return real(claim, **kwargs)

    monkeypatch.setattr(checker, "check", check)
    return asked


def test_an_outage_stops_the_batch_and_keeps_what_is_done(checker, fake_chat_model, tmp_path, monkeypatch):
    out = tmp_path / "r.jsonl"
    asked = _fail_on(checker, monkeypatch, CLAIMS[1].claim)
    fake_chat_model.enqueue(_reply(), _reply())
    with pytest.raises(EndpointError, match="cannot reach"):
        check_many(checker, CLAIMS, out)
    assert asked == [CLAIMS[0].claim, CLAIMS[1].claim]  # "c" was never tried
    assert [r["id"] for r in _lines(out)] == ["a"]
    monkeypatch.undo()
    fake_chat_model._replies.clear()
    fake_chat_model.enqueue(_reply(), _reply())
    summary = check_many(checker, CLAIMS, out)
    assert (summary.skipped, summary.checked) == (1, 2)


def test_an_outage_stops_a_concurrent_batch(checker, fake_chat_model, tmp_path, monkeypatch):
    claims = [ClaimInput(f"c{i}", f"Behauptung Nummer {i}") for i in range(12)]
    asked = _fail_on(checker, monkeypatch, claims[0].claim)
    checker.chat = StructuredChat(ThreadSafeFake(), "threadsafe-fake", lambda schema: {})
    with pytest.raises(EndpointError):
        check_many(checker, claims, tmp_path / "r.jsonl", concurrency=2)
    assert len(asked) < len(claims)  # submissions stopped
    assert all("error" not in r for r in _lines(tmp_path / "r.jsonl"))


class ThreadSafeFake(BaseChatModel):
    """Replies derived from the claim, so results cannot be mixed up between threads.

    The first ``barrier_parties`` calls wait for each other: unless they run at the same time, the
    barrier times out and the test fails.
    """

    barrier_parties: int = 1
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _barrier: threading.Barrier | None = PrivateAttr(default=None)
    _claims: list[str] = PrivateAttr(default_factory=list)

    def model_post_init(self, context: Any) -> None:
        self._barrier = threading.Barrier(self.barrier_parties, timeout=20)

    @property
    def _llm_type(self) -> str:
        return "threadsafe-fake"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        user = str(messages[1].content)
        claim = user.rsplit("CLAIM:", 1)[1].rsplit("ANSWER:", 1)[0].strip()
        with self._lock:
            self._claims.append(claim)
            wait = len(self._claims) <= self.barrier_parties
        if wait:
            assert self._barrier is not None
            self._barrier.wait()
        verdict = "refuted" if claim.endswith("falsch") else "supported"
        statement = {"text": claim, "sentences": [1], "verdict": verdict, "confidence": 0.8}
        text = json.dumps({"statements": [statement]})
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


def test_concurrent_checks_are_all_written_with_their_own_results(checker, tmp_path):
    model = ThreadSafeFake(barrier_parties=3)
    checker.chat = StructuredChat(model, "threadsafe-fake", lambda schema: {})
    claims = [ClaimInput(f"c{i}", f"Behauptung {i} ist {'falsch' if i % 3 else 'wahr'}") for i in range(10)]
    out = tmp_path / "r.jsonl"
    progress: list[tuple[int, int]] = []
    summary = check_many(
        checker, claims, out, concurrency=3, on_progress=lambda d, t: progress.append((d, t))
    )
    assert (summary.checked, summary.failed) == (10, 0)
    assert summary.verdicts == {"supported": 4, "refuted": 6}
    assert sorted(model._claims) == sorted(c.claim for c in claims)  # each claim checked exactly once
    by_id = {r["id"]: r for r in _lines(out)}
    assert set(by_id) == {c.id for c in claims}
    for c in claims:
        r = by_id[c.id]
        assert r["claim"] == c.claim and r["statements"][0]["text"] == c.claim
        assert r["verdict"] == ("refuted" if c.claim.endswith("falsch") else "supported")
    assert progress[0] == (0, 10) and progress[-1] == (10, 10) and len(progress) == 11


def test_bad_arguments(checker, tmp_path):
    with pytest.raises(InputError, match="concurrency"):
        check_many(checker, CLAIMS, tmp_path / "r.jsonl", concurrency=0)
    with pytest.raises(InputError, match="duplicate claim id 'a'"):
        check_many(checker, [CLAIMS[0], CLAIMS[0]], tmp_path / "r.jsonl")
