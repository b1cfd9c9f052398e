#!/usr/bin/env python
"""Scale benchmark: ingest throughput, retrieval latency and peak memory from 10k to 1M sentences.

Usage:
    .venv/bin/python evals/scale_benchmark.py [--sizes 10000,100000] [--queries 300] [--million]
        [--million-size N] [--server] [--json FILE]

Corpus: real sentences, the WiCE pages and all Check-COVID abstracts of ``../shared/data`` (about 45k
sentences), repeated with distinct document ids (``<name>#r<N>``) until a size is reached; the last
document of a size is cut at a sentence boundary so the index holds exactly that many sentences. Each
copy's content hash covers its id too, so copies do not share a ``doc_sha`` (distinct real documents
never do, and the store filters on it). The index stores one vector per distinct (normalized) sentence
text (index format 2, see ``assistant/store.py``), so a verbatim repeat would add locations but no
vectors and nothing to embed: round 0 is the real text, and every later round tags each sentence with
``[r<N>] `` so that it is a new text, embedded and searched like one. Each size reports ``sentences``
(location records) and ``vectors`` (distinct texts; a little below ``sentences`` where the real corpus
repeats a line itself).

For the embedded store (a ``PersistentClient`` in a temp dir) and, with ``--server``, a real Chroma server
that this script starts on 127.0.0.1 (and stops at the end, also on error), at each size:

- ingest: sentences/s through the product's path (``SourceDocument`` -> ``assistant.ingest.ingest_many`` with
  the embedder's ``embed_documents``, batched across documents and encoded in a worker thread while the
  previous batch is written, as ``factcheck ingest`` does), next to the embedder's raw encode rate
  measured just before and just after on a sample of the same sentences (``--raw-sample``; the mean of
  the two, as another CPU user changes both), and the ratio of the two.
  Sizes are filled incrementally (10k, then 90k more for 100k); the rate at a size is sentences divided
  by the total ingest time from an empty index. The time inside ``embed_documents`` is reported apart;
  since encoding overlaps the writes, wall time minus that time is the part of the writes left exposed.
- retrieval: p50/p95 of ``store.search(vector, k=5)`` with the claim embedded beforehand (WiCE and
  Check-COVID dev claims), the raw Chroma query the store makes first (``SentenceStore.query_vectors``
  with ``search_fetch_size(5)``: nearest distinct texts, not yet mapped to locations; so the store's own
  overhead is visible), the query-embedding time on its own, and ``hybrid_search`` (dense + BM25).
- memory: peak RSS of this process during ingest and during queries (the kernel's VmHWM, reset per phase
  through ``/proc/self/clear_refs``, plus a 50 ms sampler of VmRSS), and for the server the peak RSS of
  the server's process tree.

``--million`` adds a retrieval point at 1M sentences (``--million-size``; smaller to try the path) on the
embedded store only. Embedding 1M sentences takes hours on a small CPU, so that index is NOT embedded:
it holds copies of the largest ingested index's documents (ids ``<doc_id>#m<c>``, each sentence tagged
``[m<c>] ``), and each copied sentence's vector is the stored vector of its source sentence
(``SentenceStore.iter_vectors``) with small random noise (``--noise``, then re-normalised). They are
written through ``assistant.ingest.ingest_many`` with that lookup in place of the embedder, so vectors,
locations and document records are exactly what an ingest writes. Its ingest rate is therefore not
measured (``insert_per_s`` is the store's write rate alone); the output says "built from vectors". It is
skipped with a message when free memory (5x the float32 vectors' size, ~10 GiB for 1M) or temp disk space
(3x) is short.

Only public names of the package are used (``SentenceStore``'s methods, ``search_fetch_size``,
``sentence_key``); the server is ``tests/servers.py``'s ``ChromaServer``.

Targets (printed as PASS/FAIL, never asserted): ingest rate >= 0.8x the raw encode rate; embedded
``store.search`` p50 <= 10 ms at 100k sentences. Timings are measurements on this machine; a busy CPU
(see the load average in the output) lowers every rate.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.documents import SourceDocument, guess_lang, guess_title
from assistant.embeddings import DEFAULT_EMBEDDER, get_embedder
from assistant.embeddings.use import MultilingualUSEEmbeddings
from assistant.evaluation.datasets import load_check_covid, load_wice
from assistant.evaluation.metrics import percentile
from assistant.ingest import ingest_many
from assistant.records import Sentence
from assistant.retrieve import hybrid_search
from assistant.sentences import split_sentences
from assistant.store import SentenceStore, StoredDocument, search_fetch_size, sentence_key

ROOT = Path(__file__).resolve().parents[1]

SHARED = ROOT.parent / "shared" / "data"
K = 5
INGEST_TARGET_RATIO = 0.8
SEARCH_TARGET_P50_MS = 10.0
SEARCH_TARGET_SIZE = 100_000
WARMUP_QUERIES = 10
SAMPLE_INTERVAL_S = 0.05


# ---- corpus -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaseDocument:
    """A real page or abstract, with its sentences split once."""

    name: str
    text: str
    lang: str
    title: str
    sentences: list[Sentence]


def _covid_abstracts(folder: Path) -> list[tuple[str, str]]:
    """All abstracts of Check-COVID's corpus.json (not only those dev claims cite), one sentence a line."""
    raw = (folder / "corpus.json").read_text("utf-8")
    records = (
        json.loads(raw) if raw.lstrip().startswith("[") else [json.loads(x) for x in raw.splitlines() if x]
    )
    out = []
    for rec in records:
        lines = [" ".join(str(s).split()) for s in rec.get("abstract") or []]
        if any(lines):
            out.append((f"cord-{rec['cord_id']}.txt", "\n".join(lines)))
    return out


