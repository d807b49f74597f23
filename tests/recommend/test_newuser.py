"""A new user from liked / disliked anime or genres: the model's user tower, no retraining."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import sparse

from anime_recommender import UnknownAnimeError
from anime_recommender.config import ServingConfig
from anime_recommender.recommend.engine import picks_strength
from anime_recommender.recommend.errors import RecommenderError
from anime_recommender.recommend.filters import Filters
from anime_recommender.recommend.tower import UserTower
from anime_recommender.recommend.users import History, loved_thresholds


def _ids(result):
    return [r.anime.anime_id for r in result.results]


def test_liked_odd_anime_give_odd_recommendations(rec):
    result = rec.recommend_new_user(liked=[101, 103], n=5)
    assert result.mode == "model"
    assert all(a % 2 == 1 for a in _ids(result)) and not {101, 103} & set(_ids(result))


def test_disliked_are_never_recommended(rec):
    assert 139 not in _ids(rec.recommend_new_user(liked=[101], disliked=[139], n=30))


def test_genres_only(rec):
    result = rec.recommend_new_user(genres=["Drama"], n=5)
    assert result.mode == "genres"
    assert all("Drama" in r.anime.genres for r in result.results)
    assert "matches the genres you picked" in result.results[0].explanation


def test_liked_anime_the_model_never_saw_use_tfidf(rec):
    result = rec.recommend_new_user(liked=[900], n=5)
    assert result.mode == "tfidf" and "synopsis" in result.note
    assert result.results and 900 not in _ids(result)


def test_nothing_named_is_an_error(rec):
    with pytest.raises(RecommenderError, match="at least one"):
        rec.recommend_new_user()


def test_the_cap_on_named_anime_is_the_configured_one(rec):
    """serving.max_list_values as configured (not the shipped default) bounds the picks."""
    shipped = rec.cfg
    rec.cfg = dataclasses.replace(shipped, max_list_values=2, max_titles=2)
    try:
        with pytest.raises(RecommenderError, match="at most 2 liked or disliked anime"):
            rec.recommend_new_user(liked=[101, 103, 105])
        assert rec.recommend_new_user(liked=[101, 103], n=3).results
    finally:
        rec.cfg = shipped


def test_unknown_anime_and_genre_are_errors(rec):
    with pytest.raises(UnknownAnimeError):
        rec.recommend_new_user(liked=[5])
    with pytest.raises(RecommenderError, match="unknown genre"):
        rec.recommend_new_user(genres=["Cooking"])


def test_a_list_pools_what_was_watched_and_leaves_plan_to_watch_out():
    factors = np.eye(4, dtype=np.float32).repeat(5, axis=0)
    tower = UserTower(factors, 1.0)
    user = tower.list_vectors(np.array([0, 3]), np.array([0, 1, 6]), np.array([9, 0, 0]),
                              statuses=np.array([2, 1, 6]))[0]
    np.testing.assert_allclose(user, [1, 0, 0, 0], atol=1e-6)
    assert np.argmax(factors @ user) < 5


def test_loved_threshold_is_the_75th_percentile():
    ratings = [[10, 9, 8, 7, 6, 2], [5, 5, 5], [0, 0], [1, 10]]
    indptr = np.cumsum([0] + [len(r) for r in ratings])
    data = np.concatenate(ratings).astype(np.int8)
    seen = sparse.csr_matrix((data, np.arange(len(data)), indptr), shape=(4, len(data)))
    assert list(loved_thresholds(seen)) == [9, 5, 0, 10]
    assert list(History(seen, loved_thresholds(seen)).loved(0)[0]) == [0, 1]


def test_each_step_works_on_the_arrays_it_is_handed_without_an_engine(tiny_artifacts):
    """list → user vector → scores → filters and franchise rules → records, each on the arrays it is handed."""
    from anime_recommender.artifacts import load_run
    from anime_recommender.recommend import content, hybrid, lists, records, sources, vectors
    from anime_recommender.recommend.arrays import load_arrays
    from anime_recommender.recommend.catalog import build_catalog
    from anime_recommender.recommend.filters import Filters, Request

    run = load_run(tiny_artifacts)
    arrays = load_arrays(run)
    catalog = build_catalog(run.frame("catalog"), arrays.anime_ids)
    text = content.TextSimilarity(catalog)
    popular = sources.popularity_scores(catalog.score[catalog.cat_row], arrays.popularity)
    taste = lists.picks_taste(catalog, [101, 103], [], genres=[], max_picks=ServingConfig.max_list_values)
    user = vectors.of_list(arrays.tower, catalog.model_row, taste)
    tables = sources.ScoreTables(factors=arrays.anime_factors, bias=arrays.anime_bias,
                                 embeddings=arrays.anime_embeddings, embeddings_t=arrays.anime_embeddings_t,
                                 popular=popular, text=text, genres_weight=ServingConfig.genres_weight,
                                 popular_without_model=ServingConfig.popular_without_model)
    scored = sources.for_list(tables, catalog, taste, user=user, path_weights={"model": 0.7, "content": 0.3})
    shelf = hybrid.Shelf(catalog=catalog, franchises=None, popular=popular,
                         discount_basis=np.log1p(arrays.popularity).astype(np.float32))
    ranked = hybrid.rank(shelf, scored, Request(Filters(), 5, taste.exclude), fallback=False)
    evidence = records.Evidence(catalog=catalog, anime_ids=arrays.anime_ids, embeddings=arrays.anime_embeddings,
                                factors=arrays.anime_factors, tower=arrays.tower)
    result = records.new_user(evidence, records.Found(user, scored, ranked, taste))
    assert result.mode == "model" and all(r.anime.anime_id % 2 == 1 for r in result.results)
    method, rows, _ = content.similar_rows(catalog, arrays.anime_embeddings, text, row=catalog.require(100),
                                           request=Request(Filters(), 1))
    assert method == "embeddings" and catalog.anime_id[rows[0]] == 102


def test_picks_take_their_own_popularity_discount_unless_the_request_sets_one(rec):
    saved = rec.cfg
    try:
        rec.cfg = dataclasses.replace(saved, popularity_discount=0.0, picks_popularity_discount=2.0)
        by_default = _ids(rec.recommend_new_user(liked=[101], n=10))
        assert by_default == _ids(rec.recommend_new_user(liked=[101], n=10, filters=Filters(popularity_discount=2.0)))
        assert by_default != _ids(rec.recommend_new_user(liked=[101], n=10, filters=Filters(popularity_discount=0.0)))
    finally:
        rec.cfg = saved


def test_a_weaker_picks_vector_leans_on_each_anime_s_own_bias(rec):
    saved = rec.cfg
    try:
        rec.cfg = dataclasses.replace(saved, picks_weights={"model": 1.0}, picks_strength=1.0)
        strong = _ids(rec.recommend_new_user(liked=[101], n=5))
        rec.cfg = dataclasses.replace(saved, picks_weights={"model": 1.0}, picks_strength=0.001)
        weak = _ids(rec.recommend_new_user(liked=[101], n=5))
    finally:
        rec.cfg = saved
    assert all(a % 2 == 1 for a in strong)  # the odd pick's vector decides
    assert any(a % 2 == 0 for a in weak)    # the bias (0.01 per row) decides: even anime come in


def test_the_picks_strength_grows_with_the_titles_named_up_to_one():
    cfg = dataclasses.replace(ServingConfig(), picks_strength=0.1, picks_strength_per_title=0.05)
    assert [round(picks_strength(cfg, n), 6) for n in (1, 3, 10, 18, 40)] == [0.15, 0.25, 0.6, 1.0, 1.0]
    assert picks_strength(dataclasses.replace(cfg, picks_strength_per_title=0.0), 40) == 0.1  # constant


def test_named_titles_strengthen_the_picks_vector_on_the_served_path(rec):
    saved = rec.cfg
    try:
        rec.cfg = dataclasses.replace(saved, picks_weights={"model": 1.0}, picks_strength=0.001,
                                      picks_strength_per_title=0.0)
        weak = _ids(rec.recommend_new_user(liked=[101], n=5))
        rec.cfg = dataclasses.replace(rec.cfg, picks_strength_per_title=0.999)  # one title: strength 1
        grown = _ids(rec.recommend_new_user(liked=[101], n=5))
        rec.cfg = dataclasses.replace(saved, picks_weights={"model": 1.0}, picks_strength=1.0)
        strong = _ids(rec.recommend_new_user(liked=[101], n=5))
    finally:
        rec.cfg = saved
    assert grown == strong != weak
