"""Checking a whole draft: split with exact offsets, check-worthiness with reasons, stand-alone claims, the
check run (progress, Ctrl-C, the reply cache), the JSON, the terminal, the page, the CLI's bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.app import App
from assistant.config import Settings
from assistant.draft import check_draft, plan_draft, read_draft
from assistant.draft.html import draft_report_html
from assistant.draft.render import render_draft
from assistant.draft.split import draft_sentences
from assistant.draft.standalone import standalone
from assistant.draft.worthiness import (
    REASON_HEADING,
    REASON_NOTHING,
    REASON_OPINION,
    REASON_QUESTION,
    REASON_SHORT,
    REASON_TRANSITION,
    judge_sentence,
)
from assistant.errors import FactCheckError, InputError
from assistant.llm.cache import ReplyCache

DRAFT = (
    "# Musk wants out of NATO\n\n"
    "Here is what we know. Elon Musk backed a US exit from NATO over the weekend. "
    "Republican senator Mike Lee of Utah joined him. He wrote that it was a good time to leave.\n\n"
    "- In 2023 Congress passed a law that bars a president from leaving NATO alone.\n"
    "I think this is remarkable. What happens next? Read on for more.\n"
)
CLAIMS = [
    "Elon Musk backed a US exit from NATO over the weekend.",
    "Republican senator Mike Lee of Utah joined him.",
    "He wrote that it was a good time to leave.",
    "In 2023 Congress passed a law that bars a president from leaving NATO alone.",
]


def _reply(verdict: str = "supported", sentences: tuple[int, ...] = (1,)) -> dict[str, Any]:
    return {
        "statements": [{"text": "s", "sentences": list(sentences), "verdict": verdict, "confidence": 0.8}]
    }


@pytest.fixture
def app(tmp_path, structured_fake, fake_embeddings, seeded_store) -> App:
    settings = Settings(
        home=tmp_path / "home", index=str(tmp_path / "chroma"), embedder="fake", backend="local",
        model_dir=tmp_path / "models", k=5, pipeline="check.v1",
    )  # fmt: skip
    return App(settings, chat=structured_fake, embeddings=fake_embeddings, store=seeded_store)


# ---- split, worthiness, stand-alone -----------------------------------------------------------------


def test_sentences_keep_exact_offsets_and_drop_markdown_markers():
    sentences = draft_sentences(DRAFT)
    assert all(DRAFT[s.start : s.end] == s.text for s in sentences)
    assert sentences[0].text == "Musk wants out of NATO" and sentences[0].heading
    law = next(s for s in sentences if s.text.startswith("In 2023"))
    assert DRAFT[law.start - 2 : law.start] == "- " and law.own_line


def test_read_draft_drops_a_bom_and_refuses_empty_binary_and_other_suffixes(tmp_path):
    f = tmp_path / "d.md"
    f.write_bytes("\ufeffMusk spoke. Lee agreed.".encode())
    assert read_draft(f).text == "Musk spoke. Lee agreed."
    for name, content, message in (
        ("empty.txt", b"  \n\n", "the draft is empty"),
        ("bin.txt", b"abc\x00def", "binary"),
        ("d.rtf", b"{\\rtf1 Musk spoke.}", "a draft must be a .txt, .md, .html"),
        ("cut.pdf", b"%PDF-1.4", "cut.pdf"),  # a PDF draft goes through the PDF reader, which refuses this
        ("latin.txt", "Müller".encode("latin-1"), "not valid UTF-8"),
    ):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(InputError, match=message):
            read_draft(tmp_path / name)
    with pytest.raises(InputError, match="no such file"):
        read_draft(tmp_path / "missing.txt")


def test_a_draft_saved_as_a_word_file_is_read_as_ingest_would_store_it(tmp_path):
    import docx

    from assistant.readers import read_document

    word = docx.Document()
    word.add_heading("Musk und die NATO", level=1)
    word.add_paragraph("Mike Lee ist Senator aus Utah. Er sprach am Montag.")
    word.save(str(tmp_path / "draft.docx"))
    draft = read_draft(tmp_path / "draft.docx")
    assert draft.text == read_document(tmp_path / "draft.docx").text and draft.path == str(
        tmp_path / "draft.docx"
    )
    assert "Mike Lee ist Senator aus Utah." in draft.text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Not so fast.", REASON_SHORT),
        ("What happens to NATO next?", REASON_QUESTION),
        ("Here is what we know about the law.", REASON_TRANSITION),
        ("Lesen Sie weiter, was Lee dazu sagt.", REASON_TRANSITION),
        ("I think this is a remarkable moment for Europe.", REASON_OPINION),
        ("Meiner Meinung nach ist das ein Fehler der Regierung.", REASON_OPINION),
        ("Das ist eine bemerkenswerte Wende.", REASON_OPINION),
        ("This is not how it used to be.", REASON_NOTHING),
    ],
)
def test_sentences_that_are_not_claims_are_skipped_with_their_reason(text, reason):
    [s] = draft_sentences(text + " Musk spoke.")[:1]
    assert judge_sentence(s).reason == reason and not judge_sentence(s).claim


@pytest.mark.parametrize(
    "text",
    [
        "Lee said NATO should be left behind.",  # reported speech: that he said it is checkable
        "In 2023 Congress passed a law on NATO.",
        "Mark Rutte ist der neue Chef der NATO.",
        "„Es ist Zeit, die NATO zu verlassen“, schrieb Musk.",
    ],
)
def test_claims_with_names_numbers_quotes_or_attribution_are_check_worthy(text):
    [s] = draft_sentences(text + " Er sprach.")[:1]
    assert judge_sentence(s).claim


def test_a_pronoun_at_the_start_gets_the_name_it_refers_to():
    before = ["Elon Musk backed an exit.", "Republican senator Mike Lee of Utah joined him."]
    assert standalone("He wrote that it was time.", before) == "Mike Lee wrote that it was time."
    assert standalone("His post went viral.", before[:1]) == "Elon Musk’s post went viral."
    assert (
        standalone("Seine Unterstützung ist klar.", ["Elon Musk sprach."])
        == "Elon Musks Unterstützung ist klar."
    )
    # a surname alone counts once its full name came earlier; no name: the sentence is checked as written
    assert (
        standalone("Er stimmte zu.", ["Elon Musk sprach.", "Dann schrieb Musk auf X."])
        == "Elon Musk stimmte zu."
    )
    assert standalone("He agreed.", ["The alliance met in Brussels."]) == "He agreed."
    assert (
        standalone("Heat rose in the Vereinten Nationen.", before) == "Heat rose in the Vereinten Nationen."
    )


def test_a_huge_draft_needs_a_limit_and_the_limit_lists_the_rest_as_skipped():
    huge = " ".join(f"Senator Lee voted {n} times on the law." for n in range(2000))
    with pytest.raises(InputError, match="more than 150 are checked only with --limit N"):
        plan_draft(huge)
    plan = plan_draft(huge, limit=3)
    assert len(plan.claims) == 3 and plan.found == 2000
    assert sum(s.reason == "not checked: beyond --limit 3" for s in plan.skipped) == 1997
    with pytest.raises(InputError, match="empty"):
        plan_draft(" \n ")


# ---- the check run ---------------------------------------------------------------------------------


def test_check_draft_gives_the_json_of_the_issue_with_exact_offsets(app, fake_chat_model, seed_text):
    fake_chat_model.enqueue(_reply(), _reply("refuted"), _reply("not_enough_info", ()), _reply())
    seen = []
    result = check_draft(app, DRAFT, path="draft.md", on_claim=seen.append)
    data = json.loads(json.dumps(result.to_json()))
    assert set(data) == {"draft", "claims", "skipped", "summary", "timings_ms"}
    assert data["draft"] == {"path": "draft.md", "chars": len(DRAFT), "sentences": 9}
    assert [c["text"] for c in data["claims"]] == CLAIMS
    for c in data["claims"]:
        assert set(c) == {
            "start",
            "end",
            "text",
            "standalone",
            "verdict",
            "confidence",
            "uncertain",
            "statements",
            "corrections",
        }
        assert DRAFT[c["start"] : c["end"]] == c["text"]
        for ev in (ev for st in c["statements"] for ev in st["evidence"]):
            assert seed_text[ev["start"] : ev["end"]] == ev["text"]
    assert data["claims"][2]["standalone"] == "Mike Lee wrote that it was a good time to leave."
    assert [c["verdict"] for c in data["claims"]] == ["supported", "refuted", "not_enough_info", "supported"]
    assert {s["text"]: s["reason"] for s in data["skipped"]} == {
        "Musk wants out of NATO": REASON_HEADING,
        "Here is what we know.": REASON_TRANSITION,
        "I think this is remarkable.": REASON_OPINION,
        "What happens next?": REASON_QUESTION,
        "Read on for more.": REASON_TRANSITION,
    }
    assert all(DRAFT[s["start"] : s["end"]] == s["text"] for s in data["skipped"])
    assert data["summary"] | {} == {
        "claims": 4, "checked": 4, "skipped": 5, "supported": 2, "refuted": 1, "not_enough_info": 1,
        "uncertain": 0, "failed": 0, "interrupted": False, "limit": None,
    }  # fmt: skip
    assert {"split", "plan", "check", "first_verdict", "total"} <= set(data["timings_ms"])
    assert [(p.n, p.total, p.claim.verdict if p.claim else None) for p in seen] == [
        (1, 4, "supported"), (2, 4, "refuted"), (3, 4, "not_enough_info"), (4, 4, "supported"),
    ]  # fmt: skip
    # what the model was asked: the stand-alone text of each claim, in draft order
    asked = [call["messages"][-1].content for call in fake_chat_model.calls]
    assert "Mike Lee wrote that it was a good time to leave." in asked[2]


def test_ctrl_c_keeps_what_is_done(app, fake_chat_model):
    fake_chat_model.enqueue(_reply(), _reply())

    def on_claim(p):
        if p.n == 2:
            raise KeyboardInterrupt

    result = check_draft(app, DRAFT, on_claim=on_claim)
    assert result.summary.interrupted and result.summary.checked == 2
    assert [s.text for s in result.skipped if s.reason == "not checked: interrupted"] == CLAIMS[2:]


def test_a_failing_claim_is_listed_with_its_error_and_the_rest_go_on(app, fake_chat_model):
    fake_chat_model.enqueue(_reply(), "not json", "still not", "nope", _reply(), _reply())
    result = check_draft(app, DRAFT)
    assert result.summary.failed == 1 and result.summary.checked == 3
    [failed] = [s for s in result.skipped if s.reason.startswith("check failed")]
    assert failed.text == CLAIMS[1]


def test_an_empty_index_is_one_error(tmp_path, structured_fake, fake_embeddings, store):
    settings = Settings(home=tmp_path, index=str(tmp_path / "c"), embedder="fake", backend="local",
                        model_dir=tmp_path, k=5, pipeline="check.v1")  # fmt: skip
    app = App(settings, chat=structured_fake, embeddings=fake_embeddings, store=store)
    with pytest.raises(FactCheckError, match="is empty: run `factcheck ingest PATH` first"):
        check_draft(app, DRAFT)


def test_rerun_after_editing_one_sentence_asks_the_model_only_for_that_claim(app, fake_chat_model, tmp_path):
    app.chat.cache = ReplyCache(tmp_path / "replies.sqlite")
    fake_chat_model.enqueue(*[_reply()] * 4)
    first = check_draft(app, DRAFT)
    assert len(fake_chat_model.calls) == 4
    edited = DRAFT.replace("over the weekend", "on Sunday")
    fake_chat_model.enqueue(_reply("refuted"))
    second = check_draft(app, edited)
    assert len(fake_chat_model.calls) == 5  # one new model call: the edited sentence
    assert [c.verdict for c in second.claims] == ["refuted", "supported", "supported", "supported"]
    assert [c.text for c in second.claims][1:] == [c.text for c in first.claims][1:]
    check_draft(app, edited)
    assert len(fake_chat_model.calls) == 5  # unchanged draft: nothing asked


# ---- output ----------------------------------------------------------------------------------------


def test_terminal_output_marks_claims_in_place_then_lists_them(app, fake_chat_model):
    from rich.console import Console

    fake_chat_model.enqueue(_reply(), _reply("refuted"), _reply("not_enough_info", ()), _reply())
    result = check_draft(app, DRAFT)
    console = Console(width=300, record=True, color_system=None)
    render_draft(result, console)
    shown = console.export_text()
    assert "[1 ✔] Elon Musk backed" in shown and "[2 ✘] Republican senator" in shown
    assert "[3 ?] He wrote" in shown and "checked as: Mike Lee wrote" in shown
    assert "3. ? NOT IN THE SOURCES" in shown and "musk-nato.de.txt  sentence" in shown
    assert "What happens next?  — a question" in shown
    assert "4 of 4 claims checked: 2 supported, 1 refuted, 1 not in the sources" in shown


def _page(app, fake_chat_model, tmp_path) -> tuple[Path, Any, str]:
    # the script tag starts a sentence of its own, a fifth claim
    fake_chat_model.enqueue(_reply(), _reply("refuted"), _reply("not_enough_info", ()), _reply(), _reply())
    result = check_draft(app, DRAFT.replace("Read on", "<script>alert(1)</script> Read on"))
    html = draft_report_html(result, lambda d: app.store.get_document(d).text)
    path = tmp_path / "draft.html"
    path.write_text(html, "utf-8")
    return path, result, html


def test_the_page_links_each_claim_to_its_evidence_without_javascript(
    app, fake_chat_model, tmp_path, seed_text
):
    _, result, html = _page(app, fake_chat_model, tmp_path)
    assert "<script>" not in html and "&lt;script&gt;" in html
    for n, claim in enumerate(result.claims, 1):
        assert f'href="#claim-{n}"' in html and f'id="claim-{n}"' in html and f'href="#at-{n}"' in html
        assert f'class="claim {claim.verdict}' in html
        assert f'data-start="{claim.start}" data-end="{claim.end}"' in html
    assert "— a question (chars" in html


def test_the_page_loads_in_headless_chromium(app, fake_chat_model, tmp_path, seed_text):
    from .test_html_report import _browse, parse

    path, result, _ = _page(app, fake_chat_model, tmp_path)
    dom = _browse(path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = parse(dom.stdout)
    assert page.scripts == 0 and page.marks
    for mark in page.marks:
        assert mark["text"] == seed_text[int(mark["data-start"]) : int(mark["data-end"])]


# ---- the CLI ---------------------------------------------------------------------------------------


@pytest.fixture
def indexed(run, tmp_path):
    from .conftest import SEED

    code, _, err = run("ingest", str(SEED))
    assert code == 0, err


def test_cli_draft_json_and_html(run, indexed, fake_chat_model, tmp_path, monkeypatch):
    monkeypatch.setenv("FACTCHECK_PIPELINE", "model")  # the verdicts are the fake's, as queued
    f = tmp_path / "draft.md"
    f.write_bytes(("\ufeff" + DRAFT).encode())
    fake_chat_model.enqueue(*[_reply()] * 4)
    code, out, err = run("draft", str(f), "--json", "--html", str(tmp_path / "d.html"))
    assert code == 0, err
    data = json.loads(out)
    assert data["draft"]["path"] == str(f) and [c["text"] for c in data["claims"]] == CLAIMS
    assert all(DRAFT[c["start"] : c["end"]] == c["text"] for c in data["claims"])
    assert "4 claim(s) to check, 5 sentence(s) skipped" in err and "[4/4] ✔ supported" in err and "eta" in err
    assert (tmp_path / "d.html").read_text("utf-8").count('<a class="claim supported') == 4


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (b"", (), "the draft is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", (), "binary"),
        (" ".join(f"Lee voted {n} times in the Senate." for n in range(2000)).encode(), (), "--limit N"),
    ],
)
def test_cli_bad_input_is_one_line_and_a_non_zero_exit(run, tmp_path, content, args, message):
    f = tmp_path / "draft.txt"
    f.write_bytes(content)
    code, out, err = run("draft", str(f), *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and not out


def test_cli_draft_without_an_index_is_one_line(run, tmp_path):
    f = tmp_path / "draft.txt"
    f.write_text(DRAFT, "utf-8")
    code, _, err = run("draft", str(f))
    assert code == 1 and "is empty: run `factcheck ingest PATH` first" in err
    assert len(err.strip().splitlines()) == 1


# ---- the chat ----------------------------------------------------------------------------------------


def test_chat_draft_then_why_n_and_source_n_name_its_claims(app, fake_chat_model, tmp_path, seed_text):
    from .test_chat import Chat

    f = tmp_path / "draft.md"
    f.write_text(DRAFT, "utf-8")
    fake_chat_model.enqueue(_reply(), _reply("refuted"), _reply("not_enough_info", ()), _reply())
    chat = Chat(app.settings, app)
    out = chat.run(f"/draft {f}", "why 2?", "show the source for 4", "why 9?")
    assert "[4/4] ✔ supported" in out and "[2 ✘] Republican senator" in out
    why, source = out.split("Why: claim 2: ")[1], out.split("Why: claim 4: ")[1]
    assert why.startswith(CLAIMS[1]) and "musk-nato.de.txt  sentence" in why
    assert source.startswith(CLAIMS[3])
    assert "error: name a claim of the draft: why 1? … why 4? (it has 4)" in out
    fake_chat_model.enqueue(_reply())
    out = chat.run("Musk wants to leave NATO", "why 1?")
    assert "error: why N? names claim N of a draft: check one with /draft FILE first" in out
