from hypothesis import given
from hypothesis import strategies as st

from assistant.sentences import split_sentences


def texts(s):
    return [x.text for x in split_sentences(s)]


def test_offsets_index_the_seed_exactly(seed_text):
    sents = split_sentences(seed_text)
    assert len(sents) == 43
    for i, s in enumerate(sents):
        assert s.sentence_id == i
        assert seed_text[s.start : s.end] == s.text
        assert s.text == s.text.strip()
    # in order and non-overlapping
    assert all(a.end <= b.start for a, b in zip(sents, sents[1:], strict=False))


def test_caption_credit_does_not_swallow_neighbours(seed_text):
    got = texts(seed_text)
    caption = (
        "NATO-General Mark Rutte (Bild) wurde inmitten stürmischer Zeiten "
        "zum neuen Chef des Militärbündnisses."
    )
    i = got.index(caption)
    assert got[i + 1] == "APA/AFP/FABRICE COFFRINI"
    assert got[i + 2].startswith("Zudem wäre die Ukraine")
    assert "APA/AFP/Jim WATSON" in got


def test_headings_are_their_own_sentences(seed_text):
    got = texts(seed_text)
    assert "Rechtliche Hürden für einen NATO-Austritt" in got
    assert "Kurswechsel in der US-Außenpolitik" in got


def test_abbreviations_initials_and_ordinals():
    assert texts("Donald J. Trump kam. Dann ging er.") == ["Donald J. Trump kam.", "Dann ging er."]
    assert texts("The U.S. Senate voted. It passed.") == ["The U.S. Senate voted.", "It passed."]
    assert texts("Am 1. Januar 2023 kam er. Er ging.") == ["Am 1. Januar 2023 kam er.", "Er ging."]
    assert texts("Er kam z. B. spät. Dann ging er.") == ["Er kam z. B. spät.", "Dann ging er."]
    assert texts("„Raus“, schrieb Lee auf X. Es sei Zeit.") == ["„Raus“, schrieb Lee auf X.", "Es sei Zeit."]
    assert texts("Es war 2023. Dann ging er.") == ["Es war 2023.", "Dann ging er."]
    assert texts("Wirklich? Ja! Gut.") == ["Wirklich?", "Ja!", "Gut."]


def test_crlf_and_blank_lines_keep_offsets():
    text = "Erster Satz.\r\nZweiter Satz. Dritter.\r\n\r\nÜberschrift\r\n"
    sents = split_sentences(text)
    assert [s.text for s in sents] == ["Erster Satz.", "Zweiter Satz.", "Dritter.", "Überschrift"]
    for s in sents:
        assert text[s.start : s.end] == s.text


def test_punctuation_only_lines_are_skipped():
    assert texts("***\n---\nEin Satz.") == ["Ein Satz."]


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300))
def test_offsets_always_exact(text):
    prev_end = 0
    for s in split_sentences(text):
        assert text[s.start : s.end] == s.text
        assert s.start >= prev_end
        prev_end = s.end
