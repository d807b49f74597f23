"""Every list of the engine follows the franchise rules, on the tiny run plus real Dragon Ball titles
(tests/recommend/franchise_run.py): ungrouped, a fan's list opens with six Dragon Ball entries."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from anime_recommender import Recommender
from anime_recommender.artifacts import ArtifactIntegrityError, RunWriter
from anime_recommender.config import ServingConfig
from anime_recommender.recommend.filters import Filters
from tests.recommend import tiny_run
from tests.recommend.franchise_run import DB_IDS, DB_SPECIAL, FAN_NEW, FAN_STARTED, YU_YU_HAKUSHO

DRAGON_BALL, DRAGON_BALL_Z = 223, 813


@pytest.fixture(scope="module")
def rec(franchise_artifacts) -> Recommender:
    # picks at full strength whatever serving.picks_strength says: the tiny run's biases are hand-set (0.01 a
    # row), not learned with the vectors, and a weaker picks vector would let them outvote the picks here
    return Recommender.load(franchise_artifacts, dataclasses.replace(ServingConfig(), picks_strength=1.0))


def dragon_ball(results) -> list:
    return [r for r in results if r.anime.anime_id in DB_IDS]


def test_ungrouped_the_fan_gets_a_wall_of_one_franchise(rec):
    results = rec.recommend(FAN_NEW, 10, Filters(group_franchises=False)).results
    assert len(dragon_ball(results)) == 6 and results[0].anime.anime_id != DRAGON_BALL


def test_a_franchise_not_started_is_shown_once_by_its_first_season(rec):
    (entry,) = dragon_ball(rec.recommend(FAN_NEW, 10).results)
    assert entry.anime.anime_id == DRAGON_BALL and entry.series_note == "where its series starts"
    assert entry.more_in_series == 4  # Z, the movie, GT, Super; not the special


def test_a_started_franchise_is_shown_by_its_next_unseen_main_entry(rec):
    results = rec.recommend(FAN_STARTED, 10).results
    (entry,) = dragon_ball(results)
    assert entry.anime.anime_id == DRAGON_BALL_Z and entry.series_note == "next in a series you have started"
    assert DRAGON_BALL not in {r.anime.anime_id for r in results}  # on the list: never shown


@pytest.mark.parametrize("mode", ["model", "content", "popular"])
def test_every_mode_is_grouped(rec, mode):
    assert len(dragon_ball(rec.recommend(FAN_NEW, 20, mode=mode).results)) <= 1


def test_extras_only_when_the_type_filter_asks_for_them(rec):
    assert DB_SPECIAL not in {r.anime.anime_id for r in rec.recommend(FAN_NEW, 40).results}
    asked = rec.recommend(FAN_NEW, 5, Filters(types=("Special",))).results
    assert [r.anime.anime_id for r in asked] == [DB_SPECIAL]


def test_filters_hold_for_the_entry_shown(rec):
    # from 1990 on, the first season (1986) may not be shown, and neither may a later one in its place
    assert not dragon_ball(rec.recommend(FAN_NEW, 10, Filters(year_min=1990)).results)
    assert not dragon_ball(rec.recommend(FAN_STARTED, 10, Filters(year_min=1990)).results)
    assert not dragon_ball(rec.recommend(FAN_NEW, 10, Filters(genres=("Romance",))).results)


def test_a_new_user_who_liked_the_first_season_gets_the_next(rec):
    results = rec.recommend_new_user([DRAGON_BALL], n=5).results
    assert [r.anime.anime_id for r in dragon_ball(results)] == [DRAGON_BALL_Z]


def test_more_like_this_shows_other_franchises_by_their_entry_point(rec):
    similar = rec.similar_anime(YU_YU_HAKUSHO, 5)
    assert [r.anime.anime_id for r in dragon_ball(similar.results)] == [DRAGON_BALL]
    assert similar.results[0].anime.anime_id == DRAGON_BALL  # Super was the nearest: its series stands there


def test_an_anime_page_lists_its_own_series_apart_in_airing_order(rec):
    similar = rec.similar_anime(894, 10)
    assert not dragon_ball(similar.results)
    assert [a.anime_id for a in similar.series] == [223, 813, 894, 986, 225, 30694]
    assert [s["current"] for s in similar.to_dict()["series"]] == [False, False, True, False, False, False]


def test_the_json_says_how_many_more_and_why(rec):
    body = rec.recommend(FAN_NEW, 3).to_dict()["results"][0]
    assert (body["anime_id"], body["more_in_series"], body["series_note"]) == \
        (DRAGON_BALL, 4, "where its series starts")


def test_a_run_published_before_franchises_existed_is_grouped_at_load(tmp_path, caplog):
    with RunWriter(tmp_path) as writer:
        for name, array in tiny_run._arrays().items():
            writer.save_array(name, array)
        writer.save_frame("catalog", tiny_run.catalog_frame())
        writer.publish({"config": {}})
    rec = Recommender.load(tmp_path)
    assert "has no franchises.parquet" in caplog.text
    assert rec.franchises.group[rec.catalog.row(tiny_run.anime_id(0))] == \
        rec.franchises.group[rec.catalog.row(tiny_run.anime_id(2))]  # 'Series 00' and 'Series 02' read as one


def test_a_franchises_table_that_misses_anime_is_refused(tmp_path):
    catalog = tiny_run.catalog_frame()
    with RunWriter(tmp_path) as writer:
        for name, array in tiny_run._arrays().items():
            writer.save_array(name, array)
        writer.save_frame("catalog", catalog)
        writer.save_frame("franchises", tiny_run.singleton_franchises(catalog).iloc[:-1])
        writer.publish({"config": {}})
    with pytest.raises(ArtifactIntegrityError, match="franchises.parquet has 42 rows for a catalog of 43"):
        Recommender.load(tmp_path)


def test_franchise_rows_line_up_with_the_catalog(rec):
    fr = rec.franchises
    assert len(fr.group) == len(rec.catalog.anime_id) and np.array_equal(np.sort(fr.members), np.arange(len(fr.group)))


def _import(rec, entries: list[tuple[int, int, str]], **kwargs):
    """Recommendations for an uploaded export of (MAL id, score, status) entries."""
    from anime_recommender.recommend.mal_export import read_export
    from tests.recommend.exports import limits

    body = "".join(f"<anime><series_animedb_id>{a}</series_animedb_id><my_score>{s}</my_score>"
                   f"<my_status>{st}</my_status></anime>" for a, s, st in entries)
    xml = f'<?xml version="1.0" encoding="UTF-8" ?><myanimelist><myinfo/>{body}</myanimelist>'.encode()
    return rec.recommend_import(read_export(xml, limits()), 10, **kwargs).recs.results


def test_an_imported_list_continues_the_series_it_has_started(rec):
    fan = [(DRAGON_BALL, 10, "Completed"), (tiny_run.anime_id(1), 0, "Plan to Watch"),
           (tiny_run.anime_id(3), 0, "Plan to Watch")]
    (entry,) = dragon_ball(_import(rec, fan))
    assert entry.anime.anime_id == DRAGON_BALL_Z and entry.series_note == "next in a series you have started"


def test_an_imported_list_that_plans_the_next_entry_is_not_shown_it(rec):
    fan = [(DRAGON_BALL, 10, "Completed"), (DRAGON_BALL_Z, 0, "Plan to Watch"), (tiny_run.anime_id(1), 3, "Completed")]
    assert DRAGON_BALL_Z not in {r.anime.anime_id for r in _import(rec, fan)}
