"""Fusion of the dense and keyword scores: a weighted sum of scores divided by their best."""

from __future__ import annotations

import pytest
from cluster_assistant.assistant.pipeline import Assistant
from cluster_assistant.assistant.retrieval import fuse
from cluster_assistant.evals.metrics import fact_present

DENSE = {"a": 0.72, "b": 0.70, "c": 0.69}        # cosine: close together, as with a small model
KEYWORD = {"c": 12.0, "d": 11.0, "a": 1.0}       # BM25: far apart


def test_each_weight_alone_gives_its_own_order() -> None:
    only_dense = fuse(DENSE, KEYWORD, 1.0)
    assert sorted(only_dense, key=only_dense.__getitem__, reverse=True)[:3] == ["a", "b", "c"]
    only_keyword = fuse(DENSE, KEYWORD, 0.0)
    assert sorted(only_keyword, key=only_keyword.__getitem__, reverse=True)[:3] == ["c", "d", "a"]


def test_scores_keep_their_distances_where_ranks_would_not() -> None:
    fused = fuse(DENSE, KEYWORD, 0.3)
    assert fused["c"] == pytest.approx(0.3 * 0.69 / 0.72 + 0.7)
    assert max(fused.values()) <= 1.0 and set(fused) == {"a", "b", "c", "d"}
    # "a" tops the dense ranking and is third in BM25, but far behind there: by reciprocal rank
    # it would beat "d" (BM25 second, not found by dense); by score it does not.
    assert fused["d"] > fused["a"]
    assert fuse({}, {}, 0.3) == {} and fuse(DENSE, {}, 0.3)["a"] == pytest.approx(0.3)


def test_a_strong_keyword_match_is_not_outvoted_by_close_vectors(corpus_assistant: Assistant) -> None:
    """Who coordinates InoLink is said once, in the meeting report's last line: BM25 finds it far
    ahead, while the vectors of a dozen InoLink chunks lie close together. Reciprocal-rank fusion
    left that chunk out of the top 8."""
    ans = corpus_assistant.answer("Who coordinates InoLink and under which programme is it funded?")
    assert "clusters-knowledge-gaps" in {r["doc_id"] for r in ans.retrieved if not r["neighbour"]}, ans.retrieved
    assert fact_present("Inogeb LT", ans.answer), ans.answer
    assert fact_present("Lithuanian Innovation Centre", ans.answer), ans.answer
