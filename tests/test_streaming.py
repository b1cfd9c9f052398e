"""Progress while a check runs: the retrieved sentences at once, each statement as the model streams it.

The streamed path must change nothing a user or a script relies on: the reply, the cache key, the JSON result.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk
from pydantic import PrivateAttr
from rich.console import Console

from assistant import cli
from assistant.check import Checker
from assistant.llm import StructuredChat
from assistant.llm.cache import ReplyCache
from assistant.llm.local import LlamaCppChatModel
from assistant.partial_json import ArrayItemStream
from assistant.retrieve import SentenceRetriever
from assistant.stages import ProgressHandler, StageHandler, StreamedStatement, reporting_stages

from .conftest import SEED, FakeChatModel

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _st(text: str, verdict: str = "supported", sentences: list[int] | None = None) -> dict[str, Any]:
    return {"text": text, "sentences": sentences or [1], "verdict": verdict, "confidence": 0.9}


REPLY = {
    "statements": [
        _st("Mike Lee ist Senator aus Utah."),
        _st('Lee nennt die NATO ein "Relikt" {sic} [sagt er]', "refuted", [2]),
    ]
}
#: How many characters each streamed piece of a fake reply has.
PIECE = 3


class StreamingFakeChatModel(FakeChatModel):
    """The queue-based fake that streams its reply in pieces of a few characters, logging each piece."""

    _log: list[tuple[str, Any]] = PrivateAttr(default_factory=list)

    @property
    def log(self) -> list[tuple[str, Any]]:
        return self._log

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        whole = self._generate(messages, stop, **kwargs).generations[0].message
        text = str(whole.content)
        for i in range(0, len(text), PIECE):
            self.log.append(("piece", i))
            yield ChatGenerationChunk(message=AIMessageChunk(content=text[i : i + PIECE]))
        yield ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=whole.usage_metadata))


@pytest.fixture
def fake_chat_model() -> StreamingFakeChatModel:
    """Every fixture built on the fake chat model (``structured_fake``, ``run``) streams in this module."""
    return StreamingFakeChatModel()


class Recorder:
    """A ProgressHandler's events, in order."""

    def __init__(self, log: list[tuple[str, Any]] | None = None) -> None:
        self.events: list[tuple[str, Any]] = log if log is not None else []
        self.handler = ProgressHandler(
            lambda stage: self.events.append(("stage", stage)),
            on_evidence=lambda sentences: self.events.append(("evidence", [s.text for s in sentences])),
            on_statement=lambda st: self.events.append(("statement", st)),
            on_reply=lambda: self.events.append(("reply", None)),
        )

    def of(self, kind: str) -> list[Any]:
        return [value for k, value in self.events if k == kind]


def _checker(store, embeddings, chat: StructuredChat) -> Checker:
    return Checker(store, SentenceRetriever(store=store, embeddings=embeddings), chat, pipeline="check.v1")


def _without_timings(out: str) -> dict[str, Any]:
    result = json.loads(out)
    result.pop("timings_ms")
    return result


# ---- the parser ----------------------------------------------------------------------------------

TRICKY = {
    "statements": [
        _st('braces } { and [ ] in a string, an escaped quote \\" and a backslash \\\\'),
        _st("ümlaut, \u2013 dash, \\u escapes: \u00e9"),
        _st('"statements": [{"text": "not an item"}]'),
    ]
}


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 10_000])
@pytest.mark.parametrize("ascii_only", [True, False])
def test_parser_yields_each_statement_of_a_split_reply(size, ascii_only):
    text = json.dumps(TRICKY, ensure_ascii=ascii_only)
    parser = ArrayItemStream()
    items = [item for piece in _pieces(text, size) for item in parser.feed(piece)]
    assert items == TRICKY["statements"]


def test_parser_yields_a_statement_exactly_when_its_closing_brace_arrives():
    text = json.dumps(REPLY)
    first = json.dumps(REPLY["statements"][0])
    end = text.index(first) + len(first)
    parser = ArrayItemStream()
    assert parser.feed(text[: end - 1]) == []  # all but the closing brace
    assert parser.feed(text[end - 1]) == [REPLY["statements"][0]]
    assert parser.feed(text[end:-5]) == []  # the second one is not closed yet
    assert parser.feed(text[-5:]) == [REPLY["statements"][1]]
    assert parser.feed(" ") == []


def test_parser_reads_only_the_array_under_its_key_and_never_raises():
    other = {"note": {"list": [{"text": "nested, not a statement"}]}, "statements": [_st("one")], "x": [{}]}
    parser = ArrayItemStream()
    assert [i for ch in json.dumps(other) for i in parser.feed(ch)] == [_st("one")]
    parser = ArrayItemStream()
    # A truncated reply yields what was complete; an item that is not JSON is skipped, not raised.
    assert parser.feed('{"statements": [{"text": "a"}, {"text": "b", "verdict": tru}, {"text": "c"') == [
        {"text": "a"}
    ]
    assert ArrayItemStream().feed("}}]] not json {") == []


