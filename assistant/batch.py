"""Check a file of claims into a JSON-lines results file that a rerun resumes.

One line per claim: ``{"id": ..., **CheckResult}`` or, when that claim alone failed (the model kept giving
malformed replies, its ``doc`` is not indexed), ``{"id": ..., "claim": ..., "error": ...}``. Each line is
written and flushed as soon as its claim finishes, so an interruption loses at most the claims in flight;
a rerun skips every id that already has a result and retries the ones that failed. An outage (endpoint
unreachable, bad configuration, unusable index) would fail every remaining claim, so it stops the batch.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .check import Checker
from .documents import MAX_FILE_BYTES, decode_text
from .errors import ConfigError, EndpointError, FactCheckError, InputError, StoreError
from .schemas import CheckResult, result_dict
from .secrets import scrub_line

CLAIM_SUFFIXES = (".txt", ".jsonl")
#: Errors that would fail every remaining claim too: the batch stops instead of recording each one.
OUTAGES: tuple[type[FactCheckError], ...] = (EndpointError, ConfigError, StoreError)


@dataclass(frozen=True)
class ClaimInput:
    """One claim of a batch; ``doc`` (a document id or file name) restricts retrieval to that document."""

    id: str
    claim: str
    doc: str | None = None


@dataclass
class BatchSummary:
    """What a batch run did: ``total == skipped + checked + failed``.

    ``verdicts`` counts the claim verdicts of the claims checked in this run.
    """

    total: int = 0
    skipped: int = 0
    checked: int = 0
    failed: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)


# ---- reading claims ---------------------------------------------------------------------------------


def read_claims(path: Path) -> list[ClaimInput]:
    """Claims from a ``.txt`` file (one per non-empty line) or ``.jsonl`` (``claim``, ``id``?, ``doc``?).

    An id defaults to ``line-N`` with N the line number in the file, so a result leads back to its line.
    """
    suffix = path.suffix.lower()
    if suffix not in CLAIM_SUFFIXES:
        raise InputError(f"{path}: claims must be in a .txt file (one per line) or a .jsonl file")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        raw = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    lines = decode_text(raw, str(path)).splitlines()
    claims = _read_txt(lines) if suffix == ".txt" else _read_jsonl(lines, path)
    if not claims:
        raise InputError(f"{path}: no claims found")
    _refuse_duplicates(claims, str(path))
    return claims


def _read_txt(lines: list[str]) -> list[ClaimInput]:
    return [ClaimInput(f"line-{n}", line.strip()) for n, line in enumerate(lines, 1) if line.strip()]


def _read_jsonl(lines: list[str], path: Path) -> list[ClaimInput]:
    claims = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path} line {n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not valid JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise InputError(f'{where}: expected an object like {{"claim": "..."}}')
        claim = obj.get("claim")
        if not isinstance(claim, str) or not claim.strip():
            raise InputError(f'{where}: "claim" must be a non-empty string')
        claim_id = obj.get("id", f"line-{n}")
        if isinstance(claim_id, bool) or not isinstance(claim_id, str | int) or str(claim_id) == "":
            raise InputError(f'{where}: "id" must be a non-empty string or a number')
        doc = obj.get("doc")
        if doc is not None and (not isinstance(doc, str) or not doc.strip()):
            raise InputError(f'{where}: "doc" must be a document id or file name')
        claims.append(ClaimInput(str(claim_id), claim.strip(), doc.strip() if doc else None))
    return claims


def _refuse_duplicates(claims: list[ClaimInput], source: str) -> None:
    seen: set[str] = set()
    for c in claims:
        if c.id in seen:
            raise InputError(f"{source}: duplicate claim id {c.id!r}; every id must be unique")
        seen.add(c.id)


# ---- checking ---------------------------------------------------------------------------------------


def check_many(
    checker: Checker,
    claims: Iterable[ClaimInput],
    out_path: Path,
    *,
    concurrency: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
    debug: bool = False,
) -> BatchSummary:
    """Check ``claims`` into ``out_path`` (JSON lines), skipping ids that already have a result there.

    ``on_progress(done, total)`` is called once before the first check and after each claim, with
    ``total`` the number of claims to check in this run. With ``concurrency`` > 1 claims are checked in
    that many threads and written in the order they finish. An :data:`OUTAGES` error stops the batch:
    claims still in flight are finished and written, then the error is raised. ``debug`` keeps each
    statement's signals and model probabilities in the lines (:data:`~assistant.schemas.DEBUG_FIELDS`).
    """
    if concurrency < 1:
        raise InputError("concurrency must be at least 1")
    claims = list(claims)
    _refuse_duplicates(claims, "claims")
    done = _prepare_output(out_path)
    todo = [c for c in claims if c.id not in done]
    summary = BatchSummary(total=len(claims), skipped=len(claims) - len(todo))
    verdicts: Counter[str] = Counter()
    doc_ids: dict[str, str] = {}

    if todo:
        checker.warm()  # once, before the threads start: they all share the prompt's fixed part

    def run_one(c: ClaimInput) -> dict[str, Any]:
        try:
            result = checker.check(c.claim, doc_id=_doc_id(checker, c.doc, doc_ids))
        except OUTAGES:
            raise
        except FactCheckError as exc:
            return {"id": c.id, "claim": c.claim, "error": scrub_line(str(exc))}
        return _result_line(c.id, result, debug)

    def record(line: dict[str, Any], out: Any) -> None:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        out.flush()
        if "error" in line:
            summary.failed += 1
        else:
            summary.checked += 1
            verdicts[line["verdict"]] += 1
        if on_progress:
            on_progress(summary.checked + summary.failed, len(todo))

    if on_progress:
        on_progress(0, len(todo))
    try:
        with out_path.open("a", encoding="utf-8") as out:
            if concurrency == 1:
                for c in todo:
                    record(run_one(c), out)
            else:
                _run_threaded(todo, run_one, lambda line: record(line, out), concurrency)
    finally:
        summary.verdicts = dict(verdicts)
    return summary


def _run_threaded(
    todo: list[ClaimInput],
    run_one: Callable[[ClaimInput], dict[str, Any]],
    record: Callable[[dict[str, Any]], None],
    concurrency: int,
) -> None:
    """At most ``concurrency`` claims in flight; the first exception stops new submissions."""
    pending = iter(todo)
    in_flight: set[Future[dict[str, Any]]] = set()
    failure: BaseException | None = None
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="factcheck-batch")
    try:
        while True:
            while failure is None and len(in_flight) < concurrency and (c := next(pending, None)) is not None:
                in_flight.add(pool.submit(run_one, c))
            if not in_flight:
                break
            finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            for fut in finished:
                exc = fut.exception()
                if exc is None:
                    record(fut.result())
                elif failure is None:
                    failure = exc
        if failure is not None:
            raise failure
    finally:
        # On Ctrl-C only the claims already running are waited for, never the queue.
        pool.shutdown(wait=True, cancel_futures=True)


def _doc_id(checker: Checker, name: str | None, cache: dict[str, str]) -> str | None:
    if name is None:
        return None
    if name not in cache:
        found = checker.store.find_document(name)
        if found is None:
            raise InputError(f"no document {name!r} in the index; `factcheck docs` lists them")
        cache[name] = found.doc_id
    return cache[name]


def _result_line(claim_id: str, result: CheckResult, debug: bool = False) -> dict[str, Any]:
    return {"id": claim_id, **result_dict(result, debug=debug)}


# ---- the results file -------------------------------------------------------------------------------


def _prepare_output(out_path: Path) -> set[str]:
    """Ids that already have a result in ``out_path``; drops a truncated last line and old error lines.

    A line is written in one piece ending in a newline, so a crash mid-write leaves a last line that does
    not parse: it is dropped and its claim checked again. Error lines are dropped because their claims are
    checked again now, so the file keeps at most one line per id. A rewrite goes through a temporary file
    and ``os.replace``, so the file is never half-written.
    """
    if not out_path.exists():
        out_path.parent.mkdir(parents=True, exist_ok=True)
        return set()
    try:
        raw = out_path.read_bytes()
    except OSError as exc:
        raise InputError(f"{out_path}: cannot be read ({exc.strerror})") from None
    chunks = raw.split(b"\n")
    last = max((i for i, c in enumerate(chunks) if c.strip()), default=-1)
    keep: list[bytes] = []
    done: set[str] = set()
    for i, chunk in enumerate(chunks):
        if not chunk.strip():
            continue
        line = _parse_result_line(chunk)
        if line is None:
            if i == last:
                continue
            raise InputError(
                f"{out_path} line {i + 1} is not a results line; move the file away or pass another --out"
            )
        if "error" not in line:
            done.add(str(line["id"]))
            keep.append(chunk)
    content = b"".join(c + b"\n" for c in keep)
    if content != raw:
        _replace(out_path, content)
    return done


def _parse_result_line(chunk: bytes) -> dict[str, Any] | None:
    try:
        line = json.loads(chunk.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(line, dict) or "id" not in line:
        return None
    return line


def _replace(path: Path, content: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
