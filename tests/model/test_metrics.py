"""Metric functions: perfect lists give 1, no hits give 0, and pinned hand-computed values."""
import math

import numpy as np
import pytest

from anime_recommender.evaluation import metrics, ranking


@pytest.mark.parametrize("metric", [metrics.ndcg_at_k, metrics.recall_at_k, metrics.precision_at_k,
                                    metrics.hit_at_k])
def test_perfect_list_scores_one(metric):
    assert metric([1, 2, 3], {1, 2, 3}, 3) == pytest.approx(1.0)


@pytest.mark.parametrize("metric", [metrics.ndcg_at_k, metrics.recall_at_k, metrics.precision_at_k,
                                    metrics.hit_at_k])
def test_no_hits_score_zero(metric):
    assert metric([4, 5, 6], {1, 2, 3}, 3) == 0.0


@pytest.mark.parametrize("metric", [metrics.ndcg_at_k, metrics.recall_at_k, metrics.precision_at_k,
                                    metrics.hit_at_k])
def test_empty_inputs_score_zero(metric):
    assert metric([], {1}, 10) == 0.0
    assert metric([1, 2], set(), 10) == 0.0


def test_pinned_values():
    recommended, relevant = [1, 5, 2, 7, 9], {2, 9, 11}
    assert metrics.precision_at_k(recommended, relevant, 5) == pytest.approx(2 / 5)
    assert metrics.recall_at_k(recommended, relevant, 5) == pytest.approx(2 / 3)
    assert metrics.hit_at_k(recommended, relevant, 2) == 0.0
    dcg = 1 / math.log2(4) + 1 / math.log2(6)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert metrics.ndcg_at_k(recommended, relevant, 5) == pytest.approx(dcg / idcg, 1e-4)  # 0.4670


def test_ndcg_wikipedia_example():
    """en.wikipedia.org/wiki/Discounted_cumulative_gain: gains 3,2,3,0,1,2 plus unretrieved 3 and 2."""
    ranked = ["d1", "d2", "d3", "d4", "d5", "d6"]
    gains = {"d1": 3, "d2": 2, "d3": 3, "d4": 0, "d5": 1, "d6": 2, "d7": 3, "d8": 2}
    assert metrics.dcg([3, 2, 3, 0, 1, 2]) == pytest.approx(6.861, 1e-3)
    assert metrics.ndcg_at_k(ranked, gains, 6) == pytest.approx(0.785, 1e-3)


def test_catalog_coverage():
    assert metrics.catalog_coverage([[1, 2], [2, 3]], 10) == pytest.approx(0.3)
    assert metrics.catalog_coverage([], 0) == 0.0


def test_vectorised_evaluation_matches_pure_functions():
    rng = np.random.default_rng(0)
    n_users, n_items, k = 40, 60, 10
    train = (rng.random((n_users, n_items)) < 0.2).astype(np.float32)
    test = ((rng.random((n_users, n_items)) < 0.15) & (train == 0)).astype(np.float32)
    scores = rng.random((n_users, n_items)).astype(np.float32)
    import scipy.sparse as sp

    result = ranking.evaluate(lambda users: scores[users], sp.csr_matrix(train), sp.csr_matrix(test), k,
                              ranking.Scope(batch_size=7))
    expected = {"ndcg": [], "recall": [], "precision": [], "hit": []}
    for u in range(n_users):
        relevant = set(np.flatnonzero(test[u]))
        if not relevant:
            continue
        masked = np.where(train[u] > 0, -np.inf, scores[u])
        top = list(np.argsort(-masked, kind="stable")[:k])
        for name, fn in [("ndcg", metrics.ndcg_at_k), ("recall", metrics.recall_at_k),
                         ("precision", metrics.precision_at_k), ("hit", metrics.hit_at_k)]:
            expected[name].append(fn(top, relevant, k))
    for name, values in expected.items():
        assert result[f"{name}@{k}"] == pytest.approx(np.mean(values), 1e-6)


def test_known_items_are_never_recommended():
    scores = np.array([[9.0, 8.0, 1.0, 0.5]], np.float32)
    import scipy.sparse as sp

    top = ranking.top_k(ranking.mask_known(scores.copy(), sp.csr_matrix([[1, 1, 0, 0]])), 2)
    assert top.tolist() == [[2, 3]]
