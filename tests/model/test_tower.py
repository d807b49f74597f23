"""The numpy user tower pools a list exactly as the trained Keras model pools a user's history."""
from __future__ import annotations

import keras
import numpy as np

from anime_recommender.model.export import extract_factors
from anime_recommender.model.ncf import USER_HISTORY
from anime_recommender.recommend.tower import UserTower


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
