"""One contract for every chat backend: what the checker relies on, whichever model answers.

Each backend subclasses :class:`ChatBackendContract` with a ``backend`` fixture and a way to script (or, for
the real model, let be) its next reply. The fake backends of the unit suite are held to the same contract
as the real ones, so a test that passes on a fake says something about the product.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.errors import FactCheckError, ModelError
from assistant.llm import StructuredChat
from assistant.llm.cache import ReplyCache
from assistant.prompts_loader import load_prompt
from assistant.schemas import VERDICTS, ModelCheckReply

from .conftest import SEED
from .fakes import VALID_REPLY, FakeChatModel, FakeOpenAI, StatefulFakeChatModel, completion

CLAIM = "Mike Lee ist Senator aus Texas."


def _prompt() -> tuple[str, str]:
    sentences = [line for line in SEED.read_text("utf-8").splitlines() if "Mike Lee" in line][:2]
    numbered = [{"number": i + 1, "text": t} for i, t in enumerate(sentences)]
    return load_prompt("check.v1").render(claim=CLAIM, sentences=numbered)


class ChatBackendContract:
    """The promises of :class:`~assistant.llm.StructuredChat` over any backend."""

    #: Whether the backend can be told what to reply (fakes, scripted servers); the real model cannot.
    scripted = True
    #: Whether it gives token probabilities and hidden states (the local model and its fakes).
    scores = False

    @pytest.fixture
    def backend(self) -> Iterator[StructuredChat]:
        raise NotImplementedError

    def script(self, backend: StructuredChat, *replies: str) -> None:
        """Make the next replies these texts (scripted backends only)."""
        raise NotImplementedError

    def test_a_reply_is_parsed_into_the_schema_with_its_usage(self, backend):
        if self.scripted:
            self.script(backend, json.dumps(VALID_REPLY))
        system, user = _prompt()
        reply, usage = backend.ask(system, user, ModelCheckReply, prompt_id="check.v1")
        assert isinstance(reply, ModelCheckReply) and 1 <= len(reply.statements) <= 3
        assert all(st.verdict in VERDICTS for st in reply.statements)
        assert usage.reply is not None and ModelCheckReply.model_validate_json(usage.reply) == reply
        assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
        assert backend.name

    def test_a_cached_reply_is_the_same_reply_without_a_call(self, backend, tmp_path):
        backend.cache = ReplyCache(tmp_path / "cache.sqlite")
        if self.scripted:
            self.script(backend, json.dumps(VALID_REPLY))  # one reply only: a second call would fail
        system, user = _prompt()
        first, _ = backend.ask(system, user, ModelCheckReply, prompt_id="check.v1")
        again, usage = backend.ask(system, user, ModelCheckReply, prompt_id="check.v1")
        assert again == first and usage.cached

    def test_replies_that_never_fit_the_schema_are_one_model_error(self, backend):
        if not self.scripted:
            pytest.skip("the real model's grammar cannot produce a reply outside the schema")
        self.script(backend, *["not json"] * 5)
        with pytest.raises(ModelError, match="do not fit the expected JSON schema") as err:
            backend.ask("system", "user", ModelCheckReply)
        assert isinstance(err.value, FactCheckError) and "\n" not in str(err.value)

    def test_scoring_is_offered_only_where_the_backend_gives_it(self, backend):
        assert backend.can_score is self.scores
        system, user = _prompt()
        logprobs = backend.continuation_logprobs(system, user, '{"statements": [{"verdict": "', ['refuted"'])
        state = backend.reply_state(system, user, '{"statements": [{"verdict": "')
        if self.scores:
            assert logprobs is not None and len(logprobs) == 1 and logprobs[0] <= 0.0
            assert state is not None and len(state) > 0
        else:
            assert logprobs is None and state is None


def _structured(model: FakeChatModel) -> StructuredChat:
    return StructuredChat(
        chat_model=model,
        name="fake",
        schema_kwargs=lambda schema: {"response_format": {"type": "json_object", "schema": schema}},
    )


class TestQueueFake(ChatBackendContract):
    """The unit suite's plain fake: a queue of replies, no token probabilities (like a server)."""

    @pytest.fixture
    def backend(self) -> Iterator[StructuredChat]:
        yield _structured(FakeChatModel())

    def script(self, backend: StructuredChat, *replies: str) -> None:
        backend.chat_model.enqueue(*replies)  # type: ignore[attr-defined]


class TestScoringFake(TestQueueFake):
    """The fake the default pipeline runs on in unit tests: also probabilities and states, like local."""

    scores = True

    @pytest.fixture
    def backend(self) -> Iterator[StructuredChat]:
        yield _structured(StatefulFakeChatModel())


class TestOpenAICompatible(ChatBackendContract):
    """The openai backend through the real SDK and HTTP, against a scripted local server."""

    @pytest.fixture
    def backend(self) -> Iterator[StructuredChat]:
        from assistant.llm.openai_compat import make_openai_chat

        self.server = FakeOpenAI(respond=lambda body: self._next(body))
        self.replies: list[str] = []
        with self.server:
            yield make_openai_chat("qwen", self.server.base_url, None)

    def _next(self, body: dict) -> tuple[int, dict]:
        return 200, completion(self.replies.pop(0) if len(self.replies) > 1 else self.replies[0])

    def script(self, backend: StructuredChat, *replies: str) -> None:
        self.replies = list(replies)


@pytest.mark.integration
class TestLocalModel(ChatBackendContract):
    """The embedded model (llama.cpp): its replies are its own, and it scores."""

    scripted = False
    scores = True

    @pytest.fixture
    def backend(self, tmp_path: Path) -> Iterator[StructuredChat]:
        import os

        from assistant.llm import make_chat

        model_dir = Path(
            os.environ.get("FACTCHECK_MODEL_DIR") or Path.home() / ".cache" / "factcheck" / "models"
        )
        yield make_chat("local", model_dir=model_dir)
