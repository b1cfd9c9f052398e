"""Load evaluation data into :class:`EvalDataset`: the project's own jsonl, WiCE and Check-COVID.

WiCE pages and Check-COVID abstracts are lists of sentences; each becomes a document with one sentence a
line, so gold sentence index ``i`` is exactly line ``i`` of the document and its gold span is that line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..documents import decode_text, doc_id_for, expand_paths
from ..errors import InputError
from ..readers import read_document
from ..schemas import VERDICTS, Verdict
from .items import CorpusDocument, EvalDataset, EvalItem, GoldSpan

FORMATS = ("jsonl", "wice", "check-covid")
#: The Check-COVID split files a dataset path may name (each with its ``_nei`` file beside it).
COVID_SPLIT_FILES = ("dev.json", "train.json")
WICE_LABELS: dict[str, Verdict] = {
    "supported": "supported",
    "partially_supported": "not_enough_info",  # scored separately through source_label
    "not_supported": "not_enough_info",
}
COVID_LABELS: dict[str, Verdict] = {
    "SUPPORT": "supported",
    "REFUTE": "refuted",
    "NOTENOUGHINFO": "not_enough_info",
}
#: More Check-COVID items than this share without their abstract means the files do not belong together.
MAX_MISSING_ABSTRACTS = 0.05

_JSONL_TYPES: dict[str, tuple[type, ...]] = {
    "id": (str,), "kind": (str,), "claim": (str,), "label": (str, type(None)), "lang": (str,),
    "evidence": (list,), "doc": (str,),
}  # fmt: skip
#: Optional keys of the project's jsonl: a one-slot-changed claim's slot and the source's value.
_JSONL_OPTIONAL: dict[str, tuple[type, ...]] = {"slot": (str,), "correct": (str,)}
SLOTS = ("person", "party", "place", "institution", "number", "year", "office", "negation")
_LINEBREAK = re.compile(r"\r\n|[\r\n]")
Record = tuple[str, dict[str, Any]]  # ("file:line", parsed object)
Spans = tuple[GoldSpan, ...]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _safe(raw: object) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", str(raw)).strip("-.") or "item"


def _read_records(path: Path) -> list[Record]:
    """Objects of a JSON-lines file (empty lines skipped) or of a JSON list, each with where it came from."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    text = decode_text(path.read_bytes(), str(path))
    if text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None
        pairs = [(f"{path}[{i}]", rec) for i, rec in enumerate(data)]
    else:
        pairs = []
        for n, line in enumerate(text.split("\n"), 1):  # not splitlines(): U+2028 may sit inside a string
            if not line.strip():
                continue
            try:
                pairs.append((f"{path}:{n}", json.loads(line)))
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{n}: invalid JSON ({exc.msg} at column {exc.colno})") from None
    for where, rec in pairs:
        if not isinstance(rec, dict):
            raise InputError(f"{where}: expected a JSON object, got {type(rec).__name__}")
    return pairs


def _require(rec: dict[str, Any], where: str, types: Mapping[str, type | tuple[type, ...]]) -> None:
    for key, typ in types.items():
        if key not in rec:
            raise InputError(f"{where}: missing key {key!r}")
        if not isinstance(rec[key], typ):
            raise InputError(f"{where}: {key!r} has the wrong type ({type(rec[key]).__name__})")


def _page(sentences: Sequence[object], where: str) -> tuple[str, list[tuple[int, int]]]:
    """Sentences joined one per line (inner line breaks become spaces), and each line's (start, end)."""
    if not all(isinstance(s, str) for s in sentences):
        raise InputError(f"{where}: sentences must be strings")
    lines = [_LINEBREAK.sub(" ", str(s)) for s in sentences]
    bounds, pos = [], 0
    for line in lines:
        bounds.append((pos, pos + len(line)))
        pos += len(line) + 1
    return "\n".join(lines), bounds


def _line_spans(doc: str, text: str, bounds: list[tuple[int, int]], indices: object, where: str) -> Spans:
    """Gold spans covering the given lines in order; empty lines are dropped (they cannot be evidence)."""
    if not isinstance(indices, list) or not all(_is_int(i) for i in indices):
        raise InputError(f"{where}: a set of sentence indices must be a list of integers, got {indices!r}")
    spans = []
    for i in sorted(set(indices)):
        if not 0 <= i < len(bounds):
            raise InputError(f"{where}: sentence index {i} is out of range (the page has {len(bounds)})")
        start, end = bounds[i]
        if text[start:end].strip():
            spans.append(GoldSpan(doc=doc, start=start, end=end, quote=text[start:end]))
    return tuple(spans)