# ---- the check chain -----------------------------------------------------------------------------


def test_evidence_then_each_statement_reach_the_handler_while_the_model_streams(
    seeded_store, fake_embeddings, structured_fake, fake_chat_model
):
    fake_chat_model.enqueue(REPLY)
    recorder = Recorder(fake_chat_model.log)  # one log: the handler's events among the model's pieces
    with reporting_stages(recorder.handler):
        result = _checker(seeded_store, fake_embeddings, structured_fake).check("Mike Lee aus Utah")
    events = [kind for kind, _ in recorder.events]
    statements = recorder.of("statement")
    assert statements == [StreamedStatement(s["text"], s["verdict"]) for s in REPLY["statements"]]
    # The evidence is shown before the model is asked; it is what the result lists as retrieved.
    assert events.index("evidence") < events.index("reply") < events.index("piece")
    assert recorder.of("evidence") == [[r.text for r in result.retrieved]]
    # The first statement arrives while the model is still writing the second one.
    first, second = events.index("statement"), len(events) - 1 - events[::-1].index("statement")
    assert first < second and "piece" in events[first:second]
    assert events[second + 1 :].count("piece") <= len("]}") // PIECE + 1
    assert [s.text for s in result.statements] == [s["text"] for s in REPLY["statements"]]


def test_a_retry_after_a_malformed_reply_starts_the_statements_over(
    seeded_store, fake_embeddings, structured_fake, fake_chat_model
):
    malformed = {"statements": [{"text": "no verdict here", "sentences": [1], "confidence": 0.5}]}
    fake_chat_model.enqueue(malformed, REPLY)
    recorder = Recorder()
    with reporting_stages(recorder.handler):
        result = _checker(seeded_store, fake_embeddings, structured_fake).check("Mike Lee aus Utah")
    assert result.schema_failures == 1
    kinds = [k for k, _ in recorder.events if k in ("reply", "statement")]
    assert kinds == ["reply", "statement", "reply", "statement", "statement"]


def test_without_a_progress_handler_the_model_is_not_streamed(
    seeded_store, fake_embeddings, structured_fake, fake_chat_model
):
    fake_chat_model.enqueue(REPLY, REPLY)
    checker = _checker(seeded_store, fake_embeddings, structured_fake)
    with reporting_stages(StageHandler(lambda _stage: None)):
        checker.check("Mike Lee aus Utah")
    checker.check("Mike Lee aus Utah")
    assert fake_chat_model.log == []


def test_a_cached_reply_still_answers_without_a_model_call(
    tmp_path, seeded_store, fake_embeddings, fake_chat_model
):
    cache = ReplyCache(tmp_path / "cache.sqlite")
    chat = StructuredChat(
        chat_model=fake_chat_model,
        name="fake",
        schema_kwargs=lambda schema: {"response_format": {"type": "json_object", "schema": schema}},
        cache=cache,
    )
    checker = _checker(seeded_store, fake_embeddings, chat)
    fake_chat_model.enqueue(REPLY)  # one reply: a second model call would fail the test
    streamed = Recorder()
    with reporting_stages(streamed.handler):
        first = checker.check("Mike Lee aus Utah")
    second = checker.check("Mike Lee aus Utah")  # not streamed: the same cache key finds the streamed reply
    cached = Recorder()
    with reporting_stages(cached.handler):
        third = checker.check("Mike Lee aus Utah")
    assert len(fake_chat_model.calls) == 1
    assert (first.usage["cached"], second.usage["cached"], third.usage["cached"]) == (0, 1, 1)
    same = {"timings_ms", "usage"}
    assert first.model_dump(exclude=same) == second.model_dump(exclude=same) == third.model_dump(exclude=same)
    assert len(streamed.of("statement")) == 2
    assert cached.of("statement") == [] and cached.of("evidence") == streamed.of("evidence")


# ---- the command line ----------------------------------------------------------------------------


def _terminal(monkeypatch) -> Console:
    status = Console(file=io.StringIO(), force_terminal=True, width=200)
    monkeypatch.setattr(cli, "err", status)
    return status


def test_check_json_is_the_same_with_the_live_display_on_a_terminal(run, fake_chat_model, monkeypatch):
    run("ingest", str(SEED))
    fake_chat_model.enqueue(REPLY, REPLY)
    code, plain, _ = run("check", "--json", "Mike Lee aus Utah")  # stderr not a terminal: nothing streamed
    assert code == 0 and fake_chat_model.log == []
    status = _terminal(monkeypatch)
    code, live, _ = run("check", "--json", "Mike Lee aus Utah")
    assert code == 0 and fake_chat_model.log  # streamed
    assert len(live.splitlines()) == 1 and _without_timings(live) == _without_timings(plain)
    shown = ANSI.sub("", status.file.getvalue())
    assert "model: Mike Lee ist Senator aus Utah. — supported, deciding…" in shown
    assert "musk-nato.de.txt #" in shown


