"""The ingest stage: files → validated documents → sentences → embeddings → the index."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from langchain_core.embeddings import Embeddings

from .documents import SourceDocument, expand_paths, load_document
from .errors import InputError
from .store import IngestFailure, IngestOutcome, SentenceStore


@dataclass(frozen=True)
class IngestReport:
    """What an ingest run did, file by file."""

    outcomes: list[IngestOutcome]
    errors: list[str]

    @property
    def ok(self) -> bool:
        """True when every file was ingested or was already up to date."""
        return not self.errors


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
    """Ingest files and folders under the index's write lock.

    Files are read lazily and their sentences embedded in batches that span documents (see
    ``SentenceStore.ingest_many``), so memory stays bounded however large the corpus is. A bad file is
    reported and skipped; the others still go in. Each document is committed on its own, so an
    interruption never leaves a half-written document.
    Callbacks: ``on_files(n)`` once with the number of files, ``on_start(name, chars)`` as each file is
    read, ``on_file_done()`` as each file is committed, skipped or refused, ``on_progress(sentences)`` as
    sentences are stored.
    """
    errors: list[str] = []
    files = expand_paths(paths, errors)  # a missing path is reported; the others still go in
    if not files and errors:
        raise InputError("; ".join(errors))
    if on_files:
        on_files(len(files))
    outcomes: list[IngestOutcome] = []

    def documents() -> Iterator[SourceDocument]:
        for path in files:
            try:
                doc = load_document(path)
            except InputError as exc:
                errors.append(str(exc))
                if on_file_done:
                    on_file_done()
                continue
            if on_start:
                on_start(doc.name, len(doc.text))
            yield doc

    with store.write_lock():
        for result in store.ingest_many(documents(), embeddings.embed_documents, on_progress=on_progress):
            if isinstance(result, IngestFailure):
                errors.append(result.message)
            else:
                outcomes.append(result)
            if on_file_done:
                on_file_done()
    return IngestReport(outcomes, errors)
