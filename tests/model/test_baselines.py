"""Baselines on matrices where the right answer is known (implicit's checkerboard idea)."""
import numpy as np
import pytest
import scipy.sparse as sp

from anime_recommender.evaluation import baselines, ranking


def checkerboard(n: int = 20):
    """User u likes every item of its parity except item u, which is its held-out item."""
    u, i = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    train = ((u + i) % 2 == 0) & (u != i)
    return sp.csr_matrix(train.astype(np.float32)), sp.csr_matrix(np.eye(n, dtype=np.float32))


def top1(fitted, train):
    scores = ranking.mask_known(np.array(fitted.scorer(np.arange(train.shape[0])), np.float32), train)
    return ranking.top_k(scores, 1)[:, 0]


def test_ease_finds_the_held_out_item():
    train, test = checkerboard()
    fitted = baselines.ease(train, test, (1.0, 10.0), k=1)
    assert (top1(fitted, train) == np.arange(20)).all()
    assert ranking.evaluate(fitted.scorer, train, test, 1)["ndcg@1"] == pytest.approx(1.0)


def test_ease_weights_have_zero_diagonal():
    train, _ = checkerboard()
    assert np.allclose(np.diag(baselines.ease_weights(train, 10.0)), 0.0)


def test_als_finds_the_held_out_item():
    train, _ = checkerboard()
    fitted = baselines.als(train, factors=4, iterations=15, regularization=0.01, alpha=10.0, seed=0)
    assert (top1(fitted, train) == np.arange(20)).all()


def test_popularity_ranks_by_train_count():
    # item i is liked by i + 1 of 10 users: the most popular unseen item comes first
    likes = np.arange(10)[:, None] < (np.arange(6) + 1)[None, :]
    train = sp.csr_matrix(likes.astype(np.float32))
    fitted = baselines.popularity(train)
    best = top1(fitted, train)
    assert best[9] == 5  # user 9 has seen nothing: the most popular item
    assert best[3] == 2  # user 3 has seen items 3..5: the most popular of the rest
    assert np.argsort(-fitted.scorer(np.array([3]))[0]).tolist() == [5, 4, 3, 2, 1, 0]


def test_ease_that_would_not_fit_is_a_skipped_row_of_the_table_and_the_summary(tiny_data_dir, tmp_path):
    from anime_recommender.data import prepare, process
    from anime_recommender.evaluation import compare
    from anime_recommender.train_command import summary
    from anime_recommender.training import TrainingResult
    from tests.model.conftest import tiny_config

    cfg = tiny_config(tiny_data_dir, tmp_path, evaluation={"ease_max_anime": 100, "max_eval_users": 300})
    catalog, interactions, seen, report = prepare.load_dataset(cfg)
    data = process.process(interactions, catalog, cfg.processing, report, seen)
    m = compare.matrices(data)
    popular = baselines.popularity(m["train"]).scorer
    metrics = compare.evaluate_models(cfg, data, popular, 0.0, m=m)
    assert metrics["ease"]["skipped"].startswith(f"skipped: {data.n_anime} anime > evaluation.ease_max_anime 100")
    assert set(compare.scored(metrics)) == {"ncf", "popularity", "als"}
    assert compare.skipped(metrics) == {"ease": metrics["ease"]["skipped"]}
    assert metrics["ncf"]["users"] == 300  # max_eval_users: a seeded sample
    result = TrainingResult("run", tmp_path, metrics, True, True, {"users": data.n_users})
    assert f"| ease | {metrics['ease']['skipped']} |" in summary(result)
