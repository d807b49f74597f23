"""A list read as taste (imports and left-out users alike), imported lists through the new-user path, and the
users training left out, served by fold-in."""
from __future__ import annotations

import numpy as np
import pytest

from anime_recommender import UnknownUserError
from anime_recommender.recommend.filters import Filters
from anime_recommender.recommend.lists import ListReading, ListRows, like_weights, read_list
from anime_recommender.recommend.mal_export import read_export
from tests.recommend.exports import NOT_IN_CATALOG, PLANNED, UNSEEN_BY_MODEL_LIKED, fixture_bytes, limits
from tests.recommend.tiny_run import LISTED_USERS

EVERYTHING = Filters(include_adult=True)


@pytest.mark.parametrize("score,status,meaning", [
    (10, 2, 1.0), (7, 2, 0.5), (5, 1, 1 / 6),        # a score weighs the like
    (4, 2, -1.0), (1, 2, -1.0), (0, 4, -1.0), (9, 4, -1.0),  # low score or Dropped: a dislike
    (0, 2, 1 / 3), (0, 1, 1 / 3),                    # unscored Completed / Watching: a mild like
    (0, 6, 0.0), (0, 3, 0.0), (0, 0, 0.0),           # Plan to Watch, unscored On-Hold, unknown: neither
])
def test_each_entry_means_what_a_fan_means(score, status, meaning):
    assert like_weights(np.array([score]), np.array([status]))[0] == pytest.approx(meaning)


def _export():
    return read_export(fixture_bytes(), limits())


def _ids(recs):
    return [r.anime.anime_id for r in recs.results]


def test_nothing_on_the_list_comes_back_whatever_its_status(rec):
    result = rec.recommend_import(_export(), n=100, filters=EVERYTHING)
    assert result.recs.results and not set(_ids(result.recs)) & set(_export().rows.anime_ids.tolist())


def test_include_planned_lets_plan_to_watch_back(rec):
    planned_back = ListReading(include_planned=True)
    ids = _ids(rec.recommend_import(_export(), n=100, filters=EVERYTHING, reading=planned_back).recs)
    assert set(PLANNED) <= set(ids) and not {106, 108, 101, 103, 118, 120} & set(ids)


def test_import_summary_counts(rec):
    summary = rec.recommend_import(_export(), n=5).imported
    assert summary.entries == 15 and summary.matched == 11 and summary.unknown_ids == NOT_IN_CATALOG
    assert summary.by_status["Plan to Watch"] == 3 and summary.skipped == 1


def test_imported_likes_steer_the_fold_in_and_the_chart(rec):
    result = rec.recommend_import(_export(), n=5)
    assert result.recs.mode == "model" and {r.anime.anime_id % 2 for r in result.recs.results} == {0}
    assert [a.anime_id for a in result.recs.disliked] == [101, 103]
    assert {g for g, _ in result.genres[:2]} == {"Action", "Shounen"}


def test_a_liked_entry_the_model_never_saw_still_shapes_the_content_side(rec):
    result = rec.recommend_import(_export(), n=30, filters=EVERYTHING)
    taste, _ = read_list(_export().rows, rec.catalog)
    assert rec.catalog.row(UNSEEN_BY_MODEL_LIKED) in taste.liked.tolist()
    assert all("text" in r.components for r in result.recs.results if r.components)
    assert any(r.components.get("text", 0) > 0 for r in result.recs.results)


def test_explanations_say_rated_highly_only_for_real_high_scores(rec):
    reasons = [r.explanation for r in rec.recommend_import(_export(), n=10).recs.results]
    assert any("because you liked" in r for r in reasons)
    picks = [r.explanation for r in rec.recommend_new_user(liked=[100, 102], n=10).results]
    assert picks and not any("rated" in r for r in picks) and any("because you liked" in r for r in picks)


def test_a_list_with_nothing_liked_gets_popular_titles_and_says_why(rec):
    rows = ListRows(np.array([100, 101]), np.array([0, 0], np.int8), np.array([6, 6], np.int8))
    export = type(_export())(rows, 2, 0)
    result = rec.recommend_import(export, n=5)
    assert result.recs.mode == "popular" and "reads as a like" in result.recs.note
    assert result.recs.results and not {100, 101} & set(_ids(result.recs))


def test_left_out_user_gets_fold_in_recommendations_not_a_404(rec):
    result = rec.recommend(5, n=100, filters=EVERYTHING)
    listed = {a for a, _, _ in LISTED_USERS[5]}
    assert result.mode == "model" and "too few ratings" in result.note
    assert result.results and not listed & set(_ids(result)) and rec.knows_user(5)
    assert {a % 2 for a in _ids(result)[:5]} == {1}  # they liked odd anime


def test_left_out_user_profile_counts_their_list(rec):
    profile = rec.user_profile(5)
    assert profile.n_seen == 4 and profile.n_rated == 2 and profile.similar_users == []
    assert {g for g, _ in profile.genres} == {"Drama", "Romance"}


def test_left_out_user_with_only_plans_gets_popular_without_their_plan(rec):
    result = rec.recommend(7, n=100, filters=EVERYTHING)
    assert result.mode == "popular" and 100 not in _ids(result) and result.results


def test_an_id_that_is_nowhere_is_unknown(rec):
    assert not rec.knows_user(6)
    with pytest.raises(UnknownUserError, match="import your MyAnimeList list"):
        rec.recommend(6)
    with pytest.raises(UnknownUserError):
        rec.user_profile(6)
