"""Continue your franchises (issue #20): the next unwatched main entry of every started, undropped franchise."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from anime_recommender.data.franchise import EXTRA, MAIN, REEDIT, SIDE, build_franchises
from anime_recommender.data.ingest import load_catalog
from anime_recommender.data.report import DataReport
from anime_recommender.recommend import continuation
from anime_recommender.recommend.catalog import build_catalog
from anime_recommender.recommend.errors import UnknownUserError
from anime_recommender.recommend.franchise import Franchises
from anime_recommender.recommend.lists import COMPLETED, DROPPED, ON_HOLD, PLAN_TO_WATCH, WATCHING, ListRows
from tests.recommend import franchise_run, tiny_run

# (MAL id, title, franchise, order, role): a volleyball series with a recap and a re-edit between its seasons
SERIES = [(1, "Volley", 1, 0, MAIN), (2, "Volley Recap", 1, 1, EXTRA), (3, "Volley Kai", 1, 2, REEDIT),
          (4, "Volley 2", 1, 3, MAIN), (5, "Volley OVA", 1, 4, SIDE), (6, "Volley 3", 1, 5, MAIN),
          (10, "Robots", 10, 0, MAIN), (11, "Robots 2", 10, 1, MAIN),
          (20, "Lonely", 20, 0, MAIN)]


@pytest.fixture(scope="module")
def hand_made():
    frame = tiny_run._typed([{"anime_id": a, "name": t, "display_name": t, "genres": "Sports", "type": "TV",
                              "members": 10, "popularity": 0, "score": 7.0,
                              "episodes": 12, "year": 2000, "is_adult": False, "synopsis": ""} for a, t, *_ in SERIES])
    catalog = build_catalog(frame, np.zeros(0, np.int64))
    fr = Franchises.build(np.array([s[2] for s in SERIES]), np.array([s[3] for s in SERIES]),
                          np.array([s[4] for s in SERIES]), kind=np.array(["TV"] * len(SERIES), dtype=object))
    return fr, catalog


def _next(hand_made, *entries):
    fr, catalog = hand_made
    ids, scores, statuses = zip(*entries, strict=True)
    rows = ListRows(np.array(ids, np.int64), np.array(scores, np.int8), np.array(statuses, np.int8))
    return {e.franchise: e for e in continuation.continue_franchises(fr, catalog, rows)}


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
    fr, catalog = hand_made
    rows = continuation.user_list(np.array([0, 3]), np.array([9, 0]), np.array([1, 2, 3, 4]), outside=None)
    found = continuation.continue_franchises(fr, catalog, rows)
    assert [e.next.anime_id for e in found] == [6]  # Volley 2 (unscored, status unknown) is on the list


def test_a_dataset_fan_sees_the_next_dragon_ball(franchise_artifacts):
    from anime_recommender import Recommender

    rec = Recommender.load(franchise_artifacts)
    found = continuation.for_user(rec, franchise_run.FAN_STARTED)
    assert [(e.franchise, e.next.title) for e in found] == [("Dragon Ball", "Dragon Ball Z")]
    assert found[0].remaining == 4  # Z, its first movie, GT, Super: the special is not a main entry
    assert continuation.for_user(rec, franchise_run.FAN_NEW) == []
    with pytest.raises(UnknownUserError):
        continuation.for_user(rec, 999_999)


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
        found = continuation.continue_franchises(fr, catalog, rows, include_adult=True)
        haikyu = [e for e in found if e.franchise == "Haikyu!!"]
        assert [e.next.anime_id for e in haikyu] == [28891], (user, [(e.franchise, e.next.title) for e in found])
        roles = table.set_index("anime_id").franchise_role
        assert all(roles[e.next.anime_id] == MAIN for e in found)
