"""One store shared by batch threads: more documents than its text cache holds, eight claims at a time."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from assistant.batch import ClaimInput, check_many
from assistant.check import Checker
from assistant.documents import SourceDocument
from assistant.ingest import ingest_many
from assistant.retrieve import SentenceRetriever
from assistant.store import SentenceStore

N_DOCS = 24
#: Far fewer texts kept than documents retrieved from, so threads evict each other's entries all the time.
TEXT_CACHE = 3
CONCURRENCY = 8
REPLY = {"statements": [{"text": "s", "sentences": [1, 2], "verdict": "supported", "confidence": 0.8}]}


def _text(i: int) -> str:
    return (
        f"Die Stadt Ort{i} wählte den Rat{i} im Mai.\n"
        f"Der Rat{i} hat {i + 3} Mitglieder aus Ort{i}. Gewählt wurde in Schule{i}.\n"
        "Alle Rechte vorbehalten.\n"
    )


def _document(i: int) -> SourceDocument:
    text = _text(i)
    name = f"ort{i:02d}.txt"
    return SourceDocument(name, name, name, "de", text, hashlib.sha256(text.encode()).hexdigest())


@pytest.fixture
def small_cache_store(tmp_path, fake_embeddings) -> SentenceStore:
    store = SentenceStore(str(tmp_path / "chroma"), "fake", text_cache=TEXT_CACHE)
    results = list(ingest_many(store, [_document(i) for i in range(N_DOCS)], fake_embeddings.embed_documents))
    assert [getattr(r, "action", r) for r in results] == ["added"] * N_DOCS
    return store


def _claims() -> list[ClaimInput]:
    # Twice round the corpus: every claim retrieves from several documents (the shared words).
    return [ClaimInput(f"c{n}", f"Ort{n % N_DOCS} wählte Rat{n % N_DOCS} mit Mitglieder") for n in range(48)]


def _run(checker: Checker, fake_chat_model: Any, out: Path, concurrency: int) -> dict[str, dict[str, Any]]:
    claims = _claims()
    fake_chat_model.enqueue(*([REPLY] * len(claims)))
    summary = check_many(checker, claims, out, concurrency=concurrency)
    assert (summary.checked, summary.failed, summary.skipped) == (len(claims), 0, 0)
    lines = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert all("error" not in line for line in lines)
    return {line["id"]: line for line in lines}


def _comparable(line: dict[str, Any]) -> dict[str, Any]:
    return {k: line[k] for k in ("claim", "verdict", "confidence", "statements", "retrieved")}


def test_concurrent_checks_over_more_documents_than_the_text_cache_holds(
    small_cache_store, fake_embeddings, structured_fake, fake_chat_model, tmp_path
):
    # Switch threads as often as the interpreter allows, so an unlocked cache would race.
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        retriever = SentenceRetriever(store=small_cache_store, embeddings=fake_embeddings, k=5)
        checker = Checker(small_cache_store, retriever, structured_fake, pipeline="check.v1")
        sequential = _run(checker, fake_chat_model, tmp_path / "one.jsonl", concurrency=1)
        concurrent = _run(checker, fake_chat_model, tmp_path / "eight.jsonl", concurrency=CONCURRENCY)
    finally:
        sys.setswitchinterval(old_interval)

    texts = {f"ort{i:02d}.txt": _text(i) for i in range(N_DOCS)}
    assert set(concurrent) == {c.id for c in _claims()}
    docs_seen: set[str] = set()
    for claim_id, line in concurrent.items():
        assert _comparable(line) == _comparable(sequential[claim_id]), claim_id
        n = int(claim_id[1:]) % N_DOCS
        # the claim's own document is found (the fake embeddings hash words, so not always first)
        assert f"ort{n:02d}.txt" in {r["doc_id"] for r in line["retrieved"]}, claim_id
        evidence = [e for s in line["statements"] for e in s["evidence"]]
        assert len(evidence) == 2, claim_id  # both cited sentences verified
        for span in [*line["retrieved"], *evidence]:
            assert texts[span["doc_id"]][span["start"] : span["end"]] == span["text"], span
            docs_seen.add(span["doc_id"])
    assert len(docs_seen) > TEXT_CACHE * 4  # the cache really was too small for what was read


def test_the_text_cache_survives_threads_evicting_each_others_entries():
    from concurrent.futures import ThreadPoolExecutor

    from assistant.store import TextCache

    cache = TextCache(2)

    def work(t: int) -> int:
        misses = 0
        for i in range(5000):
            keys = [f"k{(i + t + j) % 5}" for j in range(3)]
            got = cache.get_many(keys)
            assert all(got[k] == k.upper() for k in got)
            for k in keys:
                if k not in got:
                    misses += 1
                    cache.put(k, k.upper())
        return misses

    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # an unlocked OrderedDict raises KeyError here within milliseconds
    try:
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            misses = list(pool.map(work, range(CONCURRENCY)))
    finally:
        sys.setswitchinterval(old_interval)
    assert len(cache) == 2 and sum(misses) > 0
