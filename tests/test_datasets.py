"""Dataset loaders: the project's jsonl, WiCE, Check-COVID, format inference and the gold-sentence mapping."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import InputError
from assistant.evaluation.datasets import (
    gold_sentence_ids,
    load_check_covid,
    load_dataset,
    load_jsonl,
    load_wice,
)
from assistant.evaluation.items import EvalDataset, GoldSpan

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

DOC = "Alpha is one.\nBeta is two.\nGamma ist drei – schön.\n"


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", "utf-8")
    return path


def span(text: str, quote: str) -> dict[str, Any]:
    start = text.index(quote)
    return {"quote": quote, "start": start, "end": start + len(quote)}


def item(id: str = "bad-1", **kw: Any) -> dict[str, Any]:
    row = {
        "id": id,
        "kind": "claim",
        "claim": "Alpha is one.",
        "label": "supported",
        "lang": "en",
        "evidence": [span(DOC, "Alpha is one.")],
        "doc": "a.txt",
    }
    row.update(kw)
    return row


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text(DOC, "utf-8")
    return folder


def check_spans(ds: EvalDataset) -> None:
    texts = {d.name: d.text for d in ds.corpus}
    assert len(texts) == len(ds.corpus)
    for it in ds.items:
        for evidence_set in it.evidence_sets:
            assert evidence_set
            for s in evidence_set:
                assert texts[s.doc][s.start : s.end] == s.quote


# ---- the project's jsonl ---------------------------------------------------------------------


def test_jsonl_happy_path(tmp_path: Path, corpus: Path) -> None:
    rows = [
        item("c1"),
        "",
        item("q1", kind="question", claim="What is Beta?", label=None, evidence=[span(DOC, "Beta is two.")]),
        item("n1", label="not_enough_info", evidence=[], lang="de"),
        item("c2", evidence=[span(DOC, "Alpha is one."), span(DOC, "drei – schön")]),
    ]
    del rows[3]["doc"]  # a single-document corpus: the doc may be left out
    ds = load_jsonl(write_jsonl(tmp_path / "gold.jsonl", rows), corpus)
    assert ds.name == "gold"
    assert [d.name for d in ds.corpus] == ["a.txt"] and ds.corpus[0].text == DOC
    c1, q1, n1, c2 = ds.items
    assert (c1.id, c1.kind, c1.label, c1.doc, c1.source_label) == ("c1", "claim", "supported", None, None)
    assert c1.evidence_sets == ((GoldSpan("a.txt", 0, 13, "Alpha is one."),),)
    assert q1.kind == "question" and q1.label is None and q1.evidence_sets[0][0].quote == "Beta is two."
    assert n1.label == "not_enough_info" and n1.evidence_sets == () and n1.lang == "de"
    assert len(c2.evidence_sets) == 1 and len(c2.evidence_sets[0]) == 2
    check_spans(ds)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (item(claim=None), "'claim'"),
        ({k: v for k, v in item().items() if k != "lang"}, "missing key 'lang'"),
        (item(evidences=[]), "unknown key(s) evidences"),
        (item(kind="statement"), "kind must be claim or question"),
        (item(label="true"), "label must be one of"),
        (item(label=None), "label must be one of"),
        (item(kind="question", label="supported"), "question's label must be null"),
        (item(evidence=[{"quote": "Alpha", "start": "0", "end": 5}]), "integer start"),
        (item(evidence=[{"quote": "Alpha", "start": 0}]), "exactly quote, start, end"),
        (item(evidence=[{"quote": "lpha ", "start": 0, "end": 5}]), "quote does not match text[0:5]"),
        (item(evidence=[{"quote": "Beta", "start": 14, "end": 19}]), "the quote is at [14:18]"),
        (item(evidence=[{"quote": "x", "start": -1, "end": 0}]), "outside a.txt"),
        (item(evidence=[{"quote": "x", "start": 0, "end": 999}]), "outside a.txt"),
        (item(doc="b.txt"), "unknown doc 'b.txt'"),
        (item(claim=" "), "must not be empty"),
    ],
)
def test_jsonl_validation_names_file_line_and_item(
    tmp_path: Path, corpus: Path, row: dict[str, Any], expected: str
) -> None:
    path = write_jsonl(tmp_path / "gold.jsonl", [item("ok-1"), "", row])
    with pytest.raises(InputError) as exc:
        load_jsonl(path, corpus)
    msg = str(exc.value)
    assert f"{path}:3: item bad-1: " in msg and expected in msg
    assert "\n" not in msg


def test_jsonl_quote_mismatch_message(tmp_path: Path, corpus: Path) -> None:
    path = write_jsonl(
        tmp_path / "g.jsonl", [item("seed-012", evidence=[{"quote": "Beta", "start": 0, "end": 4}])]
    )
    with pytest.raises(InputError, match=r"item seed-012: quote does not match text\[0:4\]"):
        load_jsonl(path, corpus)


def test_jsonl_duplicate_id_and_invalid_json(tmp_path: Path, corpus: Path) -> None:
    path = write_jsonl(tmp_path / "g.jsonl", [item("x1"), item("x1")])
    with pytest.raises(InputError, match=r"g\.jsonl:2: item x1: duplicate id"):
        load_jsonl(path, corpus)
    path = write_jsonl(tmp_path / "h.jsonl", [item("x1"), '{"id": "x2", ', "[1]"])
    with pytest.raises(InputError, match=r"h\.jsonl:2: invalid JSON"):
        load_jsonl(path, corpus)
    path = write_jsonl(tmp_path / "i.jsonl", [item("x1"), "[1]"])
    with pytest.raises(InputError, match=r"i\.jsonl:2: expected a JSON object"):
        load_jsonl(path, corpus)


def test_jsonl_bom_corpus_offsets_skip_the_bom(tmp_path: Path) -> None:
    doc = tmp_path / "bom.txt"
    doc.write_bytes(b"\xef\xbb\xbf" + "Äpfel sind rot.\nBirnen nicht.".encode())
    path = write_jsonl(
        tmp_path / "g.jsonl", [item("b1", doc="bom.txt", evidence=[span("Äpfel sind rot.", "Äpfel")])]
    )
    ds = load_jsonl(path, doc)  # a single file as corpus
    assert ds.corpus[0].text.startswith("Äpfel") and ds.items[0].evidence_sets[0][0] == GoldSpan(
        "bom.txt", 0, 5, "Äpfel"
    )
    bad = write_jsonl(
        tmp_path / "h.jsonl",
        [item("b2", doc="bom.txt", evidence=[span("Äpfel sind rot.", "Äpfel") | {"start": 1, "end": 6}])],
    )
    with pytest.raises(InputError, match="item b2: quote does not match text"):
        load_jsonl(bad, doc)


def test_jsonl_multi_document_corpus_needs_doc(tmp_path: Path, corpus: Path) -> None:
    (corpus / "sub").mkdir()
    (corpus / "sub" / "b.md").write_text("Delta is four.", "utf-8")
    (corpus / "skip.json").write_text("{}", "utf-8")
    ok = load_jsonl(
        write_jsonl(
            tmp_path / "g.jsonl",
            [item("a1"), item("b1", doc="b.md", evidence=[span("Delta is four.", "Delta")])],
        ),
        corpus,
    )
    assert sorted(d.name for d in ok.corpus) == ["a.txt", "b.md"]
    assert ok.items[1].evidence_sets[0][0].doc == "b.md"
    # a claim without evidence needs no document
    row = item("n1", label="not_enough_info", evidence=[])
    del row["doc"]
    assert load_jsonl(write_jsonl(tmp_path / "n.jsonl", [row]), corpus).items[0].evidence_sets == ()
    # an item that names no document: its evidence names it by matching, and retrieval spans the corpus
    row = item("m1")
    del row["doc"]
    found = load_jsonl(write_jsonl(tmp_path / "g2.jsonl", [row]), corpus).items[0]
    assert found.doc is None and found.evidence_sets[0][0].doc == "a.txt"
    row["evidence"] = [{"quote": "zzz", "start": 0, "end": 3}]
    with pytest.raises(InputError, match=r"g3\.jsonl:1: item m1: no doc given and no corpus document holds"):
        load_jsonl(write_jsonl(tmp_path / "g3.jsonl", [row]), corpus)


def test_jsonl_corpus_errors(tmp_path: Path, corpus: Path) -> None:
    path = write_jsonl(tmp_path / "g.jsonl", [item("a1")])
    with pytest.raises(InputError, match="no such file"):
        load_jsonl(path, tmp_path / "nope")
    (corpus / "dup").mkdir()
    (corpus / "dup" / "a.txt").write_text("again", "utf-8")
    with pytest.raises(InputError, match="two corpus files are named a.txt"):
        load_jsonl(path, corpus)
    with pytest.raises(InputError, match="holds no items"):
        load_jsonl(write_jsonl(tmp_path / "empty.jsonl", [""]), tmp_path / "corpus" / "a.txt")


# ---- WiCE -------------------------------------------------------------------------------------


def wice_row(id: str, label: str, sets: list[list[int]], evidence: list[str] | None = None) -> dict[str, Any]:
    evidence = evidence or ["(meta data) TITLE: Page", "Skip to content", f"{id} happened in 1999.", "More."]
    return {
        "label": label,
        "supporting_sentences": sets,
        "claim": f"{id} happened.",
        "evidence": evidence,
        "meta": {"id": id, "claim_title": "T", "claim_context": "ctx"},
    }


def test_wice_pages_lines_and_gold(tmp_path: Path) -> None:
    page = ["Skip to content", "", "Line with\nbreak and  spaces ", "Fact one.", "Fact two."]
    rows = [
        wice_row("dev/01", "partially_supported", [[3, 0], [4, 1], [1], [0, 3]], page),
        wice_row("dev02", "supported", [[2]]),
        wice_row("dev03", "not_supported", [[], [2]]),
    ]
    ds = load_wice(write_jsonl(tmp_path / "claim_dev.jsonl", rows))
    assert ds.name == "wice"
    first, second, third = ds.items
    assert first.id == "dev/01" and first.doc == "wice-dev-01.txt" and first.claim == "dev/01 happened."
    assert (first.kind, first.lang, first.label, first.source_label) == (
        "claim",
        "en",
        "not_enough_info",
        "partially_supported",
    )
    text = ds.corpus[0].text
    assert text.split("\n") == [
        "Skip to content",
        "",
        "Line with break and  spaces ",
        "Fact one.",
        "Fact two.",
    ]
    # [4, 1] loses the empty line, [1] becomes empty and is dropped, [0, 3] repeats [3, 0]
    assert [[s.quote for s in es] for es in first.evidence_sets] == [
        ["Skip to content", "Fact one."],
        ["Fact two."],
    ]
    assert (second.label, second.source_label, second.doc) == ("supported", "supported", "wice-dev02.txt")
    assert second.evidence_sets[0][0].quote == "dev02 happened in 1999."
    assert (
        third.label == "not_enough_info"
        and third.source_label == "not_supported"
        and third.evidence_sets == ()
    )
    assert [d.name for d in ds.corpus] == [i.doc for i in ds.items]
    check_spans(ds)


def test_wice_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="out of range"):
        load_wice(write_jsonl(tmp_path / "a.jsonl", [wice_row("d1", "supported", [[9]])]))
    with pytest.raises(InputError, match="unknown label 'refuted'"):
        load_wice(write_jsonl(tmp_path / "b.jsonl", [wice_row("d1", "refuted", [[1]])]))
    with pytest.raises(InputError, match="duplicate id"):
        load_wice(write_jsonl(tmp_path / "c.jsonl", [wice_row("d1", "supported", [[1]])] * 2))
    with pytest.raises(InputError, match="missing key 'supporting_sentences'"):
        load_wice(write_jsonl(tmp_path / "d.jsonl", [{"claim": "x", "label": "supported", "evidence": []}]))


def test_wice_limit_round_robin_over_labels(tmp_path: Path) -> None:
    rows = [wice_row(f"s{i}", "supported", [[2]]) for i in range(6)]
    rows += [wice_row(f"p{i}", "partially_supported", [[2]]) for i in range(3)]
    rows += [wice_row(f"n{i}", "not_supported", [[]]) for i in range(3)]
    ds = load_wice(write_jsonl(tmp_path / "claim_dev.jsonl", rows), limit=7)
    assert [i.id for i in ds.items] == ["s0", "s1", "s2", "p0", "p1", "n0", "n1"]
    assert [d.name for d in ds.corpus] == [f"wice-{i.id}.txt" for i in ds.items]
    assert len(load_wice(tmp_path / "claim_dev.jsonl", limit=100).items) == 12


# ---- Check-COVID ------------------------------------------------------------------------------

ABSTRACTS = {
    "aaa": ["Bats sense DNA.", "They\ncoexist with viruses.", "Third."],
    "bbb": ["Masks help.", "Unrelated sentence."],
    "ccc": ["Nothing here."],
}


def covid_row(id: str, label: str, cord: str, ev: list[tuple[int, str]]) -> dict[str, Any]:
    evidence_set = [{"sent_index": i, "type": t} for i, t in ev]
    return {
        "id": id,
        "claim": f"claim {id}",
        "cord_id": cord,
        "label": label,
        "evidence_set": evidence_set,
        "is_auth": False,
    }


def write_covid(
    folder: Path, dev: list[dict[str, Any]], nei: list[dict[str, Any]] | None = None, as_list: bool = False
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    abstracts = [{"cord_id": c, "title": f"Title {c}", "abstract": a} for c, a in ABSTRACTS.items()]
    if as_list:
        (folder / "corpus.json").write_text(json.dumps(abstracts, indent=1), "utf-8")
    else:
        write_jsonl(folder / "corpus.json", abstracts)
    write_jsonl(folder / "dev.json", dev)
    if nei is not None:
        write_jsonl(folder / "dev_nei.json", nei)
    return folder


def test_check_covid_merges_nei_from_dev_nei(tmp_path: Path) -> None:
    dev = [
        covid_row("x_0", "REFUTE", "aaa", [(0, "SUPPLEMENTARY"), (1, "PRIMARY")]),
        covid_row("x_1", "SUPPORT", "aaa", [(1, "PRIMARY"), (2, "PRIMARY")]),
        covid_row("x_2", "NOTENOUGHINFO", "aaa", [(2, "PRIMARY")]),
        covid_row("y_0", "SUPPORT", "bbb", [(0, "PRIMARY")]),
    ]
    nei = [dict(dev[0], cord_id="ccc", evidence_set=[]), dict(dev[2], cord_id="ccc", evidence_set=[]), dev[3]]
    nei.append(covid_row("z_2", "NOTENOUGHINFO", "bbb", []))
    ds = load_check_covid(write_covid(tmp_path / "cc", dev, nei, as_list=True))
    assert ds.name == "check-covid"
    assert [i.id for i in ds.items] == ["x_0", "x_1", "x_2", "y_0", "z_2"]
    x0, x1, x2, y0, z2 = ds.items
    assert (x0.label, x0.source_label, x0.doc, x0.kind, x0.lang) == (
        "refuted",
        "REFUTE",
        "cord-aaa.txt",
        "claim",
        "en",
    )
    assert [s.quote for s in x0.evidence_sets[0]] == ["They coexist with viruses."]  # SUPPLEMENTARY ignored
    assert [s.quote for s in x1.evidence_sets[0]] == ["They coexist with viruses.", "Third."]
    assert (x2.label, x2.doc, x2.evidence_sets) == ("not_enough_info", "cord-ccc.txt", ())
    assert y0.label == "supported" and z2.doc == "cord-bbb.txt"
    texts = {d.name: d.text for d in ds.corpus}
    assert texts == {
        "cord-aaa.txt": "Bats sense DNA.\nThey coexist with viruses.\nThird.",
        "cord-ccc.txt": "Nothing here.",
        "cord-bbb.txt": "Masks help.\nUnrelated sentence.",
    }
    check_spans(ds)


def test_check_covid_without_dev_nei_drops_nei_evidence(tmp_path: Path) -> None:
    ds = load_check_covid(
        write_covid(tmp_path / "cc", [covid_row("a", "NOTENOUGHINFO", "aaa", [(0, "PRIMARY")])])
    )
    assert ds.items[0].evidence_sets == () and ds.items[0].doc == "cord-aaa.txt"


def test_check_covid_missing_abstracts(tmp_path: Path) -> None:
    rows = [covid_row(f"i{n}", "SUPPORT", "aaa", [(0, "PRIMARY")]) for n in range(19)]
    ds = load_check_covid(
        write_covid(tmp_path / "ok", rows + [covid_row("gone", "REFUTE", "zzz", [(0, "PRIMARY")])])
    )
    assert len(ds.items) == 19 and ds.name == "check-covid (1 items skipped: abstract missing)"
    rows = rows[:5] + [covid_row("gone", "REFUTE", "zzz", [(0, "PRIMARY")])]
    with pytest.raises(InputError, match="1 of 6 items refer to abstracts missing"):
        load_check_covid(write_covid(tmp_path / "bad", rows))
    with pytest.raises(InputError, match="out of range"):
        load_check_covid(write_covid(tmp_path / "oob", [covid_row("o", "SUPPORT", "ccc", [(3, "PRIMARY")])]))
    with pytest.raises(InputError, match="corpus.json: no such file"):
        load_check_covid(tmp_path / "nothing")


def test_check_covid_limit_keeps_all_labels(tmp_path: Path) -> None:
    labels = ["SUPPORT"] * 5 + ["REFUTE"] * 5 + ["NOTENOUGHINFO"] * 5
    rows = [
        covid_row(f"r{n}", lab, "aaa" if n < 10 else "bbb", [(0, "PRIMARY")]) for n, lab in enumerate(labels)
    ]
    ds = load_check_covid(write_covid(tmp_path / "cc", rows), limit=6)
    assert Counter(i.source_label for i in ds.items) == {"SUPPORT": 2, "REFUTE": 2, "NOTENOUGHINFO": 2}
    assert [i.id for i in ds.items] == ["r0", "r1", "r5", "r6", "r10", "r11"]
    assert [d.name for d in ds.corpus] == ["cord-aaa.txt", "cord-bbb.txt"]


# ---- load_dataset -----------------------------------------------------------------------------


def test_load_dataset_infers_format(tmp_path: Path) -> None:
    cc = write_covid(tmp_path / "check-covid", [covid_row("a", "SUPPORT", "aaa", [(0, "PRIMARY")])])
    assert load_dataset(cc, None, None, None).name == "check-covid"
    wice = write_jsonl(tmp_path / "wice" / "claim_dev.jsonl", [wice_row("d1", "supported", [[2]])])
    assert load_dataset(wice, None, None, None).name == "wice"
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "a.txt").write_text(DOC, "utf-8")
    gold = write_jsonl(tmp_path / "evals" / "claims.jsonl", [item("a1"), item("a2"), item("a3")])
    ds = load_dataset(gold, None, None, 2)  # corpus defaults to ../seeds
    assert ds.name == "claims" and [i.id for i in ds.items] == ["a1", "a2"]
    assert load_dataset(gold, "jsonl", tmp_path / "seeds" / "a.txt", None).corpus[0].name == "a.txt"


def test_load_dataset_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nope.jsonl: no such file"):
        load_dataset(tmp_path / "nope.jsonl", None, None, None)
    gold = write_jsonl(tmp_path / "evals" / "gold.jsonl", [item("a1")])
    with pytest.raises(InputError, match="no corpus given"):
        load_dataset(gold, None, None, None)
    with pytest.raises(InputError, match="unknown dataset format 'csv'"):
        load_dataset(gold, "csv", None, None)
    with pytest.raises(InputError, match="at least 1"):
        load_dataset(gold, None, tmp_path, 0)
    with pytest.raises(InputError, match="holds no corpus.json"):
        load_dataset(tmp_path / "evals", None, None, None)
    wice = write_jsonl(tmp_path / "claim_dev.jsonl", [wice_row("d1", "supported", [[2]])])
    with pytest.raises(InputError, match="corpus applies only to the jsonl format"):
        load_dataset(wice, None, tmp_path, None)


# ---- gold_sentence_ids ------------------------------------------------------------------------


def test_gold_sentence_ids_overlap() -> None:
    sentences = {"a.txt": [(0, 0, 10), (1, 11, 20), (2, 21, 30)], "b.txt": [(0, 0, 5)]}
    assert gold_sentence_ids([GoldSpan("a.txt", 0, 10, "x")], sentences) == {("a.txt", 0)}
    assert gold_sentence_ids([GoldSpan("a.txt", 9, 12, "x")], sentences) == {("a.txt", 0), ("a.txt", 1)}
    assert (
        gold_sentence_ids([GoldSpan("a.txt", 10, 11, "\n")], sentences) == set()
    )  # touching is not overlapping
    assert gold_sentence_ids([GoldSpan("a.txt", 5, 25, "x"), GoldSpan("b.txt", 4, 9, "x")], sentences) == {
        ("a.txt", 0),
        ("a.txt", 1),
        ("a.txt", 2),
        ("b.txt", 0),
    }
    assert gold_sentence_ids([GoldSpan("c.txt", 0, 5, "x")], sentences) == set()
    assert gold_sentence_ids([], sentences) == set()


# ---- the real data ----------------------------------------------------------------------------


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared evaluation data lives next to the project checkout)")
    return path


def test_real_wice() -> None:
    ds = load_dataset(require(SHARED_DATA / "wice" / "claim_dev.jsonl"), None, None, None)
    assert ds.name == "wice" and 300 <= len(ds.items) <= 400 and len(ds.corpus) == len(ds.items)
    labels = Counter(i.source_label for i in ds.items)
    assert set(labels) == {"supported", "partially_supported", "not_supported"} and min(labels.values()) >= 30
    assert all(i.evidence_sets for i in ds.items if i.source_label == "supported")
    assert all(not i.evidence_sets for i in ds.items if i.source_label == "not_supported")
    check_spans(ds)
    limited = load_wice(SHARED_DATA / "wice" / "claim_dev.jsonl", limit=30)
    assert Counter(i.source_label for i in limited.items) == {
        "supported": 10,
        "partially_supported": 10,
        "not_supported": 10,
    }


def test_real_check_covid() -> None:
    ds = load_dataset(require(SHARED_DATA / "check-covid"), None, None, None)
    assert ds.name.startswith("check-covid") and 150 <= len(ds.items) <= 450
    labels = Counter(i.label for i in ds.items)
    assert set(labels) == {"supported", "refuted", "not_enough_info"} and min(labels.values()) >= 30
    assert len({i.id for i in ds.items}) == len(ds.items)
    assert all(i.evidence_sets for i in ds.items if i.label != "not_enough_info")
    assert all(not i.evidence_sets for i in ds.items if i.label == "not_enough_info")
    assert 10 <= len(ds.corpus) <= 400
    check_spans(ds)
    limited = load_check_covid(SHARED_DATA / "check-covid", limit=30)
    assert Counter(i.label for i in limited.items) == {"supported": 10, "refuted": 10, "not_enough_info": 10}


def test_real_seed_claims_validate() -> None:
    ds = load_dataset(require(ROOT / "evals" / "seed_claims.jsonl"), None, require(ROOT / "seeds"), None)
    assert len(ds.items) >= 20 and {d.name for d in ds.corpus} >= {"musk-nato.de.txt"}
    assert {i.kind for i in ds.items} <= {"claim", "question"}
    check_spans(ds)


def test_check_covid_split_files_name_their_split(tmp_path):
    from assistant.evaluation.datasets import infer_format, load_dataset

    corpus = {"cord_id": "c1", "title": "t", "abstract": ["Masks reduce spread.", "Trials were small."]}
    (tmp_path / "corpus.json").write_text(json.dumps(corpus) + "\n")
    claim = {"id": "x1", "claim": "Masks reduce spread.", "cord_id": "c1", "label": "SUPPORT",
             "evidence_set": [{"sent_index": 0, "type": "PRIMARY"}]}  # fmt: skip
    (tmp_path / "train.json").write_text(json.dumps(claim) + "\n")
    assert infer_format(tmp_path / "train.json") == "check-covid"
    data = load_dataset(tmp_path / "train.json", None, None, None)
    assert data.name == "check-covid train" and [i.id for i in data.items] == ["x1"]
    with pytest.raises(InputError, match="no dev.json"):
        load_dataset(tmp_path, None, None, None)  # the folder means its dev split, which is absent