def load_base_corpus(data: Path) -> list[BaseDocument]:
    """WiCE pages and Check-COVID abstracts, interleaved so that every size holds both kinds of text."""
    wice = [(d.name, d.text) for d in load_wice(data / "wice" / "claim_dev.jsonl").corpus]
    covid = _covid_abstracts(data / "check-covid")
    merged: list[tuple[str, str]] = []
    for i in range(max(len(wice), len(covid))):
        merged.extend(src[i] for src in (wice, covid) if i < len(src))
    docs, seen = [], set()
    for name, text in merged:
        sentences = split_sentences(text)
        if name in seen or not sentences:
            continue
        seen.add(name)
        docs.append(BaseDocument(name, text, guess_lang(text), guess_title(text, Path(name)), sentences))
    return docs


def load_queries(data: Path, n: int) -> list[str]:
    """Up to ``n`` distinct claims, alternating WiCE and Check-COVID dev claims."""
    wice = [i.claim for i in load_wice(data / "wice" / "claim_dev.jsonl").items]
    covid = [i.claim for i in load_check_covid(data / "check-covid").items]
    out: list[str] = []
    for i in range(max(len(wice), len(covid))):
        out.extend(src[i] for src in (wice, covid) if i < len(src))
    return list(dict.fromkeys(out))[:n]


def tagged(text: str, sentences: list[Sentence], tag: str) -> str:
    """``text`` with ``[tag] `` before each of its ``sentences``, so that a copy's sentences are new texts.

    Index format 2 stores one vector per distinct text: a verbatim copy would add locations but no
    vectors and nothing to embed. The tag keeps sentence boundaries (``[`` may open a sentence); where it
    changes one (a caption credit glued to a period, a piece of an over-long run), the copy's split is
    simply its own: copies are always split again from their own text.
    """
    parts, prev = [], 0
    for s in sentences:
        parts += [text[prev : s.start], f"[{tag}] "]
        prev = s.start
    parts.append(text[prev:])
    return "".join(parts)


class CorpusStream:
    """Endless documents: the base corpus again and again under ids ``<name>#r<round>``.

    Round 0 is the real text; every later round tags each sentence with ``[r<round>]`` (see
    :func:`tagged`), so each round's sentences are distinct texts, embedded and stored like new ones.
    """

    def __init__(self, base: list[BaseDocument]) -> None:
        self._base = base
        self._round = 0
        self._pos = 0

    def take(self, n_sentences: int) -> tuple[list[SourceDocument], list[str]]:
        """Documents holding exactly ``n_sentences`` sentences (the last one cut), and those sentences."""
        docs: list[SourceDocument] = []
        texts: list[str] = []
        need = n_sentences
        while need > 0:
            base, round_ = self._base[self._pos], self._round
            doc_id = f"{base.name}#r{round_}"
            self._pos += 1
            if self._pos == len(self._base):
                self._pos, self._round = 0, self._round + 1
            text, sentences = base.text, base.sentences
            if round_:
                text = tagged(text, sentences, f"r{round_}")
                sentences = split_sentences(text)
            if len(sentences) > need:
                text = text[: sentences[need - 1].end]
                sentences = split_sentences(text)
            docs.append(
                SourceDocument(
                    doc_id=doc_id,
                    path=f"synthetic/{doc_id}",
                    title=base.title,
                    lang=base.lang,
                    text=text,
                    # the id is hashed in: repeated text must not give distinct documents one hash
                    sha256=hashlib.sha256(f"{doc_id}\n{text}".encode()).hexdigest(),
                )
            )
            texts.extend(s.text for s in sentences)
            need -= len(sentences)
        return docs, texts


