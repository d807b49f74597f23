"""The engine on the tiny run, where the right answers are known."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from anime_recommender import Recommender, UnknownAnimeError, UnknownUserError
from anime_recommender.artifacts import ArtifactIntegrityError, ArtifactsNotFound
from anime_recommender.recommend.filters import Filters
from tests.recommend.tiny_run import ADULT_ROW, FEW_HISTORY_USER, anime_id, seen_lists, user_id

EVEN_USER, ODD_USER = user_id(0), user_id(1)


def _parity(anime: int) -> int:
    return (anime - anime_id(0)) % 2



def test_model_ranking_top1_is_known(rec):
    # bias grows with the row, the adult row 38 is hidden: the best even anime is row 36
    assert rec.recommend_for_user(EVEN_USER, n=1)[0][0] == anime_id(36)
    assert rec.recommend_for_user(ODD_USER, n=1)[0][0] == anime_id(39)


def test_model_ranking_is_sorted_and_single_parity(rec):
    result = rec.recommend_for_user(EVEN_USER, n=10)
    scores = [s for _, s in result]
    assert scores == sorted(scores, reverse=True)
    assert {_parity(a) for a, _ in result} == {0}


def test_seen_anime_are_excluded(rec):
    seen = {anime_id(a) for a in seen_lists()[0][0]}
    everything = rec.recommend_for_user(EVEN_USER, n=100)
    assert not seen & {a for a, _ in everything}
    assert seen <= {a for a, _ in rec.recommend_for_user(EVEN_USER, n=100, exclude_seen=False)}


def test_unknown_user_raises_a_helpful_error(rec):
    with pytest.raises(UnknownUserError, match="is not in our data"):
        rec.recommend_for_user(999_999)
    with pytest.raises(UnknownUserError):
        rec.recommend(2**70)


@pytest.mark.parametrize("n", [0, -1, 101, 10**9, 2.5, "5", True])
def test_n_out_of_range_is_a_value_error(rec, n):
    with pytest.raises(ValueError, match="n must be"):
        rec.recommend_for_user(EVEN_USER, n=n)


@pytest.mark.parametrize("mode", ["hybrid", "model", "users", "content", "popular"])
def test_every_mode_excludes_seen_hides_adult_and_explains(rec, mode):
    result = rec.recommend(EVEN_USER, n=30, mode=mode)
    ids = [r.anime.anime_id for r in result.results]
    assert ids and len(ids) == len(set(ids))
    assert not set(ids) & {anime_id(a) for a in seen_lists()[0][0]}
    assert anime_id(ADULT_ROW) not in ids
    assert all(r.explanation for r in result.results)


@pytest.mark.parametrize("mode", ["hybrid", "model", "users", "content"])
def test_personal_modes_follow_the_checkerboard(rec, mode):
    top = rec.recommend(EVEN_USER, n=5, mode=mode).results
    assert {_parity(r.anime.anime_id) for r in top} == {0}


def test_adult_titles_only_when_asked(rec):
    result = rec.recommend(EVEN_USER, n=5, filters=Filters(include_adult=True), mode="model")
    ids = [r.anime.anime_id for r in result.results]
    assert anime_id(ADULT_ROW) in ids


def test_hybrid_explanations_name_the_reason(rec):
    reasons = " ".join(r.explanation for r in rec.recommend(EVEN_USER, n=20).results)
    assert "because you liked" in reasons or "users like you" in reasons or "on your list" in reasons


def test_content_mode_says_which_favourite(rec):
    first = rec.recommend(EVEN_USER, n=1, mode="content").results[0]
    assert first.explanation.startswith("because you liked ")


def test_users_mode_counts_neighbours(rec):
    first = rec.recommend(EVEN_USER, n=1, mode="users").results[0]
    assert "similar users loved it" in first.explanation


def test_short_history_falls_back_to_popular(rec):
    result = rec.recommend(FEW_HISTORY_USER, n=5)
    assert result.mode == "popular" and "only 1 anime" in result.note
    assert all(r.source == "popular" for r in result.results)


def test_unknown_mode_is_rejected(rec):
    with pytest.raises(ValueError, match="mode must be one of"):
        rec.recommend(EVEN_USER, mode="magic")


def test_user_profile_genres_and_neighbours(rec):
    profile = rec.user_profile(EVEN_USER)
    assert {g for g, _ in profile.genres} == {"Action", "Shounen"}
    assert profile.n_seen == 6 and profile.n_rated == 6 and profile.loved_threshold == 9
    assert [u for u, _ in profile.similar_users[:3]] == [user_id(2), user_id(4), user_id(6)]


def test_similar_users_share_parity(rec):
    assert all((u - user_id(0)) % 2 == 1 for u, _ in rec.similar_users(ODD_USER, k=5))


def test_loaded_from_package_root():
    import anime_recommender

    assert anime_recommender.Recommender is Recommender


def test_tampered_run_is_refused(tiny_artifacts, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(tiny_artifacts, copy, symlinks=True)
    run = (copy / "current").resolve()
    factors = np.load(run / "anime_factors.npy")
    np.save(run / "anime_factors.npy", factors * 2)
    with pytest.raises(ArtifactIntegrityError):
        Recommender.load(copy)


def test_missing_run_is_reported(tmp_path):
    with pytest.raises(ArtifactsNotFound, match="make train"):
        Recommender.load(tmp_path)


def test_unknown_anime_raises(rec):
    with pytest.raises(UnknownAnimeError):
        rec.anime(123_456)
