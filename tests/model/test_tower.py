"""The numpy user tower pools a list exactly as the trained Keras model pools a user's history."""
from __future__ import annotations

import dataclasses

import keras
import numpy as np
from scipy import sparse

from anime_recommender.model.export import extract_factors
from anime_recommender.model.ncf import USER_HISTORY
from anime_recommender.recommend.engine import Recommender
from anime_recommender.recommend.filters import Filters
from anime_recommender.recommend.lists import COMPLETED, ListRows, read_list
from anime_recommender.recommend.mal_export import MalExport
from anime_recommender.recommend.tower import UserTower
from anime_recommender.recommend.users import History, loved_thresholds
from anime_recommender.recommend.vectors import list_vector


def test_a_trained_users_vector_is_the_pooled_vector_of_their_training_history(trained):
    _cfg, result = trained
    model = keras.saving.load_model(result.run_dir / "model.keras", compile=False)
    factors = extract_factors(model)
    assert factors.anime_context is not None and factors.user_scale is not None
    layer = model.get_layer(USER_HISTORY)
    indptr, items = layer.row_splits.numpy(), layer.items.numpy()[: int(layer.row_splits.numpy()[-1])]
    tower = UserTower(factors.anime_context, factors.user_scale)
    np.testing.assert_allclose(tower.vectors(indptr, items), factors.user_factors, atol=1e-5)
    one = 3
    np.testing.assert_allclose(tower.vector(items[indptr[one]:indptr[one + 1]]), factors.user_factors[one], atol=1e-5)


def test_weights_of_one_pool_like_training_and_scaling_them_changes_nothing():
    rng = np.random.default_rng(0)
    tower = UserTower(rng.normal(size=(30, 8)).astype(np.float32), 1.0)
    rows = np.array([1, 4, 9])
    np.testing.assert_allclose(tower.vector(rows), tower.vector(rows, np.full(3, 2.5)), atol=1e-6)
    assert not np.allclose(tower.vector(rows), tower.vector(rows, np.array([1.0, 0.1, 0.1])))
    plain = UserTower(tower.context, None)
    np.testing.assert_allclose(plain.vector(rows), tower.context[rows].sum(axis=0) / np.sqrt(3), atol=1e-5)


def test_list_vectors_of_a_trained_users_list_are_their_vector(trained):
    _cfg, result = trained
    model = keras.saving.load_model(result.run_dir / "model.keras", compile=False)
    factors = extract_factors(model)
    layer = model.get_layer(USER_HISTORY)
    indptr, items = layer.row_splits.numpy(), layer.items.numpy()[: int(layer.row_splits.numpy()[-1])]
    tower = UserTower(factors.anime_context, factors.user_scale)
    ratings = np.full(len(items), 8, np.int8)
    np.testing.assert_allclose(tower.list_vectors(indptr, items, ratings), factors.user_factors, atol=1e-5)


def _training_list(model, row: int) -> np.ndarray:
    """Model anime rows of one trained user's training history (what HistoryPooling pooled)."""
    layer = model.get_layer(USER_HISTORY)
    indptr, items = layer.row_splits.numpy(), layer.items.numpy()
    return items[indptr[row]:indptr[row + 1]].astype(np.int64)


def _export_of(anime_ids: np.ndarray) -> MalExport:
    n = len(anime_ids)
    return MalExport(ListRows(anime_ids.astype(np.int64), np.full(n, 8, np.int8), np.full(n, COMPLETED, np.int8)),
                     n, 0)