# ---- memory -----------------------------------------------------------------------------------


def _status_kb(pid: int | str, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _reset_hwm(pid: int | str) -> bool:
    """Reset the kernel's peak-RSS counter (VmHWM) of a process; False where the kernel refuses."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc/<pid>/task/*/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                todo.extend(int(c) for c in (task / "children").read_text().split())
            except (OSError, ValueError):
                pass
    return out


class PeakRss:
    """Peak RSS (MiB) of this process, and of a server's process tree, over a ``with`` block.

    The kernel's VmHWM is reset at the start where allowed (exact peak); a sampler thread reads VmRSS every
    50 ms as well (the server tree's peak is the peak of the sum over its processes).
    """

    def __init__(self, server_pid: int | None = None) -> None:
        self.server_pids = process_tree(server_pid) if server_pid else []
        self.self_start_mb = 0.0
        self.self_peak_mb = 0.0
        self.server_start_mb = 0.0
        self.server_peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._hwm_self = False
        self._hwm_server = False

    def _server_rss_kb(self) -> int:
        return sum(_status_kb(p, "VmRSS") for p in self.server_pids)

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL_S):
            self._sample()

    def _sample(self) -> None:
        self.self_peak_mb = max(self.self_peak_mb, _status_kb("self", "VmRSS") / 1024)
        if self.server_pids:
            self.server_peak_mb = max(self.server_peak_mb, self._server_rss_kb() / 1024)

    def __enter__(self) -> PeakRss:
        self._hwm_self = _reset_hwm("self")
        self._hwm_server = bool(self.server_pids) and all(_reset_hwm(p) for p in self.server_pids)
        self.self_start_mb = self.self_peak_mb = _status_kb("self", "VmRSS") / 1024
        self.server_start_mb = self.server_peak_mb = self._server_rss_kb() / 1024
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        if self._hwm_self:
            self.self_peak_mb = max(self.self_peak_mb, _status_kb("self", "VmHWM") / 1024)
        if self._hwm_server and len(self.server_pids) == 1:
            self.server_peak_mb = max(self.server_peak_mb, _status_kb(self.server_pids[0], "VmHWM") / 1024)

    def as_dict(self) -> dict[str, float]:
        """Start and peak RSS in MiB."""
        out = {"rss_start_mb": round(self.self_start_mb, 1), "rss_peak_mb": round(self.self_peak_mb, 1)}
        if self.server_pids:
            out["server_rss_start_mb"] = round(self.server_start_mb, 1)
            out["server_rss_peak_mb"] = round(self.server_peak_mb, 1)
        return out


# ---- measurements -----------------------------------------------------------------------------


class TimedEmbed:
    """``embed_documents`` with the time spent inside it added up."""

    def __init__(self, embed: Callable[[list[str]], list[list[float]]]) -> None:
        self._embed = embed
        self.seconds = 0.0
        self.texts = 0

    def __call__(self, texts: list[str]) -> list[list[float]]:
        """Embed and time."""
        self.texts += len(texts)
        t0 = time.perf_counter()
        try:
            return self._embed(texts)
        finally:
            self.seconds += time.perf_counter() - t0


def bench_raw_encode(embeddings: Any, sentences: list[str], sample: int) -> dict[str, float]:
    """The embedder's own rate on up to ``sample`` sentences spread evenly over ``sentences``."""
    step = max(1, len(sentences) // sample) if sample else 1
    picked = sentences[::step][:sample] if sample else sentences
    t0 = time.perf_counter()
    embeddings.embed_documents(picked)
    seconds = time.perf_counter() - t0
    return {"sentences": len(picked), "seconds": round(seconds, 2), "per_s": round(len(picked) / seconds, 1)}


def bench_ingest(store: SentenceStore, embeddings: Any, docs: list[SourceDocument], n: int) -> dict[str, Any]:
    """Ingest ``docs`` (``n`` sentences) with ``assistant.ingest.ingest_many``; rate overall and per
    quarter."""
    embed = TimedEmbed(embeddings.embed_documents)
    marks: list[tuple[float, int]] = [(0.0, 0)]
    done = 0
    t0 = time.perf_counter()
    with store.write_lock():
        for outcome in ingest_many(store, docs, embed):
            done += getattr(outcome, "n_sentences", 0)
            marks.append((time.perf_counter() - t0, done))
    seconds = time.perf_counter() - t0

    def rate_between(a: float, b: float) -> float:
        lo = min(marks, key=lambda m: abs(m[1] - a * done))
        hi = min(marks, key=lambda m: abs(m[1] - b * done))
        return (hi[1] - lo[1]) / (hi[0] - lo[0]) if hi[0] > lo[0] else 0.0

    return {
        "documents": len(docs),
        "sentences": done,
        "expected_sentences": n,
        "seconds": round(seconds, 2),
        "per_s": round(done / seconds, 1),
        "embedded_texts": embed.texts,
        "embed_seconds": round(embed.seconds, 2),
        "store_seconds": round(seconds - embed.seconds, 2),
        "store_share": round((seconds - embed.seconds) / seconds, 3),
        "embed_per_s_inside_ingest": round(done / embed.seconds, 1) if embed.seconds else 0.0,
        "per_s_first_quarter": round(rate_between(0.0, 0.25), 1),
        "per_s_last_quarter": round(rate_between(0.75, 1.0), 1),
    }


def _stats(ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "mean_ms": round(sum(ms) / len(ms), 2) if ms else 0.0,
        "max_ms": round(max(ms), 2) if ms else 0.0,
    }


def embed_queries(embeddings: Any, queries: list[str]) -> tuple[list[list[float]], dict[str, float]]:
    """Each query embedded on its own (as the retriever does), with the time per query."""
    vectors, ms = [], []
    for q in queries:
        t0 = time.perf_counter()
        vectors.append(embeddings.embed_query(q))
        ms.append((time.perf_counter() - t0) * 1000)
    return vectors, {"queries": len(queries), **_stats(ms)}


def bench_retrieval(store: SentenceStore, queries: list[str], vectors: list[list[float]]) -> dict[str, Any]:
    """Latency of store.search, of the raw Chroma query it makes, and of hybrid_search (vectors given)."""
    fetch = search_fetch_size(K)  # what SentenceStore.search asks Chroma for first

    def raw_query(v: list[float]) -> Any:
        return store.query_vectors(v, fetch)  # the raw call, to show the store's own overhead

    def timed(fn: Callable[[int], Any]) -> list[float]:
        for i in range(min(WARMUP_QUERIES, len(vectors))):
            fn(i)
        out = []
        for i in range(len(vectors)):
            t0 = time.perf_counter()
            fn(i)
            out.append((time.perf_counter() - t0) * 1000)
        return out

    hits: dict[int, int] = {}

    def search(i: int) -> None:
        hits[i] = len(store.search(vectors[i], k=K))

    search_ms = timed(search)
    raw_ms = timed(lambda i: raw_query(vectors[i]))
    hybrid_ms = timed(lambda i: hybrid_search(store, vectors[i], queries[i], k=K))
    return {
        "queries": len(vectors),
        "k": K,
        "search": _stats(search_ms),
        "chroma_query": _stats(raw_ms),
        "hybrid": _stats(hybrid_ms),
        "searches_with_fewer_than_k_hits": sum(n < K for n in hits.values()),
    }


# ---- the 1M collection from vectors -----------------------------------------------------------


def _mem_available_bytes() -> int:
    return _status_meminfo("MemAvailable") * 1024


def _status_meminfo(field: str) -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def export_index(store: SentenceStore, page: int = 5000) -> dict[str, Any]:
    """Every stored vector (with its key) and every committed document (with its text) of an index."""
    keys: list[str] = []
    pages = []
    for page_keys, matrix in store.iter_vectors(page=page):
        keys.extend(page_keys)
        pages.append(matrix)
    documents = [store.get_document(d.doc_id) for d in store.list_documents()]
    return {
        "keys": keys,
        "vectors": np.concatenate(pages) if pages else np.zeros((0, 0), np.float32),
        "documents": [d for d in documents if d is not None],
        "sentences": store.count_sentences(),
    }


#: The tag of a copy's sentences (see :func:`tagged`); stripped to find the source sentence's vector.
_COPY_TAG = re.compile(r"\[m\d+\] ")


class CopiedVectors:
    """An ``embed`` for ``ingest_many`` that embeds nothing: a copied sentence ``[m<c>] <text>`` gets the
    stored vector of ``<text>`` plus Gaussian noise of norm ~``noise``, re-normalised.

    A text whose source vector is not found (a sentence the tag merged with its neighbour) gets a random
    source vector; ``unmatched`` counts them.
    """

    def __init__(self, keys: list[str], vectors: np.ndarray, noise: float, seed: int = 0) -> None:
        self._row = {key: i for i, key in enumerate(keys)}
        self._vectors = vectors
        self._sigma = noise / np.sqrt(vectors.shape[1])
        self._rng = np.random.default_rng(seed)
        self.texts = 0
        self.unmatched = 0

    def __call__(self, texts: list[str]) -> list[list[float]]:
        """The vectors of ``texts`` (normalized sentence texts, as ``ingest_many`` passes them)."""
        rows = []
        for text in texts:
            tag = _COPY_TAG.match(text)
            row = self._row.get(sentence_key(text[tag.end() :] if tag else text))
            if row is None:
                self.unmatched += 1
                row = int(self._rng.integers(len(self._row)))
            rows.append(row)
        self.texts += len(texts)
        vec = self._vectors[rows] + self._rng.normal(0.0, self._sigma, (len(rows), self._vectors.shape[1]))
        vec /= np.linalg.norm(vec, axis=1, keepdims=True)
        return vec.astype(np.float32).tolist()


def copied_documents(documents: list[StoredDocument], n: int) -> Iterator[SourceDocument]:
    """Copies of ``documents`` holding ``n`` sentences in all (the last one cut): copy ``c`` of a document
    has the id ``<doc_id>#m<c>`` and every sentence tagged ``[m<c>]``, so each is a distinct text."""
    split = [(d, split_sentences(d.text)) for d in documents]
    need, copy = n, 0
    while need > 0:
        for doc, sentences in split:
            doc_id = f"{doc.doc_id}#m{copy}"
            text = tagged(doc.text, sentences, f"m{copy}")
            mine = split_sentences(text)
            if len(mine) > need:
                text = text[: mine[need - 1].end]
                mine = split_sentences(text)
            need -= len(mine)
            yield SourceDocument(
                doc_id=doc_id,
                path=f"synthetic/{doc_id}",
                title=doc.title,
                lang=doc.lang,
                text=text,
                sha256=hashlib.sha256(f"{doc_id}\n{text}".encode()).hexdigest(),
            )
            if need <= 0:
                return
        copy += 1


def build_from_vectors(
    store: SentenceStore, source: dict[str, Any], n: int, noise: float, seed: int = 0
) -> dict[str, Any]:
    """Fill ``store`` with ``n`` sentences: tagged copies of ``source``'s documents whose vectors are the
    source vectors with Gaussian noise of norm ~``noise`` (:class:`CopiedVectors`).

    They are written by the product's own path, ``assistant.ingest.ingest_many``, with that lookup in place
    of the embedder: vectors, locations and committed document records exactly as an ingest writes them,
    so ``store.search`` and ``hybrid_search`` treat the copies like ingested documents.
    """
    embed = CopiedVectors(source["keys"], source["vectors"], noise, seed)
    documents = 0
    t0 = time.perf_counter()
    with store.write_lock():
        for outcome in ingest_many(store, copied_documents(source["documents"], n), embed):
            if getattr(outcome, "action", "") not in ("added", "replaced"):
                raise RuntimeError(f"building from vectors: {outcome}")
            documents += 1
    seconds = time.perf_counter() - t0
    sentences = store.count_sentences()
    return {
        "built_from_vectors": True,
        "source_sentences": source["sentences"],
        "source_vectors": len(source["keys"]),
        "sentences": sentences,
        "vectors": store.count_vectors(),
        "documents": documents,
        "noise_norm": noise,
        "unmatched_texts": embed.unmatched,
        "seconds": round(seconds, 1),
        "insert_per_s": round(sentences / seconds, 1),
    }


def million_point(
    source_store: SentenceStore, folder: Path, embedder: str, n: int, noise: float
) -> tuple[dict[str, Any] | None, SentenceStore | None, PeakRss | None]:
    """Build the ``n``-sentence index from ``source_store``'s vectors, or say why it was skipped."""
    first = next(source_store.iter_vectors(page=1), None)
    if first is None:
        return {"skipped": "the ingested index holds no vectors"}, None, None
    dim = first[1].shape[1]
    vec_bytes = n * dim * 4
    need_mem, need_disk = 5 * vec_bytes, 3 * vec_bytes
    have_mem, have_disk = _mem_available_bytes(), shutil.disk_usage(folder).free
    if have_mem < need_mem or have_disk < need_disk:
        return (
            {
                "skipped": f"needs {need_mem / 2**30:.1f} GiB free memory and {need_disk / 2**30:.1f} GiB "
                f"disk, has {have_mem / 2**30:.1f} GiB and {have_disk / 2**30:.1f} GiB"
            },
            None,
            None,
        )
    source = export_index(source_store)
    _clear_chroma_cache()  # the ingested index is no longer needed; free its memory for this one
    store = SentenceStore(str(folder / "million"), embedder)
    with PeakRss() as mem:
        built = build_from_vectors(store, source, n, noise)
    del source
    gc.collect()
    return built, store, mem


# ---- runs -------------------------------------------------------------------------------------


def run_backend(
    label: str,
    location: str,
    args: argparse.Namespace,
    base: list[BaseDocument],
    embeddings: Any,
    queries: list[str],
    vectors: list[list[float]],
    server_pid: int | None = None,
    on_largest: Callable[[SentenceStore], None] | None = None,
) -> dict[str, Any]:
    """Ingest the sizes incrementally into one index at ``location``, measuring each size."""
    store = SentenceStore(location, args.embedder, namespace="scale-" if server_pid else "")
    stream = CorpusStream(base)
    results: dict[str, Any] = {}
    have = 0
    total_ingest_s = total_raw_n = 0.0
    total_raw_s = 0.0
    for size in args.sizes:
        docs, texts = stream.take(size - have)
        print(f"[{label}] {size:,} sentences: raw encode + ingest of {len(texts):,} …", file=sys.stderr)
        raw_before = bench_raw_encode(embeddings, texts, args.raw_sample)
        with PeakRss(server_pid) as ingest_mem:
            ingest = bench_ingest(store, embeddings, docs, len(texts))
        raw_after = bench_raw_encode(embeddings, texts, args.raw_sample)
        raw = {
            "sentences": raw_before["sentences"] + raw_after["sentences"],
            "seconds": round(raw_before["seconds"] + raw_after["seconds"], 2),
            "before_per_s": raw_before["per_s"],
            "after_per_s": raw_after["per_s"],
        }
        raw["per_s"] = round(raw["sentences"] / raw["seconds"], 1)
        have = store.count_sentences()
        n_vectors = store.count_vectors()
        total_ingest_s += ingest["seconds"]
        total_raw_n += raw["sentences"]
        total_raw_s += raw["seconds"]
        cumulative = have / total_ingest_s
        raw_rate = total_raw_n / total_raw_s
        print(f"[{label}] {size:,} sentences: {len(vectors)} queries …", file=sys.stderr)
        with PeakRss(server_pid) as query_mem:
            retrieval = bench_retrieval(store, queries, vectors)
        results[str(size)] = {
            "sentences": have,
            "vectors": n_vectors,
            "load_avg_1m": round(os.getloadavg()[0], 2),
            "ingest": {
                "per_s": round(cumulative, 1),
                "raw_encode_per_s": round(raw_rate, 1),
                "ratio": round(cumulative / raw_rate, 3),
                "phase": ingest,
                "phase_raw_encode": raw,
                "phase_ratio": round(ingest["per_s"] / raw["per_s"], 3),
            },
            "retrieval": retrieval,
            "memory": {"ingest": ingest_mem.as_dict(), "query": query_mem.as_dict()},
        }
    if on_largest:
        on_largest(store)
    return results


def run_million(
    store: SentenceStore, tmp: Path, args: argparse.Namespace, queries: list[str], vectors: list[list[float]]
) -> dict[str, Any]:
    """The 1M retrieval point on the embedded store, built from the largest index's vectors."""
    print(f"[embedded] {args.million_size:,} sentences from vectors …", file=sys.stderr)
    built, big, build_mem = million_point(store, tmp, args.embedder, args.million_size, args.noise)
    if big is None or build_mem is None or built is None:
        print(f"[embedded] 1M point skipped: {built and built.get('skipped')}", file=sys.stderr)
        return built or {}
    print(f"[embedded] {args.million_size:,} sentences: {len(vectors)} queries …", file=sys.stderr)
    with PeakRss() as query_mem:
        retrieval = bench_retrieval(big, queries, vectors)
    return {
        "sentences": big.count_sentences(),
        "vectors": big.count_vectors(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "build": built,
        "retrieval": retrieval,
        "memory": {"build": build_mem.as_dict(), "query": query_mem.as_dict()},
    }


def _clear_chroma_cache() -> None:
    """Let the embedded clients of a finished run free their indexes."""
    try:
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
    except Exception:  # an internal API; only memory is at stake
        pass
    gc.collect()


def machine_info() -> dict[str, Any]:
    """CPU, memory, OS and library versions."""
    import chromadb

    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "chromadb": chromadb.__version__,
        "mem_total_gib": round(_status_meminfo("MemTotal") / 2**20, 1),
        "mem_available_gib_at_start": round(_status_meminfo("MemAvailable") / 2**20, 1),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


# ---- output -----------------------------------------------------------------------------------


def _rows(results: dict[str, Any]) -> Iterator[list[str]]:
    for backend in ("embedded", "server"):
        for size, r in results.get(backend, {}).items():
            if "skipped" in r:
                yield [backend, size, "skipped: " + r["skipped"]] + [""] * 10
                continue
            ing, ret, mem = r.get("ingest"), r["retrieval"], r["memory"]
            yield [
                backend,
                f"{r['sentences']:,}",
                f"{ing['per_s']:.0f}" if ing else "from vectors",
                f"{ing['raw_encode_per_s']:.0f}" if ing else "-",
                f"{ing['ratio']:.2f}" if ing else "-",
                f"{ing['phase']['store_share']:.0%}" if ing else "-",
                f"{ret['search']['p50_ms']:.1f}",
                f"{ret['search']['p95_ms']:.1f}",
                f"{ret['chroma_query']['p50_ms']:.1f}",
                f"{ret['hybrid']['p50_ms']:.1f}",
                f"{mem['ingest' if ing else 'build']['rss_peak_mb']:.0f}",
                f"{mem['query']['rss_peak_mb']:.0f}",
                (
                    f"{mem['ingest']['server_rss_peak_mb']:.0f} / {mem['query']['server_rss_peak_mb']:.0f}"
                    if "server_rss_peak_mb" in mem["query"]
                    else "-"
                ),
            ]


def print_table(results: dict[str, Any]) -> None:
    """A Markdown table of the numbers, then the targets."""
    head = [
        "store", "sentences", "ingest/s", "raw enc/s", "ratio", "store %", "search p50 ms", "p95 ms",
        "chroma p50 ms", "hybrid p50 ms", "RSS ingest MiB", "RSS query MiB", "server RSS i/q MiB",
    ]  # fmt: skip
    rows = [head, *_rows(results)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for n, row in enumerate(rows):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    q = results["query_embedding"]
    print(
        f"\nquery embedding alone: p50 {q['p50_ms']:.1f} ms, p95 {q['p95_ms']:.1f} ms ({q['queries']} claims)"
    )
    print("'store %': share of ingest wall time not covered by embed_documents (writes the overlap missed).")
    print(
        "'search': SentenceStore.search(vector, k=5), claim embedded beforehand; "
        "'chroma': the raw Chroma query it makes."
    )
    if any(r.get("build") for r in results.get("embedded", {}).values()):
        print(
            "The 'from vectors' row was NOT ingested: it holds noisy copies of the ingested vectors "
            "(see --help)."
        )
    for t in results["targets"]:
        print(f"target {t['name']}: {t['status']} ({t['detail']})")
    for w in results.get("warnings", []):
        print(f"WARNING: {w}")


def targets(results: dict[str, Any]) -> list[dict[str, str]]:
    """PASS/FAIL/n/a for the two targets."""
    out = []
    for backend in ("embedded", "server"):
        for size, r in results.get(backend, {}).items():
            if r.get("ingest"):
                ratio = r["ingest"]["ratio"]
                out.append({
                    "name": f"ingest >= {INGEST_TARGET_RATIO}x raw encode ({backend}, {size})",
                    "status": "PASS" if ratio >= INGEST_TARGET_RATIO else "FAIL",
                    "detail": f"ratio {ratio:.2f}",
                })  # fmt: skip
    r = results.get("embedded", {}).get(str(SEARCH_TARGET_SIZE))
    name = f"embedded search p50 <= {SEARCH_TARGET_P50_MS:.0f} ms at {SEARCH_TARGET_SIZE:,}"
    if r:
        p50 = r["retrieval"]["search"]["p50_ms"]
        status = "PASS" if p50 <= SEARCH_TARGET_P50_MS else "FAIL"
        e2e = p50 + results["query_embedding"]["p50_ms"]
        out.append(
            {
                "name": name,
                "status": status,
                "detail": f"p50 {p50:.2f} ms; with query embedding ~{e2e:.1f} ms",
            }
        )
    else:
        out.append({"name": name, "status": "n/a", "detail": f"{SEARCH_TARGET_SIZE} not among --sizes"})
    return out


def warnings(results: dict[str, Any]) -> list[str]:
    """What makes these numbers less trustworthy: another CPU user, a 1M point that was skipped."""
    out = []
    cpus = os.cpu_count() or 1
    loads = [results["machine"]["load_avg_at_start"][0], results["load_avg_at_end"][0]]
    loads += [
        r["load_avg_1m"]
        for b in ("embedded", "server")
        for r in results.get(b, {}).values()
        if "load_avg_1m" in r
    ]
    if max(loads) > cpus + 0.5:
        out.append(
            f"load average reached {max(loads):.1f} on {cpus} CPUs (this run itself accounts for about "
            f"{min(cpus, 2)}): another process competed for the CPU, so rates are low and noisy"
        )
    for b in ("embedded", "server"):
        for size, r in results.get(b, {}).items():
            if "skipped" in r:
                out.append(f"{b} {size}: {r['skipped']}")
            elif r.get("retrieval", {}).get("queries", 200) < 200:
                out.append(
                    f"{b} {size}: only {r['retrieval']['queries']} queries timed (the brief asks >= 200)"
                )
    return out


# ---- main -------------------------------------------------------------------------------------


def _sizes(text: str) -> list[int]:
    sizes = sorted({int(x.replace("_", "")) for x in text.split(",") if x.strip()})
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("sizes must be positive integers, e.g. 10000,100000")
    return sizes


def main() -> int:
    """Run the benchmark, print a table, optionally write JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=_sizes, default=[10_000, 100_000], help="index sizes in sentences")
    ap.add_argument("--queries", type=int, default=300, help="claims timed per size (>= 200 for the targets)")
    ap.add_argument("--raw-sample", type=int, default=4000, help="sentences per raw-encode measurement")
    ap.add_argument("--million", action="store_true", help="add the 1M point (embedded, built from vectors)")
    ap.add_argument("--million-size", type=int, default=1_000_000, help="size of that point")
    ap.add_argument("--noise", type=float, default=0.05, help="norm of the noise added to copied vectors")
    ap.add_argument("--server", action="store_true", help="also measure a Chroma server on 127.0.0.1")
    ap.add_argument("--embedder", default=DEFAULT_EMBEDDER)
    ap.add_argument(
        "--embed-threads",
        type=int,
        default=0,
        help="BLAS threads of use-multilingual (0: the product default)",
    )
    ap.add_argument("--data", type=Path, default=SHARED, help="folder with wice/ and check-covid/")
    ap.add_argument("--tmp", type=Path, default=None, help="where the temporary indexes go")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    if not (args.data / "wice" / "claim_dev.jsonl").is_file() or not (args.data / "check-covid").is_dir():
        print(f"skipped: {args.data} does not hold wice/claim_dev.jsonl and check-covid/", file=sys.stderr)
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the server and temp dirs are cleaned up

    base = load_base_corpus(args.data)
    queries = load_queries(args.data, args.queries)
    if args.embed_threads and args.embedder == MultilingualUSEEmbeddings.name:
        embeddings: Any = MultilingualUSEEmbeddings(threads=args.embed_threads)  # BLAS threads
    else:
        embeddings = get_embedder(args.embedder)
    embeddings.embed_documents([s.text for s in base[0].sentences[:8]])  # load the model outside timings
    vectors, query_stats = embed_queries(embeddings, queries)
    results: dict[str, Any] = {
        "command": [sys.executable, *sys.argv],
        "machine": machine_info(),
        "embedder": args.embedder,
        "embed_threads": getattr(embeddings, "threads", None),
        "corpus": {
            "base_documents": len(base),
            "base_sentences": sum(len(d.sentences) for d in base),
            "repeated_as": "<name>#r<round>",
        },
        "query_embedding": query_stats,
    }
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="scale-bench-", dir=args.tmp, ignore_cleanup_errors=True) as tmp:
        folder = Path(tmp)
        million: dict[str, Any] = {}

        def on_largest(store: SentenceStore) -> None:
            if args.million:
                million.update(run_million(store, folder, args, queries, vectors))

        results["embedded"] = run_backend(
            "embedded",
            str(folder / "embedded"),
            args,
            base,
            embeddings,
            queries,
            vectors,
            on_largest=on_largest,
        )
        if million:
            results["embedded"][str(args.million_size)] = million
        _clear_chroma_cache()
        if args.server:
            from tests.servers import ChromaServer

            with ChromaServer(folder / "server-data") as server:
                results["server"] = run_backend(
                    "server", server.url, args, base, embeddings, queries, vectors, server_pid=server.pid
                )
    results["wall_seconds"] = round(time.perf_counter() - t_start, 1)
    results["process_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["targets"] = targets(results)
    results["warnings"] = warnings(results)
    print_table(results)
    print(f"\nwall time {results['wall_seconds']:.0f} s; load average at start/end "
          f"{results['machine']['load_avg_at_start'][0]} / {results['load_avg_at_end'][0]} "
          f"on {os.cpu_count()} CPUs")  # fmt: skip
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