def _interleave(items: list[EvalItem], limit: int | None) -> list[EvalItem]:
    """The first ``limit`` items taken round-robin over source labels in file order, kept in file order."""
    if limit is None or limit >= len(items):
        return items
    seen: dict[str | None, int] = {}
    group: dict[str | None, int] = {}
    ranked = []
    for i, item in enumerate(items):
        key = item.source_label
        group.setdefault(key, len(group))
        seen[key] = seen.get(key, 0) + 1
        ranked.append((seen[key], group[key], i))
    return [items[i] for i in sorted(r[2] for r in sorted(ranked)[:limit])]


def _check_unique(items: list[EvalItem], where: str) -> None:
    ids: set[str] = set()
    for item in items:
        if item.id in ids:
            raise InputError(f"{where}: item {item.id}: duplicate id")
        ids.add(item.id)


# ---- the project's own format -----------------------------------------------------------------


def _load_corpus(corpus: Path) -> dict[str, CorpusDocument]:
    """Every supported file of a folder (or the one file), read exactly as ingest reads it."""
    if not corpus.exists():
        raise InputError(f"{corpus}: no such file or folder")
    docs: dict[str, CorpusDocument] = {}
    for path in expand_paths([corpus]):
        name = doc_id_for(path)
        if name in docs:
            raise InputError(f"{corpus}: two corpus files are named {name}; documents are named by file name")
        docs[name] = CorpusDocument(name=name, text=read_document(path, lang="und").text)
    return docs


def _jsonl_span(ev: object, n: int, doc: CorpusDocument, where: str) -> GoldSpan:
    if not isinstance(ev, dict) or set(ev) != {"quote", "start", "end"}:
        raise InputError(f"{where}: evidence[{n}] must be an object with exactly quote, start, end")
    quote, start, end = ev["quote"], ev["start"], ev["end"]
    if not isinstance(quote, str) or not _is_int(start) or not _is_int(end):
        raise InputError(f"{where}: evidence[{n}] needs a string quote and integer start, end")
    if not 0 <= start < end <= len(doc.text):
        raise InputError(f"{where}: evidence[{n}] [{start}:{end}] lies outside {doc.name} ({len(doc.text)})")
    if doc.text[start:end] != quote:
        found = doc.text.find(quote) if quote else -1
        hint = f" (the quote is at [{found}:{found + len(quote)}])" if found >= 0 else ""
        raise InputError(f"{where}: quote does not match text[{start}:{end}]{hint}")
    return GoldSpan(doc=doc.name, start=start, end=end, quote=quote)


def _doc_holding(evidence: list[Any], docs: Mapping[str, CorpusDocument], where: str) -> CorpusDocument:
    """The one corpus document whose text holds every evidence quote at its offsets (item without doc).

    Retrieval for such an item runs across every document of the corpus; only the gold offsets need a
    document, and they name it by matching.
    """
    if len(docs) == 1:
        return next(iter(docs.values()))

    def holds(doc: CorpusDocument) -> bool:
        return all(
            isinstance(ev, dict)
            and _is_int(ev.get("start"))
            and _is_int(ev.get("end"))
            and doc.text[ev["start"] : ev["end"]] == ev.get("quote")
            for ev in evidence
        )

    found = [d for d in docs.values() if holds(d)]
    if len(found) != 1:
        what = "no corpus document holds" if not found else f"{len(found)} corpus documents hold"
        raise InputError(f"{where}: no doc given and {what} the evidence quotes at their offsets; name one")
    return found[0]


def _jsonl_item(rec: dict[str, Any], where: str, docs: Mapping[str, CorpusDocument]) -> EvalItem:
    if isinstance(rec.get("id"), str) and rec["id"].strip():
        where = f"{where}: item {rec['id']}"
    unknown = sorted(set(rec) - set(_JSONL_TYPES) - set(_JSONL_OPTIONAL))
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(unknown)}")
    _require(rec, where, {k: t for k, t in _JSONL_TYPES.items() if k != "doc" or k in rec})
    _require(rec, where, {k: t for k, t in _JSONL_OPTIONAL.items() if k in rec})
    if ("slot" in rec) != ("correct" in rec) or rec.get("slot", SLOTS[0]) not in SLOTS:
        raise InputError(f"{where}: 'slot' (one of {', '.join(SLOTS)}) and 'correct' come together")
    if not rec["id"].strip() or not rec["claim"].strip():
        raise InputError(f"{where}: id and claim must not be empty")
    kind, label = rec["kind"], rec["label"]
    if kind not in ("claim", "question"):
        raise InputError(f"{where}: kind must be claim or question, got {kind!r}")
    if kind == "question" and label is not None:
        raise InputError(f"{where}: a question's label must be null, got {label!r}")
    if kind == "claim" and label not in VERDICTS:
        raise InputError(f"{where}: a claim's label must be one of {', '.join(VERDICTS)}, got {label!r}")
    spans: Spans = ()
    if rec["evidence"] or "doc" in rec:
        name = rec.get("doc")
        doc: CorpusDocument | None
        if name is None:
            doc = _doc_holding(rec["evidence"], docs, where)
        else:
            doc = docs.get(name) or docs.get(doc_id_for(Path(name)))
        if doc is None:
            raise InputError(f"{where}: unknown doc {name!r}; the corpus has {', '.join(sorted(docs)[:5])}")
        spans = tuple(_jsonl_span(ev, n, doc, where) for n, ev in enumerate(rec["evidence"]))
    return EvalItem(
        id=rec["id"], kind=kind, claim=rec["claim"], label=label, lang=rec["lang"],
        evidence_sets=(spans,) if spans else (), slot=rec.get("slot"), correct=rec.get("correct"),
    )  # fmt: skip


