"""The popularity discount's shapes (serving.popularity_shape): what β multiplies, and the pages it ranks."""
from __future__ import annotations

import dataclasses
import typing

import numpy as np
import pytest

from anime_recommender import Recommender
from anime_recommender.config import PopularityShape, ServingConfig
from anime_recommender.recommend import hybrid, sources
from anime_recommender.recommend.explain import Source
from anime_recommender.recommend.filters import Filters, Request
from anime_recommender.recommend.popularity import SHAPES, discount_basis

USERS = np.array([0, 1, 3, 10, 50, 100, 1000], np.float64)
BIAS = np.array([-0.5, 0.0, 0.2, 0.4, 0.1, 0.9, 1.5], np.float32)


def _loaded(artifacts, shape: str) -> Recommender:
    return Recommender.load(artifacts, dataclasses.replace(ServingConfig(), popularity_shape=shape))


def _model_rows(rec: Recommender, user_id: int, beta: float) -> np.ndarray:
    found = rec.recommend(user_id, 10, Filters(popularity_discount=beta), mode="model")
    row_of = {int(a): r for r, a in enumerate(rec.m.anime_ids)}
    return np.array([row_of[r.anime.anime_id] for r in found.results])


def test_every_configured_shape_has_its_function():
    assert set(SHAPES) == set(typing.get_args(PopularityShape))


def test_the_log_shape_is_ln_one_plus_users():
    assert np.allclose(discount_basis("log", users=USERS, bias=BIAS), np.log1p(USERS))


def test_the_percentile_shapes_lower_only_the_head():
    above = discount_basis("log_above_p90", users=USERS, bias=BIAS)
    assert np.all(above[:5] == 0) and above[-1] > 0 and np.all(np.diff(above) >= 0)


def test_the_linear_shape_meets_the_log_at_the_top():
    linear = discount_basis("linear", users=USERS, bias=BIAS)
    assert linear[-1] == pytest.approx(np.log1p(1000)) and linear[3] == pytest.approx(10 / 1000 * np.log1p(1000))


def test_the_bias_shape_is_the_models_own_bias():
    assert np.array_equal(discount_basis("bias", users=USERS, bias=BIAS), BIAS)


def test_an_unknown_shape_is_refused():
    with pytest.raises(ValueError, match="popularity shape"):
        discount_basis("cubic", users=USERS, bias=BIAS)


def test_the_engine_discounts_by_the_configured_shape(tiny_artifacts):
    rec = _loaded(tiny_artifacts, "bias")
    assert np.array_equal(rec.shelf.discount_basis, rec.m.anime_bias)
    assert np.allclose(_loaded(tiny_artifacts, "log").shelf.discount_basis, np.log1p(rec.m.popularity))


def test_the_bias_shape_at_one_leaves_taste_alone(tiny_artifacts):
    rec = _loaded(tiny_artifacts, "bias")
    taste = rec.m.anime_factors @ rec.m.user_factors[0]
    scores = {Source.MODEL: sources.model_scores(rec.m.anime_factors, rec.m.anime_bias, rec.m.user_factors[0])}
    out = hybrid.discounted(rec.shelf, scores, Request(Filters(popularity_discount=1.0), 10))
    assert np.allclose(out[Source.MODEL], taste, atol=1e-6) and not np.allclose(scores[Source.MODEL], taste)


def test_the_bias_shape_reorders_the_served_list(tiny_artifacts):
    rec = _loaded(tiny_artifacts, "bias")
    row = int(np.flatnonzero(rec.m.user_ids == 10)[0])
    taste, bias = rec.m.anime_factors @ rec.m.user_factors[row], rec.m.anime_bias
    plain, against = _model_rows(rec, 10, 0.0), _model_rows(rec, 10, 2.0)
    assert np.all(np.diff((taste + bias)[plain]) <= 0) and np.all(np.diff((taste - bias)[against]) <= 0)
    assert bias[against].mean() < bias[plain].mean()
