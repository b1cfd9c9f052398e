from assistant.lexical import BM25, reciprocal_rank_fusion, tokenize
from assistant.records import Sentence


def hit(i, text, score=0.0):
    return Sentence("d", i, i * 100, i * 100 + len(text), text, score)


def test_tokenize_splits_compounds_and_lowercases():
    assert tokenize("NATO-Austritt im Jahr 2023!") == ["nato", "austritt", "im", "jahr", "2023"]


def test_bm25_prefers_rare_matching_terms():
    sents = [
        hit(0, "Der Senat stimmte ab."),
        hit(1, "Lee kommt aus Utah."),
        hit(2, "Der Senat tagte in Utah."),
    ]
    ranked = BM25(sents).search("Utah Lee", k=3)
    assert [h.sentence_id for h in ranked] == [1, 2]  # sentence 0 shares no term and is left out
    assert ranked[0].score > ranked[1].score > 0


def test_rrf_rewards_agreement_between_rankings():
    a = [hit(1, "a"), hit(2, "b"), hit(3, "c")]
    b = [hit(3, "c"), hit(1, "a")]
    fused = reciprocal_rank_fusion([a, b], k=3)
    assert [h.sentence_id for h in fused] == [1, 3, 2]
    assert abs(fused[0].score - (1 / 61 + 1 / 62)) < 1e-6