def load_jsonl(path: Path, corpus: Path) -> EvalDataset:
    """The project's gold format (one item a line) and the corpus (file or folder) its offsets refer to."""
    docs = _load_corpus(corpus)
    items: list[EvalItem] = []
    ids: set[str] = set()
    for where, rec in _read_records(path):
        item = _jsonl_item(rec, where, docs)
        if item.id in ids:
            raise InputError(f"{where}: item {item.id}: duplicate id")
        ids.add(item.id)
        items.append(item)
    if not items:
        raise InputError(f"{path}: holds no items")
    return EvalDataset(name=path.stem, items=items, corpus=list(docs.values()))


# ---- WiCE -------------------------------------------------------------------------------------


def load_wice(path: Path, limit: int | None = None) -> EvalDataset:
    """WiCE claims (``claim``, ``label``, ``evidence`` sentences, ``supporting_sentences``), one page each."""
    items: list[EvalItem] = []
    docs: dict[str, CorpusDocument] = {}
    for n, (where, rec) in enumerate(_read_records(path)):
        _require(rec, where, {"claim": str, "label": str, "evidence": list, "supporting_sentences": list})
        meta = rec["meta"] if isinstance(rec.get("meta"), dict) else {}
        raw_id = str(meta.get("id") or rec.get("id") or f"wice-{n}")
        if rec["label"] not in WICE_LABELS:
            raise InputError(f"{where}: item {raw_id}: unknown label {rec['label']!r}")
        name = f"wice-{_safe(raw_id)}.txt"
        if name in docs:
            raise InputError(f"{where}: item {raw_id}: duplicate id")
        text, bounds = _page(rec["evidence"], where)
        here = f"{where}: item {raw_id}"
        sets = [_line_spans(name, text, bounds, s, here) for s in rec["supporting_sentences"]]
        if rec["label"] == "not_supported":  # its sets are [] or partial support: no complete evidence exists
            sets = []
        docs[name] = CorpusDocument(name=name, text=text)
        items.append(EvalItem(
            id=raw_id, kind="claim", claim=rec["claim"], label=WICE_LABELS[rec["label"]], lang="en",
            evidence_sets=tuple(dict.fromkeys(s for s in sets if s)), doc=name, source_label=rec["label"],
        ))  # fmt: skip
    _check_unique(items, str(path))
    items = _interleave(items, limit)
    return EvalDataset(name="wice", items=items, corpus=[docs[i.doc] for i in items if i.doc])


# ---- Check-COVID ------------------------------------------------------------------------------


def _covid_records(folder: Path, part: str = "dev") -> list[Record]:
    """``<part>.json``, with each NOTENOUGHINFO item replaced by its ``<part>_nei.json`` version (a different
    abstract).

    Both files hold the whole split under the same ids; dev.json's NEI claims reuse the SUPPORT/REFUTE
    abstract, dev_nei.json pairs them with another one. NEI items only in the _nei file are appended.
    """
    records = _read_records(folder / f"{part}.json")
    nei_path = folder / f"{part}_nei.json"
    if not nei_path.exists():
        return records
    nei = {r.get("id"): (w, r) for w, r in _read_records(nei_path) if r.get("label") == "NOTENOUGHINFO"}
    merged = [nei.pop(r["id"]) if r.get("label") == "NOTENOUGHINFO" and r.get("id") in nei else (w, r)
              for w, r in records]  # fmt: skip
    return merged + list(nei.values())


