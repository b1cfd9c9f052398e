"""Turn the model's citations into character spans, keeping only those that match the source text."""

from __future__ import annotations

from ..records import Sentence

_QUOTE_MARKS = "\"'„“”‚‘’»«"


def locate_quote(sentence: str, quote: str) -> tuple[int, int] | None:
    """Offsets of ``quote`` inside ``sentence``: exact first, then ignoring case; None if absent.

    An empty quote means the whole sentence. Surrounding quotation marks and whitespace the model
    added are ignored; nothing else is forgiven.
    """
    q = quote.strip().strip(_QUOTE_MARKS).strip()
    if not q:
        return (0, len(sentence))
    idx = sentence.find(q)
    if idx < 0:
        lowered = sentence.lower()
        if len(lowered) == len(sentence):  # lower() kept offsets aligned
            idx = lowered.find(q.lower())
    if idx < 0:
        return None
    return (idx, idx + len(q))


def verify_citation(doc_text: str, hit: Sentence, quote: str = "") -> Sentence | None:
    """A span for a citation of ``hit``, or None when it does not match ``doc_text`` exactly."""
    if doc_text[hit.start : hit.end] != hit.text:
        return None  # the index and the document disagree: never show such a span
    found = locate_quote(hit.text, quote)
    if found is None:
        return None
    start, end = hit.start + found[0], hit.start + found[1]
    text = doc_text[start:end]
    if not text.strip() or hit.text[found[0] : found[1]] != text:
        return None
    return Sentence(hit.doc_id, hit.sentence_id, start, end, text)
