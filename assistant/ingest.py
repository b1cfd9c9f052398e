"""The ingest stage: files → validated documents → sentences → embeddings → the index.

Planning lives here: which documents are new, changed or unchanged, their ids, their sentences, the
distinct texts that still need a vector, and the batches that are embedded (in a worker thread, while the
previous batch is written) and written through the store's write calls. The store only writes, commits
and reads (``assistant/store.py``): a document's record is committed after all of its sentences, so an
interruption never leaves a half-written document.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.embeddings import Embeddings

from .documents import SourceDocument, disambiguated_id, expand_paths
from .errors import InputError
from .readers import read_document
from .records import Sentence
from .sentences import split_sentences
from .store import NewLocation, SentenceStore, normalized_text, sentence_key

Embed = Callable[[list[str]], list[list[float]]]

#: Sentences per embedding batch and Chroma write.
DEFAULT_BATCH = 512
#: Documents whose committed records are looked up with one Chroma call: at most this many, and at most
#: this many characters of text, so memory stays bounded even for a folder of large files.
PLAN_GROUP = 64
PLAN_GROUP_CHARS = 4_000_000


@dataclass(frozen=True)
class IngestOutcome:
    """What ingesting one document did: ``added``, ``replaced`` or ``unchanged``."""

    doc_id: str
    action: str
    n_sentences: int


@dataclass(frozen=True)
class IngestFailure:
    """A document that could not be ingested (the others still are)."""

    doc_id: str
    message: str


@dataclass(frozen=True)
class IngestReport:
    """What an ingest run did, document by document."""

    outcomes: list[IngestOutcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every file was ingested or was already up to date."""
        return not self.errors


# ---- entry points ----------------------------------------------------------------------------------


