import pytest

from assistant.documents import MAX_FILE_BYTES, expand_paths, load_document
from assistant.errors import InputError


def test_bom_is_dropped_and_offsets_refer_to_text(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes("\ufeffErster Satz. Zweiter.".encode())
    doc = load_document(p)
    assert doc.text == "Erster Satz. Zweiter."
    assert doc.doc_id == "a.txt"
    assert len(doc.sha256) == 64


def test_crlf_is_kept(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes(b"Eins.\r\nZwei.\r\n")
    assert load_document(p).text == "Eins.\r\nZwei.\r\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n\t ", "empty"),
        (b"caf\xe9 au lait", "not valid UTF-8"),
        (b"\x7fELF\x00\x01\x02", "binary"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(tmp_path, content, message):
    p = tmp_path / "bad.txt"
    p.write_bytes(content)
    with pytest.raises(InputError, match=message):
        load_document(p)


def test_missing_and_huge_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_document(tmp_path / "nope.txt")
    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.seek(MAX_FILE_BYTES + 1)
        f.write(b"x")
    with pytest.raises(InputError, match="larger than"):
        load_document(big)


def test_expand_paths_recurses_and_skips_hidden(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / ".git").mkdir()
    for name in ["a.txt", "sub/b.md", "sub/c.pdf", "sub/d.rtf", ".git/d.txt"]:
        (tmp_path / name).write_text("Satz.")
    assert [p.name for p in expand_paths([tmp_path])] == ["a.txt", "b.md", "c.pdf"]
    with pytest.raises(InputError, match="no such file"):
        expand_paths([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no .txt, .md, .html"):
        expand_paths([tmp_path / "empty"])
