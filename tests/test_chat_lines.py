"""The chat reads what is not a claim as a command or a hint, answers only with supported statements, and
exports what a result says in full (#29)."""

from __future__ import annotations

import pytest

from assistant.chat_commands import session_markdown
from assistant.conversation import Turn
from assistant.schemas import SetAside

from .test_chat import Chat, _st, _statement, app, settings  # noqa: F401  (fixtures)

#: Lines a user types that are neither claims nor questions.
NOT_CLAIMS = [
    "quit", "exit", "help", "clear", "Quit", "EXIT.", "bye", "q", "hello", "hi!", "thanks", "thank you",
    "ok", "yes", "no", "danke", "hallo", "test", "NATO", "sources",
]  # fmt: skip


@pytest.mark.parametrize("line", NOT_CLAIMS)
def test_a_line_that_is_not_a_claim_is_never_checked(settings, app, fake_chat_model, line):  # noqa: F811
    chat = Chat(settings, app)
    out = chat.run(line)
    assert fake_chat_model.calls == [] and chat.session.turns == []
    assert "checking" not in out and "Verdict" not in out
    if line.lower().strip(".") in ("quit", "exit", "bye", "q"):
        assert chat.rc == 0
    elif line == "help":
        assert "/export" in out  # the command list
    elif line != "sources":
        assert f"“{line}” is not a claim or a question" in out


def test_twenty_non_claims_check_nothing():
    assert len(NOT_CLAIMS) == 20


def test_an_answer_holds_only_supported_statements_with_a_source(settings, app, fake_chat_model):  # noqa: F811
    reply = _statement("Lee said NATO is a great thing for Europe but a bad deal for America.", [1])
    reply["statements"] += [
        # "supported", but citing a sentence the model was not shown: no verified source
        _st("Lee said NATO should be dissolved at once.", [9]),
        _st("Lee said the US should stay in NATO.", [1], "refuted", 0.8),
    ]
    fake_chat_model.enqueue(reply)
    chat = Chat(settings, app)
    out = chat.run("What did Mike Lee say about NATO?")
    answer = out
    assert "1. ✔ Lee said NATO is a great thing" in answer
    assert "2. ✔" not in answer and "✔ Lee said NATO should be dissolved" not in answer
    assert "Not confirmed by the sources:" in answer
    unconfirmed = answer.split("Not confirmed by the sources:", 1)[1].split("Sources", 1)[0]
    # each with the reason in words (which reason depends on the pipeline's judge)
    assert "Lee said NATO should be dissolved at once. — " in unconfirmed
    assert "Lee said the US should stay in NATO. — " in unconfirmed


def test_the_markdown_export_keeps_the_uncertain_mark_and_the_set_aside(settings, app, fake_chat_model):  # noqa: F811
    fake_chat_model.enqueue(_statement("Congress passed an amendment in 2023.", [1]))
    chat = Chat(settings, app)
    chat.run("Congress passed an amendment in 2023.")
    (result,) = chat.results
    result = result.model_copy(
        update={
            "uncertain": "on test claims, verdicts this confident were often wrong",
            "set_aside": [SetAside(text="Musk wants out.", reason="repeats an earlier statement")],
        }
    )
    text = session_markdown([Turn("Congress passed an amendment in 2023.", "claim", result)])
    assert "**Uncertain:** on test claims, verdicts this confident were often wrong" in text
    assert "Set aside (not part of the claim; not judged):" in text
    assert "- Musk wants out. — *repeats an earlier statement*" in text