def ingest_paths(
    store: SentenceStore,
    embeddings: Embeddings,
    paths: list[Path],
    *,
    on_start: Callable[[str, int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    on_files: Callable[[int], None] | None = None,
    on_file_done: Callable[[], None] | None = None,
) -> IngestReport:
    """Ingest files and folders under the index's write lock (``factcheck ingest``, ``/ingest``).

    Files are read lazily and go through :func:`ingest_documents`. A missing path or a bad file is
    reported and skipped; the others still go in.
    Callbacks: ``on_files(n)`` once with the number of files, ``on_start(name, chars)`` as each file is
    read, ``on_file_done()`` as each file is committed, skipped or refused, ``on_progress(sentences)`` as
    sentences are stored.
    """
    report = IngestReport()
    files = expand_paths(paths, report.errors)
    if not files and report.errors:
        raise InputError("; ".join(report.errors))
    if on_files:
        on_files(len(files))

    def documents() -> Iterator[SourceDocument]:
        for path in files:
            try:
                doc = read_document(path)
            except InputError as exc:
                report.errors.append(str(exc))
                if on_file_done:
                    on_file_done()
                continue
            if on_start:
                on_start(doc.name, len(doc.text))
            yield doc

    with store.write_lock():
        _collect(
            ingest_many(store, documents(), embeddings.embed_documents, on_progress=on_progress),
            report,
            on_file_done,
        )
    return report


def ingest_documents(
    store: SentenceStore,
    embeddings: Embeddings,
    docs: Iterable[SourceDocument],
    *,
    on_progress: Callable[[int], None] | None = None,
    on_document_done: Callable[[], None] | None = None,
) -> IngestReport:
    """Ingest documents already in memory (an evaluation corpus) under the index's write lock.

    The same path as :func:`ingest_paths` after reading the files; ``on_document_done()`` is called as each
    document is committed, skipped or refused.
    """
    report = IngestReport()
    with store.write_lock():
        _collect(
            ingest_many(store, docs, embeddings.embed_documents, on_progress=on_progress),
            report,
            on_document_done,
        )
    return report


def ingest_document(
    store: SentenceStore,
    doc: SourceDocument,
    embed: Embed,
    *,
    batch_size: int = DEFAULT_BATCH,
    on_progress: Callable[[int], None] | None = None,
) -> IngestOutcome:
    """Add or replace one document (the caller holds the write lock, if one is needed).

    A document whose content hash is unchanged is left alone; one that cannot be ingested raises
    :class:`InputError`.
    """
    for result in ingest_many(store, [doc], embed, batch_size=batch_size, on_progress=on_progress):
        if isinstance(result, IngestFailure):
            raise InputError(result.message)
        return result
    raise AssertionError("ingest_many yields one result per document")


def ingest_many(
    store: SentenceStore,
    docs: Iterable[SourceDocument],
    embed: Embed,
    *,
    batch_size: int = DEFAULT_BATCH,
    on_progress: Callable[[int], None] | None = None,
) -> Iterator[IngestOutcome | IngestFailure]:
    """Add or replace many documents, yielding one result per document as it is committed.

    Sentences of consecutive documents share embedding batches and Chroma writes, and the next batch is
    encoded (in one worker thread) while the current one is written. Each document is still committed on
    its own terms: its record is written only after all of its sentences, so an interruption leaves no
    half-written document, only invisible sentences that the next ingest of that file replaces. ``docs``
    is read lazily: memory holds one group of documents (``PLAN_GROUP`` documents or ``PLAN_GROUP_CHARS``
    characters) and two batches, whatever the corpus size. The caller holds the write lock.
    """
    batches = _plan(store, docs, max(1, batch_size))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed") as pool:
        pending: tuple[_Batch, Future[list[list[float]]] | None] | None = None
        for batch in batches:
            future = pool.submit(_embed_or_nothing, embed, batch.texts) if batch.rows else None
            if pending is not None:
                yield from _write(store, *pending, embed, on_progress)
            pending = (batch, future)
        if pending is not None:
            yield from _write(store, *pending, embed, on_progress)


def _collect(
    results: Iterable[IngestOutcome | IngestFailure],
    report: IngestReport,
    on_done: Callable[[], None] | None,
) -> None:
    for result in results:
        if isinstance(result, IngestFailure):
            report.errors.append(result.message)
        else:
            report.outcomes.append(result)
        if on_done:
            on_done()


# ---- planning ----------------------------------------------------------------------------------------


@dataclass
class _PendingDocument:
    """A new or changed document whose sentences are being written."""

    doc: SourceDocument
    n_sentences: int
    replaces: bool


@dataclass
class _Batch:
    """One embedding batch: sentences of one or more documents, and the documents it completes."""

    rows: list[tuple[_PendingDocument, Sentence, str]] = field(default_factory=list)
    finished: list[_PendingDocument] = field(default_factory=list)
    #: Results known without writing anything (unchanged or refused documents), yielded first.
    passthrough: list[IngestOutcome | IngestFailure] = field(default_factory=list)
    #: Distinct texts of the batch whose vector is not stored yet: key -> normalized text.
    to_embed: dict[str, str] = field(default_factory=dict)

    @property
    def texts(self) -> list[str]:
        """The texts to embed, in key order."""
        return list(self.to_embed.values())


def _plan(store: SentenceStore, docs: Iterable[SourceDocument], batch_size: int) -> Iterator[_Batch]:
    """Split new and changed documents into sentences and cut the stream into batches of ``batch_size``.

    Unchanged documents (same content hash as committed) and documents without a sentence become
    results that the next batch yields first.
    """
    batch = _Batch()
    seen: set[str] = set()
    for group in _groups(docs, PLAN_GROUP, PLAN_GROUP_CHARS):
        fresh = _assign_ids(store, group, seen, batch)
        committed = store.committed([d.doc_id for d in fresh])
        for doc in fresh:
            known = committed.get(doc.doc_id)
            if known is not None and known.sha256 == doc.sha256:
                batch.passthrough.append(IngestOutcome(doc.doc_id, "unchanged", known.n_sentences))
                continue
            sentences = split_sentences(doc.text)
            if not sentences:
                batch.passthrough.append(IngestFailure(doc.doc_id, f"{doc.path}: no sentences found"))
                continue
            new = _PendingDocument(doc, len(sentences), replaces=known is not None)
            for s in sentences:
                key = sentence_key(s.text)
                batch.rows.append((new, s, key))
                batch.to_embed.setdefault(key, normalized_text(s.text))
                if s is sentences[-1]:
                    batch.finished.append(new)
                if len(batch.rows) >= batch_size:
                    yield _drop_stored(store, batch)
                    batch = _Batch()
        if batch.passthrough and not batch.rows:
            yield batch
            batch = _Batch()
    if batch.rows or batch.passthrough:
        yield _drop_stored(store, batch)


def _groups(items: Iterable[SourceDocument], size: int, chars: int) -> Iterator[list[SourceDocument]]:
    """Consecutive documents, at most ``size`` of them and (beyond the first) ``chars`` characters."""
    group: list[SourceDocument] = []
    held = 0
    for item in items:
        group.append(item)
        held += len(item.text)
        if len(group) == size or held >= chars:
            yield group
            group, held = [], 0
    if group:
        yield group


def _drop_stored(store: SentenceStore, batch: _Batch) -> _Batch:
    """Leave out of the batch's embedding the texts whose vector is already stored (boilerplate)."""
    for key in store.stored_vector_keys(list(batch.to_embed)):
        batch.to_embed.pop(key, None)
    return batch


def _assign_ids(
    store: SentenceStore, group: list[SourceDocument], seen: set[str], batch: _Batch
) -> list[SourceDocument]:
    """The group's documents with ids that no other file holds.

    A file whose name-derived id is taken by another file (in this run, or committed from another folder
    that still holds it) gets :func:`disambiguated_id`. A committed record whose file no longer exists is
    the same document moved: it is replaced, not duplicated.
    """
    committed = store.committed(sorted({d.doc_id for d in group}))
    out: list[SourceDocument] = []
    for doc in group:
        known = committed.get(doc.doc_id)
        if doc.doc_id in seen or _other_file(known.path if known else None, doc.path):
            new_id = disambiguated_id(doc.doc_id, doc.path)
            if new_id in seen:
                batch.passthrough.append(
                    IngestFailure(doc.doc_id, f"{doc.path}: the same file is named twice in this run")
                )
                continue
            doc = dataclasses.replace(doc, doc_id=new_id)
        seen.add(doc.doc_id)
        out.append(doc)
    return out


def _other_file(committed_path: str | None, path: str) -> bool:
    """True when ``committed_path`` names an existing file other than ``path``."""
    if not committed_path:
        return False
    try:
        return Path(committed_path).is_file() and not os.path.samefile(committed_path, path)
    except OSError:
        return False


# ---- writing -----------------------------------------------------------------------------------------


def _embed_or_nothing(embed: Embed, texts: list[str]) -> list[list[float]]:
    return embed(texts) if texts else []


def _write(
    store: SentenceStore,
    batch: _Batch,
    future: Future[list[list[float]]] | None,
    embed: Embed,
    on_progress: Callable[[int], None] | None,
) -> Iterator[IngestOutcome | IngestFailure]:
    """Store one batch of sentences, then commit the documents it completes."""
    yield from batch.passthrough
    if future is None:
        return
    keys = list(batch.to_embed)
    store.write_vectors(keys, future.result())  # refuses a vector count that does not match
    _restore_removed_vectors(store, batch, set(keys), embed)
    store.write_locations(
        [
            NewLocation(p.doc.doc_id, p.doc.sha256, s.sentence_id, s.start, s.end, key)
            for p, s, key in batch.rows
        ]
    )
    if on_progress:
        on_progress(len(batch.rows))
    if not batch.finished:
        return
    store.commit_documents([(p.doc, p.n_sentences) for p in batch.finished])
    for p in batch.finished:
        yield IngestOutcome(p.doc.doc_id, "replaced" if p.replaces else "added", p.n_sentences)


def _restore_removed_vectors(store: SentenceStore, batch: _Batch, written: set[str], embed: Embed) -> None:
    """Embed again the batch's texts that were skipped as stored but whose vector is gone since.

    The batch written meanwhile may have replaced their last location (and so removed the vector); no
    location may point at a missing vector.
    """
    wanted = sorted({key for _, _, key in batch.rows} - written)
    if not wanted:
        return
    have = store.stored_vector_keys(wanted)
    gone = [k for k in wanted if k not in have]
    if gone:
        texts = {k: normalized_text(s.text) for _, s, k in batch.rows if k in gone}
        store.write_vectors(gone, embed([texts[k] for k in gone]))