def test_check_shows_the_evidence_then_the_statements_then_the_result(run, fake_chat_model, monkeypatch):
    run("ingest", str(SEED))
    fake_chat_model.enqueue(REPLY, REPLY)
    code, plain, _ = run("check", "Mike Lee aus Utah")
    status = _terminal(monkeypatch)
    code, live, _ = run("check", "Mike Lee aus Utah")
    assert code == 0
    seconds = re.compile(r"\d+\.\d s")  # the footer's total time
    assert seconds.sub("", live) == seconds.sub("", plain)  # stdout: the result as before
    shown = ANSI.sub("", status.file.getvalue())
    evidence = re.search(r"\d\.\d{3}  musk-nato\.de\.txt #\d+  \S", shown)
    first = shown.find("model: Mike Lee ist Senator aus Utah.")
    second = shown.find('model: Lee nennt die NATO ein "Relikt" {sic} [sagt er] — refuted, deciding…')
    assert evidence is not None and -1 < evidence.start() < first < second


def test_the_chat_on_a_terminal_shows_the_statements_while_the_model_writes(
    settings, structured_fake, fake_embeddings, seeded_store, fake_chat_model
):
    from assistant.app import App
    from assistant.chat import ChatSession

    app = App(settings, chat=structured_fake, embeddings=fake_embeddings, store=seeded_store)
    console = Console(file=io.StringIO(), force_terminal=True, width=200)
    session = ChatSession(app, console)
    fake_chat_model.enqueue(REPLY)
    session.handle("Mike Lee ist Senator aus Utah")
    shown = ANSI.sub("", console.file.getvalue())
    assert "model: Mike Lee ist Senator aus Utah. — supported, deciding…" in shown
    assert shown.index("musk-nato.de.txt #") < shown.index("model: ") < shown.index("Claim:")
    assert session.turns[-1].result.statements


@pytest.fixture
def settings(tmp_path):
    from assistant.config import Settings

    return Settings(
        home=tmp_path / "home",
        index=str(tmp_path / "chroma"),
        embedder="fake",
        backend="local",
        model_dir=tmp_path / "models",
        k=5,
        pipeline="check.v1",
    )


# ---- the embedded model's stream -----------------------------------------------------------------


class FakeLlama:
    """What LlamaCppChatModel uses of ``llama_cpp.Llama``, sampling the way llama.cpp does: the logits
    processor runs once per sampled token (the end-of-generation one too), seeing the context so far."""

    def __init__(self, pieces: list[str], prompt_tokens: int = 40) -> None:
        self.pieces = pieces
        self.prompt_tokens = prompt_tokens
        self.streamed: list[bool] = []

    def _sample(self, processors: Any, ids: list[int]) -> None:
        for p in processors:
            p(ids, None)

    def create_chat_completion(
        self, *, logits_processor: Any, max_tokens: int, stream: bool = False, **_: Any
    ):
        self.streamed.append(stream)
        ids = list(range(self.prompt_tokens))
        pieces = self.pieces[:max_tokens]
        finish = "length" if len(self.pieces) > max_tokens else "stop"

        def generate() -> Iterator[str]:
            for piece in pieces:
                self._sample(logits_processor, ids)
                ids.append(len(ids))
                yield piece
            if finish == "stop":
                self._sample(logits_processor, ids)  # samples the end of generation

        if not stream:
            text = "".join(generate())
            return {
                "choices": [{"message": {"content": text}, "finish_reason": finish}],
                "usage": {"prompt_tokens": self.prompt_tokens, "completion_tokens": len(pieces)},
            }

        def chunks() -> Iterator[dict[str, Any]]:
            yield {"choices": [{"delta": {"role": "assistant"}, "finish_reason": None}]}
            for piece in generate():
                yield {"choices": [{"delta": {"content": piece}, "finish_reason": None}]}
            yield {"choices": [{"delta": {}, "finish_reason": finish}]}

        return chunks()


@pytest.mark.parametrize("max_tokens", [600, 9])
def test_the_local_model_streams_the_same_reply_and_token_counts(max_tokens):
    pieces = _pieces(json.dumps(REPLY), 4)
    model = LlamaCppChatModel(model_path="unused.gguf")
    model._llm = FakeLlama(pieces)
    recorder = Recorder()
    tokens: list[str] = []
    recorder.handler.on_llm_new_token = lambda token, **kw: tokens.append(token)  # type: ignore[method-assign]
    plain = model.invoke("claim", max_tokens=max_tokens)
    streamed = model.invoke("claim", max_tokens=max_tokens, config={"callbacks": [recorder.handler]})
    assert model._llm.streamed == [False, True]  # LangChain chose the stream for the progress handler
    assert streamed.content == plain.content == "".join(pieces[:max_tokens])
    assert [t for t in tokens if t] == pieces[:max_tokens]
    assert streamed.usage_metadata == plain.usage_metadata
    assert plain.usage_metadata is not None
    assert plain.usage_metadata["output_tokens"] == len(pieces[:max_tokens])
    assert streamed.response_metadata["finish_reason"] == plain.response_metadata["finish_reason"]
