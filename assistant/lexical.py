"""Lexical retrieval (BM25 over sentences) and reciprocal-rank fusion with dense results.

Dense multilingual embeddings blur names and numbers; a lexical match on "2023" or "Utah" does not.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from collections.abc import Sequence

from .records import Sentence

_TOKEN = re.compile(r"\w+", re.UNICODE)
#: Standard BM25 parameters (Robertson & Zaragoza); not tuned on evaluation data.
BM25_K1 = 1.5
BM25_B = 0.75
#: Reciprocal-rank-fusion constant from Cormack et al. (2009).
RRF_K = 60


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens, with hyphenated compounds also split ("NATO-Austritt" → nato, austritt)."""
    return [t.lower() for t in _TOKEN.findall(text)]


class BM25:
    """BM25 over a fixed list of sentences.

    Kept by hand rather than taken from ``rank_bm25`` or ``bm25s``: ``rank_bm25.BM25Okapi`` uses another idf
    (``log((n - f + 0.5) / (f + 0.5))``, floored at a fraction of the mean idf), and ``bm25s`` tokenizes with
    its own pattern that drops one-character tokens; either would change the hybrid pipelines' rankings and
    the recall figures reported for them. This is the Lucene variant (idf ``log(1 + …)``), 40 lines.
    """

    def __init__(self, sentences: Sequence[Sentence]) -> None:
        self.sentences = list(sentences)
        self._docs = [Counter(tokenize(s.text)) for s in self.sentences]
        self._lens = [sum(d.values()) for d in self._docs]
        self._avg = (sum(self._lens) / len(self._lens)) if self._lens else 0.0
        df: Counter[str] = Counter()
        for d in self._docs:
            df.update(d.keys())
        n = len(self._docs)
        self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def search(self, query: str, k: int) -> list[Sentence]:
        """The ``k`` best-scoring sentences (score = BM25), best first; sentences scoring 0 are left out."""
        terms = set(tokenize(query))
        scored = []
        for i, (doc, length) in enumerate(zip(self._docs, self._lens, strict=True)):
            score = 0.0
            for t in terms:
                tf = doc.get(t, 0)
                if tf:
                    norm = tf + BM25_K1 * (1 - BM25_B + BM25_B * length / (self._avg or 1))
                    score += self._idf[t] * tf * (BM25_K1 + 1) / norm
            if score > 0:
                scored.append((score, i))
        scored.sort(key=lambda x: (-x[0], x[1]))
        return [_with_score(self.sentences[i], s) for s, i in scored[:k]]


def reciprocal_rank_fusion(rankings: Sequence[Sequence[Sentence]], k: int) -> list[Sentence]:
    """Fuse ranked lists by reciprocal rank; the score becomes the fused RRF score."""
    fused: dict[tuple[str, int], float] = {}
    first: dict[tuple[str, int], Sentence] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking):
            key = (hit.doc_id, hit.sentence_id)
            fused[key] = fused.get(key, 0.0) + 1.0 / (RRF_K + rank + 1)
            first.setdefault(key, hit)
    order = sorted(fused, key=lambda key: (-fused[key], key))
    return [_with_score(first[key], fused[key]) for key in order[:k]]


def _with_score(hit: Sentence, score: float) -> Sentence:
    return dataclasses.replace(hit, score=round(score, 6))
