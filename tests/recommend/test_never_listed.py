"""Nothing on a viewer's list ever comes back (issue #16), checked on the real slice against the raw files.

One small model is trained once on ../shared/data/anime-2020/kaggle-layout; every user of the data (trained
or left out of training), every mode, n=100, grouped and ungrouped, then imported lists and picks, must get
0 titles that are on their lists in rating_complete.csv or animelist.csv (any status, any catalog anime).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from anime_recommender.config import Config
from anime_recommender.pipeline.run import run_training
from anime_recommender.recommend.engine import MODES, Filters, Recommender
from anime_recommender.recommend.lists import PLAN_TO_WATCH, ListReading, ListRows
from anime_recommender.recommend.mal_export import MalExport

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def real_lists(real_anime_dir) -> pd.DataFrame:
    """Every list row of both raw files (user_id, anime_id, status; rating_complete rows as Completed)."""
    rated = pd.read_csv(real_anime_dir / "rating_complete_prefix.csv").assign(status=2)
    listed = pd.read_csv(real_anime_dir / "animelist_prefix.csv").rename(columns={"watching_status": "status"})
    return pd.concat([rated[["user_id", "anime_id", "status"]], listed[["user_id", "anime_id", "status"]]])


@pytest.fixture(scope="module")
def real_engine(real_anime_dir, tmp_path_factory) -> Recommender:
    """A small final model (no held-out split) trained once on the real slice."""
    root = tmp_path_factory.mktemp("real-run")
    cfg = (Config().replace("paths", data_dir=real_anime_dir / "kaggle-layout", artifacts_dir=root)
           .replace("processing", holdout_fraction=0.0)
           .replace("model", embedding_dim=16).replace("training", epochs=2, validation_users=200))
    run_training(cfg, verbose=0)
    return Recommender.load(root)


def _listed(lists: pd.DataFrame) -> dict[int, set[int]]:
    return {int(u): set(g["anime_id"].tolist()) for u, g in lists.groupby("user_id")}


def _shown(results) -> set[int]:
    return {r.anime.anime_id for r in results}


def test_the_run_stores_list_titles_the_model_never_saw(real_engine, real_lists):
    model = set(real_engine.m.anime_ids.tolist())
    beyond = real_lists[real_lists["user_id"].isin(real_engine.m.user_ids) & ~real_lists["anime_id"].isin(model)]
    assert len(beyond) > 0  # One Piece on a list that is still airing, for one
    for user, rows in beyond.groupby("user_id"):
        assert set(rows["anime_id"]) <= set(real_engine.m.listed_ids(int(user)).tolist())


@pytest.mark.parametrize("grouped", [True, False], ids=["grouped", "ungrouped"])
@pytest.mark.parametrize("mode", MODES)
def test_no_user_gets_a_title_from_their_lists(real_engine, real_lists, mode, grouped):
    filters = Filters(group_franchises=grouped)
    back = {}
    for user, listed in _listed(real_lists).items():
        found = _shown(real_engine.recommend(user, n=100, filters=filters, mode=mode).results) & listed
        if found:
            back[user] = sorted(found)
    assert back == {}


def _export(rows: pd.DataFrame) -> MalExport:
    rows = rows.drop_duplicates("anime_id")
    return MalExport(ListRows(rows["anime_id"].to_numpy(np.int64), np.zeros(len(rows), np.int8),
                              rows["status"].to_numpy(np.int8)), len(rows), 0)


@pytest.mark.parametrize("grouped", [True, False], ids=["grouped", "ungrouped"])
def test_an_imported_list_never_comes_back(real_engine, real_lists, grouped):
    """Every animelist user's whole list imported; Plan to Watch comes back only when asked for."""
    lists = real_lists[real_lists["user_id"] < 17]
    for _, rows in lists.groupby("user_id"):
        export, planned = _export(rows), set(rows.loc[rows["status"] == PLAN_TO_WATCH, "anime_id"])
        for include_planned in (False, True):
            found = real_engine.recommend_import(export, n=100, filters=Filters(group_franchises=grouped),
                                                 reading=ListReading(include_planned=include_planned))
            allowed = planned if include_planned else set()
            assert _shown(found.recs.results) & set(rows["anime_id"]) <= allowed


def test_picks_and_titles_marked_seen_never_come_back(real_engine, real_lists):
    rows = real_lists[real_lists["user_id"] == 0]
    liked = rows["anime_id"].drop_duplicates().tolist()[:20]
    first = real_engine.recommend_new_user(liked=liked, n=30).results
    marked = tuple(r.anime.anime_id for r in first[:10])
    again = real_engine.recommend_new_user(liked=liked, n=30, filters=Filters(seen=marked)).results
    assert not _shown(first) & set(liked)
    assert not _shown(again) & (set(liked) | set(marked))
    assert len(again) == 30  # the list refills
