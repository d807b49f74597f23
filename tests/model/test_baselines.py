"""Baselines on matrices where the right answer is known (implicit's checkerboard idea)."""
import numpy as np
import pytest
import scipy.sparse as sp

from anime_recommender.evaluation import baselines, ranking

CHECKERBOARD_ALS = baselines.AlsSettings(factors=4, iterations=15, regularization=0.01, alpha=10.0)


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
    assert ranking.evaluate(fitted.scorer, train, test, k=1)["ndcg@1"] == pytest.approx(1.0)


def test_ease_weights_have_zero_diagonal():
    train, _ = checkerboard()
    assert np.allclose(np.diag(baselines.ease_weights(train, 10.0)), 0.0)


def test_ease_in_place_float32_matches_the_closed_form():
    train = sp.random(300, 2600, density=0.02, random_state=1, format="csr")  # > one mirroring block of 1024
    x = (train > 0).astype(np.float64)
    p = np.linalg.inv((x.T @ x).toarray() + 50.0 * np.eye(2600))
    expected = -p / np.diag(p)
    np.fill_diagonal(expected, 0.0)
    weights = baselines.ease_weights(train, 50.0)
    assert weights.dtype == np.float32 and weights.flags.c_contiguous
    assert np.allclose(weights, expected, atol=2e-4), np.abs(weights - expected).max()
    gram = baselines.gram_matrix((train > 0).astype(np.float32).tocsr(), block=700)
    kept = gram.copy()
    assert np.array_equal(baselines.ease_weights(train, 50.0, gram), weights)
    assert np.array_equal(gram, kept)  # the Gram matrix given is left as it was (reused for the next λ)


def test_fold_in_of_a_users_own_row_scores_like_that_user():
    """Cold protocol: EASE x·B and ALS recalculate_user give a trained user's own row the user's scores."""
    train, test = checkerboard()
    ease = baselines.ease(train, test, (10.0,), k=1)
    assert np.allclose(ease.fold_in(train[[3, 4]]), ease.scorer(np.array([3, 4])), atol=1e-5)
    als = baselines.als(train, CHECKERBOARD_ALS, seed=0)
    # ALS's stored user factors predate its last anime step, so a fold-in is near them, not equal
    folded = ranking.mask_known(als.fold_in(train[[3, 4]]), train[[3, 4]])
    assert (ranking.top_k(folded, 1)[:, 0] == [3, 4]).all()
    assert np.allclose(als.fold_in(train[[3, 4]]), als.scorer(np.array([3, 4])), atol=0.05)
    popular = baselines.popularity(train)
    assert np.array_equal(popular.fold_in(train[[3]]), popular.scorer(np.array([3])))


def test_ease_refit_keeps_the_lambda_validation_chose_and_scores_from_the_refit_rows():
    train, test = checkerboard()
    known = train + test
    fitted = baselines.ease(train, test, (1.0, 10.0), k=1, refit=known)
    direct = baselines.ease_weights(known, fitted.params["lambda"])
    assert np.allclose(fitted.scorer(np.arange(20)), known.toarray() @ direct, atol=1e-5)


def test_als_finds_the_held_out_item():
    train, _ = checkerboard()
    fitted = baselines.als(train, CHECKERBOARD_ALS, seed=0)
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
    from anime_recommender.pipeline.command import summary
    from anime_recommender.pipeline.run import TrainingResult
    from tests.model.conftest import tiny_config

    cfg = tiny_config(tiny_data_dir, tmp_path, evaluation={"ease_max_anime": 100, "max_eval_users": 300})
    catalog, interactions, seen, report = prepare.load_dataset(cfg)
    data = process.process(interactions, catalog, cfg.processing, report=report, seen=seen)
    m = compare.matrices(data)
    popular = baselines.popularity(m["train"]).scorer
    metrics = compare.evaluate_models(cfg, data, compare.Trained(popular, 0.0), m=m)
    assert metrics["ease"]["skipped"].startswith(f"skipped: {data.n_anime} anime > evaluation.ease_max_anime 100")
    assert set(compare.scored(metrics)) == {"ncf", "popularity", "als", "popularity cold", "als cold"}
    assert compare.skipped(metrics) == {"ease": metrics["ease"]["skipped"]}
    assert metrics["ncf"]["users"] == 300  # max_eval_users: a seeded sample
    result = TrainingResult(run_id="run", run_dir=tmp_path, metrics=metrics, gate_passed=True, made_current=True,
                            counts={"users": data.n_users})
    assert f"| ease | {metrics['ease']['skipped']} |" in summary(result)


def table(warm: dict, cold: dict) -> dict:
    rows = {name: {"ndcg@10": value} for name, value in warm.items()}
    return {**rows, **{f"{name} cold": {"ndcg@10": value} for name, value in cold.items()}}


def test_gate_compares_with_the_strongest_baseline_of_each_protocol():
    from anime_recommender.evaluation.compare import gate

    scores = table({"ncf": 0.30, "ncf_served": 0.9, "popularity": 0.1, "ease": 0.31, "als": 0.2},
                   {"ncf": 0.40, "popularity": 0.1, "ease": 0.2, "als": 0.35})
    result = gate(scores, 10, margin=0.0)
    assert [(c["protocol"], c["baseline"], c["passed"]) for c in result["checks"]] == [
        ("warm", "ease", False), ("cold", "als", True)]
    assert not result["passed"] and result["model"] == 0.30 and result["threshold"] == 0.31
    assert gate(scores, 10, margin=0.02)["passed"]
    assert gate(scores, 10, margin=0.0, baseline="popularity")["passed"]
    assert gate(scores, 10, margin=0.0, protocols=("cold",))["passed"]


def test_gate_without_cold_rows_checks_warm_only():
    from anime_recommender.evaluation.compare import gate

    result = gate(table({"ncf": 0.3, "popularity": 0.1, "ease": 0.2}, {"popularity": 0.5}), 10, margin=0.0)
    assert result["passed"] and [c["protocol"] for c in result["checks"]] == ["warm"]


def test_a_named_gate_baseline_that_was_not_fitted_gives_way_to_the_strongest():
    from anime_recommender.evaluation.compare import gate

    result = gate(table({"ncf": 0.3, "popularity": 0.1, "als": 0.25}, {}), 10, margin=0.0, baseline="ease")
    assert result["checks"][0]["baseline"] == "als" and result["passed"]