def load_check_covid(folder: Path, limit: int | None = None, part: str = "dev") -> EvalDataset:
    """Check-COVID claims of one split from ``folder`` (``<part>.json``, ``<part>_nei.json``, corpus.json),
    each with its abstract. ``part`` is ``dev`` (for reporting) or ``train`` (for training only)."""
    abstracts: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    for where, rec in _read_records(folder / "corpus.json"):
        _require(rec, where, {"cord_id": str, "abstract": list})
        abstracts[rec["cord_id"]] = _page(rec["abstract"], where)
    if not (folder / f"{part}.json").is_file():
        raise InputError(f"{folder}: no {part}.json: a Check-COVID folder holds dev.json (and train.json)")
    items: list[EvalItem] = []
    skipped = 0
    for where, rec in _covid_records(folder, part):
        _require(rec, where, {"id": str, "claim": str, "cord_id": str, "label": str, "evidence_set": list})
        here = f"{where}: item {rec['id']}"
        if rec["label"] not in COVID_LABELS:
            raise InputError(f"{here}: unknown label {rec['label']!r}")
        if rec["cord_id"] not in abstracts:
            skipped += 1
            continue
        name = f"cord-{_safe(rec['cord_id'])}.txt"
        text, bounds = abstracts[rec["cord_id"]]
        if not all(isinstance(e, dict) and "sent_index" in e for e in rec["evidence_set"]):
            raise InputError(f"{here}: evidence_set entries need a sent_index")
        primary = [e["sent_index"] for e in rec["evidence_set"] if e.get("type") == "PRIMARY"]
        spans = _line_spans(name, text, bounds, primary, here) if rec["label"] != "NOTENOUGHINFO" else ()
        items.append(EvalItem(
            id=rec["id"], kind="claim", claim=rec["claim"], label=COVID_LABELS[rec["label"]], lang="en",
            evidence_sets=(spans,) if spans else (), doc=name, source_label=rec["label"],
        ))  # fmt: skip
    total = len(items) + skipped
    if total == 0 or skipped > MAX_MISSING_ABSTRACTS * total:
        raise InputError(f"{folder}: {skipped} of {total} items refer to abstracts missing from corpus.json")
    _check_unique(items, str(folder))
    items = _interleave(items, limit)
    cords = {f"cord-{_safe(c)}.txt": page[0] for c, page in abstracts.items()}
    names = list(dict.fromkeys(i.doc for i in items if i.doc))
    label = "check-covid" if part == "dev" else f"check-covid {part}"
    label += f" ({skipped} items skipped: abstract missing)" if skipped else ""
    return EvalDataset(name=label, items=items, corpus=[CorpusDocument(name=n, text=cords[n]) for n in names])


# ---- dispatch and metrics helper --------------------------------------------------------------


def _first_record(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        for raw in fh:
            if raw.strip():
                try:
                    rec = json.loads(raw.decode("utf-8-sig", errors="replace"))
                except json.JSONDecodeError:
                    return {}
                return rec if isinstance(rec, dict) else {}
    return {}


def infer_format(path: Path) -> str:
    """The format of an existing dataset path: a folder with corpus.json, a WiCE claim file, or jsonl."""
    if path.is_dir():
        if (path / "corpus.json").is_file():
            return "check-covid"
        raise InputError(f"{path}: a dataset folder must be Check-COVID's, but it holds no corpus.json")
    if path.name in COVID_SPLIT_FILES and (path.parent / "corpus.json").is_file():
        return "check-covid"
    if "claim" in path.name and path.suffix == ".jsonl" and "supporting_sentences" in _first_record(path):
        return "wice"
    return "jsonl"


def load_dataset(path: Path, fmt: str | None, corpus: Path | None, limit: int | None) -> EvalDataset:
    """Load a dataset in ``fmt`` (inferred when None); ``limit`` keeps the first N items (label-balanced)."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if limit is not None and limit < 1:
        raise InputError(f"the item limit must be at least 1, got {limit}")
    fmt = fmt or infer_format(path)
    if fmt not in FORMATS:
        raise InputError(f"unknown dataset format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt != "jsonl" and corpus is not None:
        raise InputError(f"{path}: a corpus applies only to the jsonl format; {fmt} brings its own documents")
    if fmt == "wice":
        return load_wice(path, limit)
    if fmt == "check-covid":
        # A folder is its dev split; dev.json or train.json (beside corpus.json) names the split.
        if path.is_dir():
            return load_check_covid(path, limit)
        if path.name not in COVID_SPLIT_FILES:
            raise InputError(f"{path}: give a Check-COVID folder, or its {' or '.join(COVID_SPLIT_FILES)}")
        return load_check_covid(path.parent, limit, part=path.stem)
    if corpus is None:
        corpus = path.parent.parent / "seeds"
        if not corpus.is_dir():
            raise InputError(f"{path}: no corpus given and the default {corpus} does not exist")
    dataset = load_jsonl(path, corpus)
    dataset.items = dataset.items[:limit]
    return dataset


def gold_sentence_ids(
    spans: Iterable[GoldSpan], sentences_by_doc: Mapping[str, Sequence[tuple[int, int, int]]]
) -> set[tuple[str, int]]:
    """(doc, sentence index) of every sentence that a gold span overlaps by at least one character."""
    out: set[tuple[str, int]] = set()
    for span in spans:
        for index, start, end in sentences_by_doc.get(span.doc, ()):
            if min(end, span.end) - max(start, span.start) > 0:
                out.add((span.doc, index))
    return out
