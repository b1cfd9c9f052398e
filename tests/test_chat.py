"""The chat REPL, driven end to end through prompt_toolkit's pipe input with the fake chat model."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from assistant.app import App
from assistant.chat import ChatSession, plain_reader, run_chat
from assistant.config import Settings, resolve_settings
from assistant.conversation import (
    Ask,
    Command,
    Conversation,
    ShowSource,
    Turn,
    Why,
    classify,
    is_german,
    looks_like_followup,
    read_line,
)
from assistant.errors import InputError
from assistant.schemas import CheckResult, result_json

from .conftest import SEED, FakeChatModel

FACTCHECK = Path(sys.executable).parent / "factcheck"
#: How rich writes the highlighted span ("bold black on yellow") with the standard colour system.
HIGHLIGHT = re.compile(r"\x1b\[1;30;43m(.*?)\x1b\[0m")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _st(text, sentences, verdict="supported", confidence=0.9):
    return {"text": text, "sentences": sentences, "verdict": verdict, "confidence": confidence}


def _statement(text, sentences, verdict="supported", confidence=0.9):
    return {"statements": [_st(text, sentences, verdict, confidence)]}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        home=tmp_path / "home",
        index=str(tmp_path / "chroma"),
        embedder="fake",
        backend="local",
        model_dir=tmp_path / "models",
        k=5,
        pipeline="check.v19",  # the default, as a user gets it
    )


@pytest.fixture
def app(settings, structured_fake, fake_embeddings, seeded_store) -> App:
    return App(settings, chat=structured_fake, embeddings=fake_embeddings, store=seeded_store)


class Chat:
    """Runs the REPL on typed text and keeps the transcript and the session."""

    def __init__(self, settings: Settings, app: App) -> None:
        self.settings = settings
        self.app = app
        self.console = Console(file=io.StringIO(), width=400, color_system="standard", force_terminal=False)
        self.session = ChatSession(app, self.console)
        self.rc: int | None = None

    def run(self, *lines: str, raw: str = "") -> str:
        with create_pipe_input() as pipe:
            pipe.send_text(raw or "".join(f"{line}\r" for line in lines))
            pipe.close()
            self.rc = run_chat(self.settings, session=self.session, input=pipe, output=DummyOutput())
        return self.transcript

    @property
    def ansi(self) -> str:
        return self.console.file.getvalue()

    @property
    def transcript(self) -> str:
        return ANSI.sub("", self.ansi)

    @property
    def results(self):
        return [t.result for t in self.session.turns]


@pytest.fixture
def chat(settings, app) -> Chat:
    return Chat(settings, app)


@pytest.fixture
def seed_store_sentences(seeded_store) -> list[str]:
    return [h.text for h in seeded_store.sentences_of("musk-nato.de.txt")]


# ---- reading input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Is Rutte the NATO chief?", "question"),
        ("who wants to leave NATO", "question"),
        ("Wer ist NATO-Generalsekretär", "question"),
        ("Welche Senatoren unterstützen Musk", "question"),
        ("and who supports him", "question"),
        ("Musk wants the US to leave NATO.", "claim"),
        ("Mike Lee ist Senator aus Utah", "claim"),
    ],
)
def test_input_is_classified(text, kind):
    assert classify(text) == kind


def test_language_and_followup_heuristics():
    assert is_german("Wer ist der neue NATO-Chef?") and is_german("Gibt es Kritik?")
    assert not is_german("Who is the new head of NATO?")
    assert looks_like_followup("and when?") and looks_like_followup("Und was sagt Lee?")
    assert looks_like_followup("What did he say?") and looks_like_followup("what about the UN?")
    assert not looks_like_followup("Who is the new head of NATO?")


@pytest.mark.parametrize(
    ("line", "intent"),
    [
        ("   ", None),
        ("/K 3 ", Command("K", "3")),
        ("/export a b.md --force", Command("export", "a b.md --force")),
        ("why?", Why()),
        ("Warum", Why()),
        ("show me the source for 2.", ShowSource(2)),
        ("zeige die Quelle für 3", ShowSource(3)),
        ("source #1", ShowSource(1)),
        ("Why does Musk want to leave NATO?", Ask("Why does Musk want to leave NATO?", "question")),
        ("  Musk wants to leave NATO. ", Ask("Musk wants to leave NATO.", "claim")),
    ],
)
def test_what_a_line_means_is_decided_without_a_terminal(line, intent):
    assert read_line(line) == intent


def _result(statements: list[dict]) -> CheckResult:
    return CheckResult.model_validate(
        {"claim": "c", "verdict": "supported", "confidence": 0.9, "statements": statements, "model": "fake",
         "prompt_version": "v", "retrieved": [], "timings_ms": {}, "dropped_citations": 0}
    )  # fmt: skip


def test_conversation_resolves_followups_and_sources_without_a_terminal():
    ev = {"doc_id": "d", "doc_path": "d.txt", "sentence_id": 0, "start": 0, "end": 4, "text": "Musk"}
    st = {"text": "Musk.", "verdict": "supported", "confidence": 0.9, "evidence": [ev, ev]}
    talk = Conversation()
    with pytest.raises(InputError, match="nothing asked yet"):
        talk.last_turn()
    assert talk.context_for("and when?") == (None, None)
    talk.add(Turn("Who wants to leave NATO?", "question", _result([st, st])))
    assert talk.context_for("Who is Rutte?") == (None, None)  # not a follow-up
    assert talk.context_for("and when?") == (
        [{"question": "Who wants to leave NATO?", "answer": "Musk. Musk."}],
        "Who wants to leave NATO? and when?",
    )
    assert talk.source(1).text == "Musk"  # a question: citation 1 (the same span once)
    with pytest.raises(InputError, match=r"no source \[2\]: the last answer cites 1"):
        talk.source(2)
    assert [s.text for s in talk.why()[1]] == ["Musk."]  # the repeated statement once
    talk.add(Turn("Musk wants out.", "claim", _result([st])))
    assert talk.source(1).text == "Musk."  # a claim: statement 1
    with pytest.raises(InputError, match="no statement 2: the last check has 1"):
        talk.source(2)


# ---- turns ---------------------------------------------------------------------------------------


def test_welcome_then_claim_checked_with_verdict_and_offsets(chat, fake_chat_model, seed_text):
    fake_chat_model.enqueue(_statement("Congress passed an amendment in 2023.", [1]))
    out = chat.run("Im Jahr 2023 verabschiedete der US-Kongress eine Gesetzesergänzung")
    assert chat.rc == 0
    assert out.splitlines()[0] == "1 document indexed · backend local · /help for commands"
    [result] = chat.results
    [ev] = result.statements[0].evidence
    assert seed_text[ev.start : ev.end] == ev.text
    assert "Verdict: ✔ SUPPORTED" in out
    assert f"chars {ev.start}–{ev.end}" in out
    assert HIGHLIGHT.findall(chat.ansi) == [ev.text]


def test_question_gets_numbered_answer_with_sources(chat, fake_chat_model, seed_text):
    fake_chat_model.enqueue(
        {
            "statements": [
                _st("Elon Musk wants to leave NATO.", [1]),
                _st("Mike Lee agrees.", [2, 1], confidence=0.8),
            ]
        }
    )
    out = chat.run("Who wants the USA to leave NATO and the UN?")
    [result] = chat.results
    first, second = (st.evidence for st in result.statements)
    assert "1. ✔ Elon Musk wants to leave NATO. [1]" in out
    assert "2. ✔ Mike Lee agrees. [2] [1]" in out  # the same span keeps its number
    assert "Sources" in out and "[2] musk-nato.de.txt" in out
    shown = HIGHLIGHT.findall(chat.ansi)
    assert shown == [first[0].text, second[0].text]
    for ev in (first[0], second[0]):
        assert seed_text[ev.start : ev.end] == ev.text
        assert f"chars {ev.start}–{ev.end}" in out


def test_unanswerable_question_says_so_in_the_question_language(chat, fake_chat_model):
    nothing = _statement("Die Quellen sagen das nicht.", [], "not_enough_info", 0.2)
    fake_chat_model.enqueue(nothing, _statement("The sources do not say.", [], "not_enough_info", 0.2))
    out = chat.run("Wie hoch ist der Eiffelturm?", "How tall is the Eiffel Tower?")
    assert "Die Quellen beantworten das nicht." in out
    assert "The sources do not answer this." in out
    assert "Sources" not in out


@pytest.fixture
def model_chat(settings, structured_fake, fake_embeddings, seeded_store) -> Chat:
    """The chat on the model pipeline: statements keep the verdicts the fake was given (rendering tests)."""
    on_model = replace(settings, pipeline="check.v1")
    return Chat(on_model, App(on_model, chat=structured_fake, embeddings=fake_embeddings, store=seeded_store))


def test_an_answer_the_check_contradicts_is_not_given_as_the_answer(model_chat, fake_chat_model):
    chat = model_chat
    leave = "The US president can leave NATO on his own."
    fake_chat_model.enqueue(
        {"statements": [_st(leave, [1], "refuted", 0.8), _st(leave, [2], "refuted", 0.8)]},
        {
            "statements": [
                _st("Musk wants to leave NATO.", [1]),
                _st("Lee is from Texas.", [2], "refuted", 0.7),
            ]
        },
    )
    out = chat.run("Can the US president leave NATO on his own?", "Who wants to leave NATO?")
    first, second = out.split("fake · ")[:2]
    assert "The sources do not confirm an answer. What they say:" in first
    assert first.count(leave) == 1  # the repeat is shown once
    assert f"✘ {leave} — the cited source says otherwise [1] [2]" in first  # with both citations
    assert not re.search(r"^\d+\. ", first, re.MULTILINE)  # nothing numbered as the answer
    assert "Sources" in first  # what the sources do say
    assert "1. ✔ Musk wants to leave NATO. [1]" in second
    assert "Not confirmed by the sources:" in second and "✘ Lee is from Texas. — the cited source" in second


def test_the_marks_are_explained_once(chat, fake_chat_model):
    fake_chat_model.enqueue(_statement("x", [1]), _statement("y", [1]))
    out = chat.run("Musk wants to leave NATO", "Who wants to leave NATO?")
    assert out.count("✔ the cited source supports it · ✘ the cited source contradicts it") == 1


def test_why_shows_the_cited_sentence_with_its_neighbours(chat, fake_chat_model, seed_store_sentences):
    fake_chat_model.enqueue(_statement("Congress passed a law.", [1]))
    chat.run("Im Jahr 2023 verabschiedete der US-Kongress eine Gesetzesergänzung")
    [ev] = chat.results[0].statements[0].evidence
    before, after = seed_store_sentences[ev.sentence_id - 1], seed_store_sentences[ev.sentence_id + 1]
    out = chat.run("why?", "source 1")
    for shown in out.split("Why: ")[1].split("1. ✔")[1:]:
        assert before in shown and ev.text in shown and after in shown
    assert HIGHLIGHT.findall(chat.ansi)[-2:] == [ev.text, ev.text]  # only the cited span is highlighted


def test_show_the_source_and_why_after_a_question(chat, fake_chat_model, seed_text):
    fake_chat_model.enqueue(_statement("Musk wants to leave NATO.", [1]))
    out = chat.run("Who wants to leave NATO?", "show the source for 1", "zeige die Quelle für 2", "why?")
    [ev] = chat.results[0].statements[0].evidence
    assert seed_text[ev.start : ev.end] == ev.text
    answer, source, why = out.split("fake · ")[0], *out.split("fake · ")[1].split("Why: ")
    where = f"musk-nato.de.txt  sentence {ev.sentence_id}  chars {ev.start}–{ev.end}"
    assert "[1] " + where in answer and "[1] " + where in source
    assert "error: no source [2]: the last answer cites 1" in source
    assert why.startswith("Who wants to leave NATO?") and "Musk wants to leave NATO." in why and where in why
    assert HIGHLIGHT.findall(chat.ansi) == [ev.text] * 3  # answer, "source 1", "why?"


def test_source_of_a_checked_claim_is_its_statement(chat, fake_chat_model):
    fake_chat_model.enqueue(_statement("Musk says so.", [1]))
    out = chat.run("source 1", "Musk wants to leave NATO", "source 1", "source 2")
    assert out.splitlines()[1] == "error: nothing asked yet: type a question or a claim first"
    [ev] = chat.results[0].statements[0].evidence
    assert out.split("╰")[-1].count(f"chars {ev.start}–{ev.end}") == 1
    assert out.splitlines()[-1] == "error: no statement 2: the last check has 1"


def test_followup_question_sends_history_and_search_text(chat, app, fake_chat_model, monkeypatch):
    fake_chat_model.enqueue(_statement("Elon Musk.", [1]), _statement("Mike Lee supports him.", [2]))
    seen: list[dict] = []
    answer = app.checker.answer

    def spy(question, **kwargs):
        seen.append(kwargs)
        return answer(question, **kwargs)

    monkeypatch.setattr(app.checker, "answer", spy)
    chat.run("Who wants to leave NATO?", "And who supports him?")
    assert seen[0]["history"] is None and seen[0]["search_text"] is None
    assert seen[1]["history"] == [{"question": "Who wants to leave NATO?", "answer": "Elon Musk."}]
    assert seen[1]["search_text"] == "Who wants to leave NATO? And who supports him?"
    user = fake_chat_model.calls[-1]["messages"][1].content
    assert "EARLIER IN THIS CONVERSATION" in user and "Q: Who wants to leave NATO?" in user


def test_backslash_continues_the_line_and_esc_enter_adds_a_newline(chat, fake_chat_model):
    fake_chat_model.enqueue(_statement("x", [1]), _statement("y", [1]))
    chat.run(raw="Who wants\\\rto leave NATO?\rMusk wants\x1b\rto leave NATO\r")
    assert [t.input for t in chat.session.turns] == ["Who wants\nto leave NATO?", "Musk wants\nto leave NATO"]
    assert [t.kind for t in chat.session.turns] == ["question", "claim"]


def test_piped_lines_continue_after_a_backslash():
    read = plain_reader(io.StringIO("Who wants\\\nto leave?\r\n/docs\nlast"))
    assert [read(), read(), read()] == ["Who wants\nto leave?", "/docs", "last"]
    with pytest.raises(EOFError):
        read()


def test_history_is_saved_under_home(chat, settings, fake_chat_model):
    chat.run("/k 3")
    assert "/k 3" in (settings.home / "chat_history").read_text("utf-8")


# ---- failures and interruptions ------------------------------------------------------------------


def test_malformed_reply_is_one_error_line_and_the_session_goes_on(chat, fake_chat_model):
    fake_chat_model.enqueue("{", "{", "{", _statement("Musk wants to leave.", [1]))
    out = chat.run("Musk wants to leave NATO", "Who wants to leave NATO?")
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert errors == [errors[0]] and "do not fit the expected JSON schema" in errors[0]
    assert "1. ✔ Musk wants to leave." in out
    assert chat.rc == 0 and "Traceback" not in out


def test_ctrl_c_during_a_turn_cancels_it_and_the_session_goes_on(chat, fake_chat_model, monkeypatch):
    fake_chat_model.enqueue(_statement("Musk wants to leave.", [1]))
    real = FakeChatModel._generate
    interrupts = [KeyboardInterrupt()]

    def generate(self, *args, **kwargs):
        if interrupts:
            raise interrupts.pop()
        return real(self, *args, **kwargs)

    monkeypatch.setattr(FakeChatModel, "_generate", generate)
    out = chat.run("Who wants to leave NATO?", "Who wants to leave NATO?")
    assert "cancelled" in out.splitlines()
    assert len(chat.session.turns) == 1 and "1. ✔ Musk wants to leave." in out
    assert chat.rc == 0


def test_ctrl_c_while_typing_clears_the_line_and_ctrl_d_leaves(chat, fake_chat_model):
    out = chat.run(raw="Musk wants to leave\x03/k 7\r\x04/k 9\r")
    assert chat.rc == 0
    assert chat.session.turns == [] and chat.session.k == 7
    assert "k = 9" not in out


def test_unexpected_exception_is_one_line(chat, app, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("bad\nthing")

    monkeypatch.setattr(app.checker, "check", boom)
    out = chat.run("Musk wants to leave NATO", "/k 2")
    assert "internal error: RuntimeError: bad thing" in out.splitlines()
    assert "k = 2" in out


def test_model_loads_in_the_background_and_a_turn_waits_for_it(chat, structured_fake, fake_chat_model):
    release = threading.Event()
    loaded: list[tuple[bool, bool]] = []

    def load() -> None:
        loaded.append((release.wait(10), threading.current_thread() is threading.main_thread()))

    structured_fake.load_hook = load
    fake_chat_model.enqueue(_statement("x", [1]))
    handle = chat.session.handle

    def handle_then_release(line: str) -> None:
        handle(line)
        release.set()

    chat.session.handle = handle_then_release
    out = chat.run("/docs", "Musk wants to leave NATO")
    # The load only finishes once /docs was handled: the prompt did not wait for the model.
    assert loaded == [(True, False)]
    assert "musk-nato.de.txt" in out and len(chat.results) == 1


def test_model_load_error_is_one_line_when_first_needed(settings, seeded_store, fake_embeddings):
    app = App(replace(settings, backend="openai"), embeddings=fake_embeddings, store=seeded_store)
    chat = Chat(settings, app)
    out = chat.run("/docs", "Musk wants to leave NATO", "/k 4")
    lines = out.splitlines()
    assert "musk-nato.de.txt" in out.split("error:")[0]  # /docs does not need the model
    assert "error: the openai backend needs a model name: set OPENAI_MODEL or pass --model" in lines
    assert "k = 4" in lines and chat.rc == 0


# ---- commands ------------------------------------------------------------------------------------


def test_doc_restricts_to_one_document(chat, fake_chat_model):
    fake_chat_model.enqueue(_statement("x", [1]))
    out = chat.run("/doc nope", "/doc musk-nato.de.txt", "Musk wants to leave NATO", "/doc")
    assert "error: no document 'nope' in the index; /docs lists them" in out.splitlines()
    assert "using only musk-nato.de.txt" in out and "using all documents" in out
    assert {r.doc_id for r in chat.results[0].retrieved} == {"musk-nato.de.txt"}
    assert chat.session.doc_id is None


def test_doc_given_at_start(settings, app):
    chat = Chat(settings, app)
    with create_pipe_input() as pipe:
        pipe.close()
        rc = run_chat(settings, doc="musk-nato.de", session=chat.session, input=pipe, output=DummyOutput())
    assert rc == 0 and chat.session.doc_id == "musk-nato.de.txt"
    assert "· only musk-nato.de.txt ·" in chat.transcript
    chat = Chat(settings, app)
    with create_pipe_input() as pipe:
        rc = run_chat(settings, doc="nope", session=chat.session, input=pipe, output=DummyOutput())
    assert rc == 2 and chat.transcript.startswith("error: no document 'nope'")


def test_session_and_app_are_exclusive(settings, app):
    with pytest.raises(ValueError, match="either session or app"):
        run_chat(settings, app=app, session=ChatSession(app, Console()))


def test_k_is_validated_and_used(chat, fake_chat_model):
    fake_chat_model.enqueue(_statement("x", [1]))
    out = chat.run("/k 0", "/k many", "/k 51", "/k 3", "Musk wants to leave NATO", "/k")
    assert out.count("error: k must be a whole number from 1 to 50") == 3
    assert len(chat.results[0].retrieved) == 3
    assert out.splitlines()[-1] == "k = 3"


def test_json_toggles_raw_output(chat, fake_chat_model):
    fake_chat_model.enqueue(_statement("x", [1]), _statement("y", [1]))
    out = chat.run("/json", "Musk wants to leave NATO", "/json", "Who wants to leave NATO?")
    assert "JSON output on" in out and "JSON output off" in out
    data, _ = json.JSONDecoder().raw_decode(out, out.index("{"))
    assert data == json.loads(result_json(chat.results[0]))  # the JSON of `check --json`
    assert "1. ✔ y [1]" in out  # back to the rich answer


def test_sources_lists_retrieved_sentences_with_scores(chat, fake_chat_model):
    fake_chat_model.enqueue(_statement("x", [1]))
    out = chat.run("/sources", "Musk wants to leave NATO", "/sources")
    assert "error: nothing asked yet" in out
    table = out.rsplit("┏", 1)[-1]
    for r in chat.results[0].retrieved:
        assert f"{r.score:.3f}" in table and f"{r.start}–{r.end}" in table and r.text[:40] in table


def test_export_markdown_and_json(chat, fake_chat_model, tmp_path, seed_text):
    fake_chat_model.enqueue(_statement("Musk wants out.", [1]), _statement("Musk.", [1]))
    md, js = tmp_path / "s.md", tmp_path / "s.json"
    out = chat.run(
        "Musk wants to leave NATO",
        "Who wants to leave NATO?",
        f"/export {md}",
        f"/export {js}",
        f"/export {tmp_path / 's.txt'}",
        f"/export {tmp_path / 'missing' / 's.md'}",
    )
    claim, answer = chat.results
    data = json.loads(js.read_text("utf-8"))
    assert [(d["input"], d["kind"]) for d in data] == [
        ("Musk wants to leave NATO", "claim"),
        ("Who wants to leave NATO?", "question"),
    ]
    assert data[1]["result"] == json.loads(result_json(answer))
    text = md.read_text("utf-8")
    ev = claim.statements[0].evidence[0]
    assert "## 1. Claim: Musk wants to leave NATO" in text
    assert "## 2. Question: Who wants to leave NATO?" in text
    assert "1. ✔ Musk wants out. [1]" in text and f"**{seed_text[ev.start : ev.end]}**" in text
    assert f"chars {ev.start}–{ev.end}" in text
    assert "error: cannot export to s.txt: use a .md, .json or .html file name" in out.splitlines()
    assert any(line.startswith("error: cannot write") for line in out.splitlines())


def test_export_keeps_an_existing_file_unless_forced_and_writes_html(
    chat, fake_chat_model, tmp_path, seed_text
):
    from .test_html_report import parse

    fake_chat_model.enqueue(_statement("Musk wants out.", [1]), _statement("Musk.", [1]))
    md, page = tmp_path / "s.md", tmp_path / "s.html"
    out = chat.run(f"/export {md}", "Musk wants to leave NATO", f"/export {md}", f"/export {md}")
    assert "error: nothing to export yet: type a question or a claim first" in out.splitlines()
    assert f"exported 1 turn to {md}" in out.splitlines()
    assert f"error: {md} exists; /export {md} --force replaces it" in out.splitlines()
    first = md.read_text("utf-8")
    out = chat.run("Who wants to leave NATO?", f"/export {md} --force", f"/export {page}")
    assert f"exported 2 turns to {md}" in out and md.read_text("utf-8") != first
    marks = parse(page.read_text("utf-8")).marks
    assert len(marks) == 2 and all(
        m["text"] == seed_text[int(m["data-start"]) : int(m["data-end"])] for m in marks
    )
    assert "Question 2" in page.read_text("utf-8")


def test_docs_help_and_unknown_command(chat):
    out = chat.run("/docs", "/help", "/frobnicate")
    assert re.search(r"musk-nato\.de\.txt .* de .* \d+ ", out)
    assert "/ingest PATH…" in out and "/export FILE" in out
    assert "error: unknown command /frobnicate; /help lists the commands" in out.splitlines()


def test_ingest_good_and_bad_files(chat, tmp_path):
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_text("Rutte leads NATO. He was Dutch prime minister.", "utf-8")
    bad.write_bytes("Grüße aus Köln.".encode("latin-1"))
    out = chat.run(f"/ingest {good} {bad}", f"/ingest {tmp_path / 'nope.txt'}", "/ingest", "/docs")
    lines = out.splitlines()
    assert "    added  good.txt  (2 sentences)" in lines
    assert any(line.startswith("error: ") and "bad.txt: not valid UTF-8" in line for line in lines)
    assert any(line.startswith("error: ") and "nope.txt: no such file" in line for line in lines)
    assert "error: usage: /ingest PATH" in lines
    assert {d.doc_id for d in chat.app.store.list_documents()} == {"good.txt", "musk-nato.de.txt"}


def test_model_shows_and_switches_backend(chat, settings):
    out = chat.run("/model", "/model openai", "/model nonsense")
    assert "model: fake" in out.splitlines() and "backend: local" in out.splitlines()
    assert "error: the openai backend needs a model name: set OPENAI_MODEL or pass --model" in out
    assert "error: unknown backend 'nonsense'; choose one of: local, openai" in out
    assert chat.session.app is chat.app  # a failed switch keeps the current backend


def test_model_switch_reuses_the_index_and_embedder(settings, structured_fake, fake_embeddings, seeded_store):
    settings = replace(settings, model="m", base_url="http://127.0.0.1:9")
    app = App(settings, chat=structured_fake, embeddings=fake_embeddings, store=seeded_store)
    chat = Chat(settings, app)
    out = chat.run("/model openai", "/model")
    assert "switched to m (openai @ http://127.0.0.1:9)" in out.splitlines()
    assert "model: m (openai @ http://127.0.0.1:9)" in out.splitlines() and "backend: openai" in out
    new = chat.session.app
    assert new.settings == replace(settings, backend="openai")
    assert new.store is seeded_store and new.embeddings is fake_embeddings


def test_quit_returns_zero(chat):
    out = chat.run("/quit", "/k 9")
    assert chat.rc == 0 and "k = 9" not in out


# ---- the real entry point ------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["chat"], []], ids=["chat", "bare"])
def test_console_entry_point_with_piped_stdin(tmp_path, args):
    env = {
        **os.environ,
        "FACTCHECK_HOME": str(tmp_path),
        "FACTCHECK_BACKEND": "openai",
        "OPENAI_BASE_URL": "http://127.0.0.1:9",
        "OPENAI_MODEL": "x",
        "OPENAI_API_KEY": "test",
    }
    for name in ("FACTCHECK_EMBEDDER", "FACTCHECK_INDEX", "FACTCHECK_CHROMA_URL", "FACTCHECK_K"):
        env.pop(name, None)
    proc = subprocess.run(
        [str(FACTCHECK), *args],
        input="/docs\nIs Rutte the NATO chief?\n/quit\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Traceback" not in out and "\x1b[" not in out
    assert "0 documents indexed · backend openai · /help for commands" in out
    assert "no documents in" in out
    assert "is empty: add documents with /ingest PATH" in out or "error:" in out


@pytest.mark.integration
def test_real_model_answers_with_exact_spans(tmp_path, monkeypatch, seed_text):
    from assistant.ingest import ingest_paths

    for name in ("FACTCHECK_INDEX", "FACTCHECK_CHROMA_URL", "FACTCHECK_EMBEDDER", "FACTCHECK_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    settings = resolve_settings(home=tmp_path)
    app = App(settings)
    assert ingest_paths(app.store, app.embeddings, [SEED]).ok
    chat = Chat(settings, app)
    out = chat.run("Who is the new head of NATO?")
    [turn] = chat.session.turns
    assert turn.kind == "question" and "Traceback" not in out
    evidence = [ev for st in turn.result.statements for ev in st.evidence]
    assert evidence, out
    for ev in evidence:
        assert seed_text[ev.start : ev.end] == ev.text
    assert sorted(HIGHLIGHT.findall(chat.ansi)) == sorted({ev.text for ev in evidence})
