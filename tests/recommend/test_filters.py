"""Filters as masks, and the top-k helper against a brute-force sort."""
from __future__ import annotations

import numpy as np
import pytest

from anime_recommender.recommend.filters import Filters, catalog_mask, top_k
from tests.recommend.tiny_run import user_id

EVEN_USER = user_id(0)


def _results(rec, **filters):
    return rec.recommend(EVEN_USER, n=50, filters=Filters(**filters)).results


def test_genre_filter_keeps_only_that_genre(rec):
    results = _results(rec, genres=("Drama",))
    assert results and all("Drama" in r.anime.genres for r in results)


def test_type_filter(rec):
    results = _results(rec, types=("Movie",))
    assert results and all(r.anime.type == "Movie" for r in results)


def test_year_range(rec):
    results = _results(rec, year_min=2000, year_max=2005)
    assert results and all(2000 <= r.anime.year <= 2005 for r in results)


def test_min_score(rec):
    results = _results(rec, min_score=8.0)
    assert results and all(r.anime.mal_score >= 8.0 for r in results)


def test_filters_that_match_nothing_give_an_empty_list(rec):
    assert _results(rec, genres=("Action",), year_min=2090) == []


def test_unknown_genre_matches_nothing(rec):
    assert not catalog_mask(rec.catalog, Filters(genres=("No Such Genre",))).any()


@pytest.mark.parametrize("kwargs", [{"min_score": 11.0}, {"min_score": float("nan")},
                                    {"year_min": 2010, "year_max": 2000}])
def test_invalid_filters_are_value_errors(kwargs):
    with pytest.raises(ValueError):
        Filters(**kwargs)


def test_adult_hidden_by_default(rec):
    mask = catalog_mask(rec.catalog, Filters())
    assert not (mask & rec.catalog.is_adult).any()
    assert catalog_mask(rec.catalog, Filters(include_adult=True))[rec.catalog.is_adult].all()


@pytest.mark.parametrize("k", [1, 5, 37, 500])
def test_top_k_matches_a_full_sort(k):
    rng = np.random.default_rng(k)
    scores = rng.normal(size=300).astype(np.float32)
    mask = rng.random(300) > 0.3
    expected = [i for i in np.argsort(-scores, kind="stable") if mask[i]][:k]
    assert list(top_k(scores, mask, k)) == expected


def test_dropped_reads_as_a_dislike_unless_the_viewer_switches_it_off():
    import numpy as np

    from anime_recommender.recommend.lists import COMPLETED, DROPPED, like_weights

    scores, statuses = np.array([0, 8, 2, 9], np.int8), np.array([DROPPED, DROPPED, DROPPED, COMPLETED], np.int8)
    assert like_weights(scores, statuses).tolist()[:3] == [-1.0, -1.0, -1.0]
    off = like_weights(scores, statuses, dropped_dislikes=False).tolist()
    assert off[0] == 0.0 and off[1] == pytest.approx(4 / 6) and off[2] == -1.0 and off[3] == pytest.approx(5 / 6)