def test_an_import_of_a_trained_users_training_list_is_that_user(trained):
    """Same user vector, same model-only ranking; only the blend's per-path weights may differ."""
    _cfg, result = trained
    model = keras.saving.load_model(result.run_dir / "model.keras", compile=False)
    rec = Recommender.load(result.run_dir)
    assert rec.m.tower.user_scale is not None  # the run's own tower, not the fallback
    row = 7
    history = _training_list(model, row)
    export = _export_of(rec.m.anime_ids[history])
    taste, _ = read_list(export.rows, rec.catalog)
    user = list_vector(rec.m.tower, rec.catalog.model_row, taste)
    np.testing.assert_allclose(user, rec.m.user_factors[row], atol=1e-5)
    user_id = int(rec.m.user_ids[row])
    on_list_not_trained = np.setdiff1d(rec.m.history.items(row)[0], history)
    same = Filters(include_adult=True, group_franchises=False,
                   exclude=tuple(rec.m.anime_ids[on_list_not_trained].tolist()))
    page = rec.recommend(user_id, 20, same, mode="model").results
    imported = rec.recommend_import(export, 20, same, mode="model").recs.results
    assert [r.anime.anime_id for r in imported] == [r.anime.anime_id for r in page]
    np.testing.assert_allclose([r.score for r in imported], [r.score for r in page], atol=1e-5)


def test_reasons_name_list_entries_whose_parts_sum_to_the_model_score(trained):
    _cfg, result = trained
    rec = Recommender.load(result.run_dir)
    user_id = int(rec.m.user_ids[3])
    results = rec.recommend(user_id, 5, Filters(include_adult=True), mode="model").results
    on_list = set(rec.m.anime_ids[rec.m.history.items(3)[0]].tolist())
    for r in results:
        assert 1 <= len(r.because) <= 3 and {b.anime_id for b in r.because} <= on_list
        shares = [b.share for b in r.because]
        assert shares == sorted(shares, reverse=True) and 0 < sum(shares) <= 1 + 1e-6
        assert r.because[0].title in r.explanation
    rows, weights = rec.m.history.items(3)[0].astype(np.int64), np.ones(len(rec.m.history.items(3)[0]))
    parts = rec.m.tower.contributions(rows, weights, rec.m.anime_factors)
    np.testing.assert_allclose(parts.sum(axis=0), rec.m.anime_factors @ rec.m.tower.vector(rows), atol=1e-4)


def _training_history(rec: Recommender, model) -> History:
    """The run's History cut to what training pooled: each user's list is their training list (with the
    ratings of their seen list), so a trained user and an import of that list are the same list."""
    layer = model.get_layer(USER_HISTORY)
    indptr, items = layer.row_splits.numpy(), layer.items.numpy()
    seen = rec.m.history.seen.tocsr()
    users = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    pooled = sparse.csr_matrix((np.ones(len(users)), (users, items[:indptr[-1]])), shape=seen.shape)
    cut = seen.multiply(pooled > 0).tocsr()
    cut.eliminate_zeros()
    return History(cut, loved_thresholds(cut))


def test_an_import_of_a_trained_users_list_gets_their_blended_page_under_the_same_weights(trained):
    """The blended pages differ only by their per-path weights: with the import's weights set to the page's,
    the import of a trained user's list (with their ratings) is their page, order and scores."""
    cfg, result = trained
    model = keras.saving.load_model(result.run_dir / "model.keras", compile=False)
    rec = Recommender.load(result.run_dir, dataclasses.replace(cfg.serving, import_weights=cfg.serving.hybrid_weights))
    rec.m.history = _training_history(rec, model)
    for row in (3, 7, 11):
        items, ratings = rec.m.history.items(row)
        export = MalExport(ListRows(rec.m.anime_ids[items].astype(np.int64), ratings.astype(np.int8),
                                    np.full(len(items), COMPLETED, np.int8)), len(items), 0)
        not_on_the_import = np.setdiff1d(rec.m.listed_ids(int(rec.m.user_ids[row])), rec.m.anime_ids[items])
        same = Filters(include_adult=True, group_franchises=False, exclude=tuple(not_on_the_import.tolist()))
        page = rec.recommend(int(rec.m.user_ids[row]), 20, same).results
        imported = rec.recommend_import(export, 20, same).recs.results
        assert [r.anime.anime_id for r in imported] == [r.anime.anime_id for r in page]
        np.testing.assert_allclose([r.score for r in imported], [r.score for r in page], atol=1e-5)
