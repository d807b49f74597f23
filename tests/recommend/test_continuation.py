"""Continue your franchises (issue #20): the next unwatched main entry of every started, undropped franchise."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from anime_recommender.data.franchise import EXTRA, MAIN, REEDIT, SIDE, build_franchises
from anime_recommender.data.ingest import load_catalog
from anime_recommender.data.report import DataReport
from anime_recommender.recommend import continuation, records
from anime_recommender.recommend.catalog import build_catalog
from anime_recommender.recommend.errors import UnknownUserError
from anime_recommender.recommend.filters import Filters
from anime_recommender.recommend.franchise import Franchises
from anime_recommender.recommend.hybrid import Shelf
from anime_recommender.recommend.lists import COMPLETED, DROPPED, ON_HOLD, PLAN_TO_WATCH, WATCHING, ListRows
from tests.recommend import franchise_run, tiny_run

# (MAL id, title, franchise, order, role): a volleyball series with a recap and a re-edit between its seasons
SERIES = [(1, "Volley", 1, 0, MAIN), (2, "Volley Recap", 1, 1, EXTRA), (3, "Volley Kai", 1, 2, REEDIT),
          (4, "Volley 2", 1, 3, MAIN), (5, "Volley OVA", 1, 4, SIDE), (6, "Volley 3", 1, 5, MAIN),
          (10, "Robots", 10, 0, MAIN), (11, "Robots 2", 10, 1, MAIN),
          (20, "Lonely", 20, 0, MAIN)]


def _made(adult=()):
    """The hand-made catalog and its franchises as the engine's Shelf (MAL ids in `adult` adult titles)."""
    frame = tiny_run._typed([{"anime_id": a, "name": t, "display_name": t, "genres": "Sports", "type": "TV",
                              "members": 10, "popularity": 0, "score": 7.0,
                              "episodes": 12, "year": 2000, "is_adult": a in adult, "synopsis": ""}
                             for a, t, *_ in SERIES])
    catalog = build_catalog(frame, np.zeros(0, np.int64))
    fr = Franchises.build(np.array([s[2] for s in SERIES]), np.array([s[3] for s in SERIES]),
                          np.array([s[4] for s in SERIES]), kind=np.array(["TV"] * len(SERIES), dtype=object))
    return Shelf(catalog=catalog, franchises=fr, popular=np.zeros(0, np.float32),
                 discount_basis=np.zeros(0, np.float32))


@pytest.fixture(scope="module")
def hand_made():
    return _made()


def _list(*entries) -> ListRows:
    ids, scores, statuses = zip(*entries, strict=True) if entries else ((), (), ())
    return ListRows(np.array(ids, np.int64), np.array(scores, np.int8), np.array(statuses, np.int8))


def _next(shelf, *entries, filters=None):
    found = continuation.continue_franchises(shelf, _list(*entries), filters=filters or Filters())
    return {e.franchise: e for e in records.next_entries(shelf.catalog, found)}


def test_season_one_completed_gives_season_two_never_the_recap_or_re_edit(hand_made):
    found = _next(hand_made, (1, 9, COMPLETED))
    assert list(found) == ["Volley"]
    assert found["Volley"].next.anime_id == 4 and found["Volley"].remaining == 2 and found["Volley"].watched == 1


def test_next_goes_in_watch_order_past_what_was_watched(hand_made):
    found = _next(hand_made, (1, 8, COMPLETED), (4, 0, WATCHING), (10, 7, ON_HOLD))
    assert found["Volley"].next.anime_id == 6 and found["Volley"].remaining == 1
    assert found["Robots"].next.anime_id == 11
    assert list(found) == ["Volley", "Robots"]  # their favourite franchise first


def test_a_dropped_franchise_a_finished_one_and_one_only_planned_are_left_out(hand_made):
    assert _next(hand_made, (1, 9, COMPLETED), (5, 3, DROPPED)) == {}
    assert _next(hand_made, (10, 9, COMPLETED), (11, 9, COMPLETED), (20, 8, COMPLETED)) == {}
    assert _next(hand_made, (1, 0, PLAN_TO_WATCH)) == {}


def test_a_planned_next_entry_is_still_next_and_says_so(hand_made):
    entry = _next(hand_made, (1, 9, COMPLETED), (4, 0, PLAN_TO_WATCH))["Volley"]
    assert entry.next.anime_id == 4 and entry.planned and entry.to_dict()["planned"] is True


def test_a_trained_users_unscored_row_is_neither_watched_nor_next(hand_made):
    rows = continuation.user_list(np.array([0, 3]), np.array([9, 0]), np.array([1, 2, 3, 4]), outside=None)
    found = continuation.continue_franchises(hand_made, rows, filters=Filters())
    assert [hand_made.catalog.anime_id[e.row] for e in found] == [6]  # Volley 2 (unscored, status unknown) is listed


