"""The pipeline's metrics (evaluation/metrics.py): perfect lists give 1, no hits give 0, pinned hand-computed
values, and the vectorised full-ranking evaluation equals the textbook oracle (metric_oracle.py) user by user."""
import math

import numpy as np
import pytest
import scipy.sparse as sp

from anime_recommender.evaluation import metrics, ranking
from tests.model import metric_oracle

NAMES = list(metrics.METRIC_NAMES)


def test_the_oracle_knows_the_same_metrics():
    assert set(metric_oracle.ORACLE) == set(metrics.METRIC_NAMES)


def test_perfect_list_scores_one():
    assert metrics.list_metrics([1, 2, 3], {1, 2, 3}, 3) == pytest.approx(dict.fromkeys(NAMES, 1.0))


def test_no_hits_score_zero():
    assert metrics.list_metrics([4, 5, 6], {1, 2, 3}, 3) == dict.fromkeys(NAMES, 0.0)


def test_empty_inputs_score_zero():
    assert metrics.list_metrics([], {1}, 10) == dict.fromkeys(NAMES, 0.0)
    assert metrics.list_metrics([1, 2], set(), 10) == dict.fromkeys(NAMES, 0.0)
    assert metrics.list_metrics([1, 2], {1}, 0) == dict.fromkeys(NAMES, 0.0)


def test_pinned_values():
    got = metrics.list_metrics([1, 5, 2, 7, 9], {2, 9, 11}, 5)
    dcg = 1 / math.log2(4) + 1 / math.log2(6)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert got == pytest.approx({"ndcg": dcg / idcg, "recall": 2 / 3, "precision": 2 / 5, "hit": 1.0})  # 0.4670
    assert metrics.list_metrics([1, 5, 2, 7, 9], {2, 9, 11}, 2)["hit"] == 0.0


def test_a_short_list_is_not_rewarded():
    """Two hits in a list of two out of k = 5 asked for: the ideal list still has min(|relevant|, k) hits."""
    got = metrics.list_metrics([2, 9], {2, 9, 11}, 5)
    assert got["ndcg"] == pytest.approx(metric_oracle.ndcg_at_k([2, 9], {2, 9, 11}, 5)) and got["ndcg"] < 1
    assert got["precision"] == pytest.approx(2 / 5)


def test_the_oracle_gives_the_wikipedia_dcg():
    """en.wikipedia.org/wiki/Discounted_cumulative_gain: gains 3, 2, 3, 0, 1, 2 give DCG 6.861."""
    assert metric_oracle.dcg([3, 2, 3, 0, 1, 2]) == pytest.approx(6.861, 1e-3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_list_equals_the_oracle(seed):
    rng = np.random.default_rng(seed)
    for _ in range(50):
        ranked = rng.permutation(30)[:rng.integers(0, 12)].tolist()
        relevant = set(rng.choice(30, rng.integers(0, 8), replace=False).tolist())
        k = int(rng.integers(1, 12))
        want = {name: fn(ranked, relevant, k) for name, fn in metric_oracle.ORACLE.items()}
        assert metrics.list_metrics(ranked, relevant, k) == pytest.approx(want)


def test_vectorised_evaluation_matches_the_oracle():
    rng = np.random.default_rng(0)
    n_users, n_items, k = 40, 60, 10
    train = (rng.random((n_users, n_items)) < 0.2).astype(np.float32)
    test = ((rng.random((n_users, n_items)) < 0.15) & (train == 0)).astype(np.float32)
    scores = rng.random((n_users, n_items)).astype(np.float32)
    result = ranking.evaluate(lambda users: scores[users], sp.csr_matrix(train), sp.csr_matrix(test), k=k,
                              scope=ranking.Scope(batch_size=7))
    expected = {name: [] for name in metric_oracle.ORACLE}
    shown = set()
    for u in range(n_users):
        relevant = set(np.flatnonzero(test[u]))
        if not relevant:
            continue
        masked = np.where(train[u] > 0, -np.inf, scores[u])
        top = list(np.argsort(-masked, kind="stable")[:k])
        shown.update(top)
        for name, fn in metric_oracle.ORACLE.items():
            expected[name].append(fn(top, relevant, k))
    for name, values in expected.items():
        assert result[f"{name}@{k}"] == pytest.approx(np.mean(values), 1e-6)
    assert result["coverage"] == pytest.approx(len(shown) / n_items)


def test_known_items_are_never_recommended():
    scores = np.array([[9.0, 8.0, 1.0, 0.5]], np.float32)
    top = ranking.top_k(ranking.mask_known(scores.copy(), sp.csr_matrix([[1, 1, 0, 0]])), 2)
    assert top.tolist() == [[2, 3]]
