"""Files, names and titles from a real corpus or a hostile sender: clear one-line errors, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.documents import decode_text, doc_id_for, load_document
from assistant.errors import InputError
from assistant.ingest import ingest_paths

from .conftest import SEED


def test_nul_bytes_anywhere_are_refused():
    raw = ("Ein Satz. " * 2000).encode() + b"\x00tail"
    assert len(raw) > 8192
    with pytest.raises(InputError, match="NUL byte at offset 20000"):
        decode_text(raw, "late-nul.txt")


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ("Ein Satz über Utah.".encode("utf-16"), "UTF-16 text"),
        ("Ein Satz über Utah und mehr.".encode("utf-16-le"), "iconv -f utf-16le"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF file"),
        (b"PK\x03\x04\x14\x00\x06\x00word/document.xml", ".docx"),
    ],
)
def test_utf16_pdf_and_docx_are_named_not_just_binary(raw, named):
    with pytest.raises(InputError, match="only UTF-8|UTF-16") as err:
        decode_text(raw, "f")
    assert named in str(err.value)


def test_ids_keep_letters_of_any_script_and_do_not_collide():
    ids = {doc_id_for(Path(n)) for n in ("中国.txt", "日本.txt", "Ελλάδα.md", "Bürger.txt")}
    assert ids == {"中国.txt", "日本.txt", "Ελλάδα.md", "Bürger.txt"}
    # macOS hands out NFD names: the same file gives the same id.
    assert doc_id_for(Path("Bu\u0308rger.txt")) == "Bürger.txt"
    assert doc_id_for(Path("!!!.txt")) != doc_id_for(Path("???.txt"))
    assert doc_id_for(Path("musk-nato.de.txt")) == "musk-nato.de.txt"  # ASCII names keep their ids


def test_unicode_names_are_two_documents(store, fake_embeddings, tmp_path):
    for name in ("中国.txt", "日本.txt"):
        (tmp_path / name).write_text(f"Ein Artikel über {name}. Er hat zwei Sätze.", "utf-8")
    report = ingest_paths(store, fake_embeddings, [tmp_path / "中国.txt", tmp_path / "日本.txt"])
    assert report.ok
    assert [o.action for o in report.outcomes] == ["added", "added"]
    assert len(store.list_documents()) == 2


def test_the_same_name_in_two_folders_is_two_documents(store, fake_embeddings, tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "report.txt").write_text(
            f"Der Bericht aus Ordner {folder}. Zweiter Satz.", "utf-8"
        )
    report = ingest_paths(store, fake_embeddings, [tmp_path])
    assert report.ok, report.errors
    docs = store.list_documents()
    assert len(docs) == 2
    assert {Path(d.path).parent.name for d in docs} == {"a", "b"}
    # Ingesting again changes nothing: each file keeps its id.
    again = ingest_paths(store, fake_embeddings, [tmp_path])
    assert [o.action for o in again.outcomes] == ["unchanged", "unchanged"]
    # A file moved to another folder replaces its old record instead of becoming a second document.
    (tmp_path / "a" / "report.txt").rename(tmp_path / "moved.txt")
    (tmp_path / "b" / "report.txt").unlink()
    (tmp_path / "c").mkdir()
    (tmp_path / "moved.txt").rename(tmp_path / "c" / "report.txt")
    moved = ingest_paths(store, fake_embeddings, [tmp_path / "c"])
    assert moved.ok and moved.outcomes[0].action in ("replaced", "unchanged")
    assert len(store.list_documents()) == 2


def test_one_missing_path_does_not_stop_the_others(run, tmp_path):
    code, out, err = run("ingest", str(tmp_path / "missing.txt"), str(SEED))
    assert code == 2
    assert "added" in out and "musk-nato.de.txt" in out
    assert "missing.txt: no such file or folder" in err and "Traceback" not in err


def test_markup_in_titles_and_paths_is_text(run, tmp_path):
    folder = tmp_path / "in[/bold]put"
    (folder / "a[").mkdir(parents=True)  # "/" separates folders: the path reads .../in[/bold]put/a[/b].txt
    (folder / "a[/b].txt").write_text("[video] Titel mit [/b] Klammern\nEin Satz dazu. Noch einer.", "utf-8")
    (folder / "empty[").mkdir()
    (folder / "empty[/red].txt").write_text("", "utf-8")
    code, out, err = run("ingest", str(folder))
    assert code == 2 and "Traceback" not in err and "MarkupError" not in err
    assert "empty[/red].txt: file is empty" in err
    code, out, err = run("docs")
    assert code == 0, err
    assert "[video] Titel mit [/b] Klammern" in " ".join(out.split())
    code, out, _ = run("docs", "--json")
    assert json.loads(out)[0]["title"] == "[video] Titel mit [/b] Klammern"


def test_a_doc_that_is_not_indexed_is_an_input_error(run, fake_chat_model):
    run("ingest", str(SEED))
    code, _, err = run("check", "--doc", "nope.txt", "Mike Lee ist Senator.")
    assert code == 2 and "no document 'nope.txt'" in err and len(err.strip().splitlines()) == 1


def test_a_missing_document_in_load_document():
    with pytest.raises(InputError, match="no such file"):
        load_document(Path("/nonexistent/x.txt"))


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ("k = [1, 2]", "k must be a whole number from 1 to 50, got [1, 2]"),
        ("k = 2.7", "got 2.7"),
        ("k = 1000", "got 1000"),
        ("k = true", "got True"),
        ("embedder = 5", "embedder must be a string"),
    ],
)
def test_bad_values_in_config_toml_are_one_line(run, tmp_path, conf, message):
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(conf + "\n", "utf-8")
    code, _, err = run("docs")
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("value", ["2.7", "1000", "0", "x"])
def test_k_from_the_environment_is_bounded_and_whole(run, monkeypatch, value):
    monkeypatch.setenv("FACTCHECK_K", value)
    code, _, err = run("docs")
    assert code == 2 and "k must be a whole number from 1 to 50" in err


def test_home_that_is_a_file_or_cannot_be_created(run, tmp_path):
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x", "utf-8")
    for home in (a_file, a_file / "below"):
        code, _, err = run("docs", "--home", str(home))
        assert code == 2, err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    # A folder that cannot be made: `docs` creates nothing, so it has nothing to list; a command that must
    # write there says why it cannot.
    code, out, err = run("docs", "--home", "/proc/factcheck-home")
    assert code == 0 and "no documents" in out
    code, _, err = run("ingest", str(SEED), "--home", "/proc/factcheck-home")
    assert code in (2, 3), err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_truncated_index_is_reported_not_replaced(run, tmp_path):
    assert run("ingest", str(SEED))[0] == 0
    db = tmp_path / "home" / "chroma" / "chroma.sqlite3"
    db.write_bytes(b"")
    code, out, err = run("docs")
    assert code == 3 and "damaged" in err and "chroma.sqlite3 is empty" in err
    assert "no documents" not in out
    assert db.stat().st_size == 0  # left as it was, for the user to restore


def test_ctrl_c_during_ingest_says_what_was_done(run, monkeypatch, tmp_path):
    from assistant import ingest  # the command imports ingest_paths from here when it runs

    real = ingest.ingest_paths

    def interrupted(store, embeddings, paths, **callbacks):
        callbacks["on_files"](2)
        real(store, embeddings, paths[:1], on_file_done=callbacks["on_file_done"])
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest, "ingest_paths", interrupted)
    other = tmp_path / "b.txt"
    other.write_text("Ein zweiter Text. Mit zwei Sätzen.", "utf-8")
    code, _, err = run("ingest", str(SEED), str(other))
    assert code == 130
    assert "interrupted after 1 of 2 files" in err and "run the same command again" in err