def test_a_next_entry_marked_seen_it_is_watched_so_the_one_after_it_is_next(hand_made):
    entry = _next(hand_made, (1, 9, COMPLETED), filters=Filters(seen=(4,)))["Volley"]
    assert (entry.next.anime_id, entry.watched, entry.remaining) == (6, 2, 1)
    planned = _next(hand_made, (1, 9, COMPLETED), (4, 0, PLAN_TO_WATCH), filters=Filters(seen=(4,)))["Volley"]
    assert planned.next.anime_id == 6 and not planned.planned
    assert _next(hand_made, (1, 9, COMPLETED), filters=Filters(seen=(4, 6))) == {}  # all seen: nothing left


def test_seen_it_starts_a_franchise_but_never_undoes_a_drop(hand_made):
    assert [(e.next.anime_id, e.watched) for e in _next(hand_made, filters=Filters(seen=(10,))).values()] == [(11, 1)]
    assert _next(hand_made, (1, 9, COMPLETED), (4, 0, DROPPED), filters=Filters(seen=(4,))) == {}


def test_not_interested_in_the_next_entry_leaves_its_franchise_out(hand_made):
    watched = ((1, 9, COMPLETED), (10, 7, COMPLETED))
    assert list(_next(hand_made, *watched, filters=Filters(exclude=(4,)))) == ["Robots"]
    assert list(_next(hand_made, *watched, filters=Filters(exclude=(6, 1)))) == ["Volley", "Robots"]  # not next


def test_genre_type_year_and_score_filters_never_hide_a_next_entry(hand_made):
    narrow = Filters(genres=("Comedy",), types=("Movie",), year_min=2010, year_max=2020, min_score=9.5,
                     group_franchises=False)
    assert _next(hand_made, (1, 9, COMPLETED), filters=narrow)["Volley"].next.anime_id == 4


def test_an_adult_next_entry_only_when_adult_titles_are_asked_for():
    shelf = _made(adult=(4,))
    assert _next(shelf, (1, 9, COMPLETED)) == {}
    assert _next(shelf, (1, 9, COMPLETED), filters=Filters(include_adult=True))["Volley"].next.anime_id == 4


def test_a_dataset_fan_sees_the_next_dragon_ball(franchise_artifacts):
    from anime_recommender import Recommender

    rec = Recommender.load(franchise_artifacts)
    found = rec.continue_for_user(franchise_run.FAN_STARTED)
    assert [(e.franchise, e.next.title) for e in found] == [("Dragon Ball", "Dragon Ball Z")]
    assert found[0].remaining == 4  # Z, its first movie, GT, Super: the special is not a main entry
    assert rec.continue_for_user(franchise_run.FAN_NEW) == []
    with pytest.raises(UnknownUserError):
        rec.continue_for_user(999_999)


def test_a_dataset_fans_seen_it_and_not_interested_reach_the_engine(franchise_artifacts):
    """The viewer's marks from the recommendations (Filters.seen / exclude) act on the continue list too."""
    from anime_recommender import Recommender

    rec = Recommender.load(franchise_artifacts)
    fan = franchise_run.FAN_STARTED
    assert [e.next.title for e in rec.continue_for_user(fan, Filters(seen=(813,)))] == ["Dragon Ball Z:Dead Zone"]
    assert rec.continue_for_user(fan, Filters(exclude=(813,))) == []
    assert [e.next.title for e in rec.continue_for_user(fan, Filters(genres=("Romance",), year_min=2010))] == [
        "Dragon Ball Z"]


@pytest.mark.realdata
def test_real_slice_haikyu_season_one_leads_to_season_two(real_anime_dir):
    frame = load_catalog(real_anime_dir / "kaggle-layout", DataReport())
    catalog = build_catalog(frame, np.zeros(0, np.int64))
    table = build_franchises(frame)
    fr = Franchises.from_frame(table, catalog.anime_id, catalog.type)
    ratings = pd.read_csv(real_anime_dir / "rating_complete_prefix.csv")
    fans = set(ratings.user_id[ratings.anime_id == 20583]) - set(ratings.user_id[ratings.anime_id == 28891])
    assert fans, "the slice has users who completed Haikyu!! and not its second season"
    for user in sorted(fans)[:5]:
        own = ratings[ratings.user_id == user]
        rows = ListRows(own.anime_id.to_numpy(np.int64), own.rating.to_numpy(np.int8),
                        np.full(len(own), COMPLETED, np.int8))
        shelf = Shelf(catalog=catalog, franchises=fr, popular=np.zeros(0),
                      discount_basis=np.zeros(0))
        found = records.next_entries(catalog, continuation.continue_franchises(shelf, rows,
                                                                               filters=Filters(include_adult=True)))
        haikyu = [e for e in found if e.franchise == "Haikyu!!"]
        assert [e.next.anime_id for e in haikyu] == [28891], (user, [(e.franchise, e.next.title) for e in found])
        roles = table.set_index("anime_id").franchise_role
        assert all(roles[e.next.anime_id] == MAIN for e in found)
