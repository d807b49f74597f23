"""End to end: trained on rating_complete.csv and animelist.csv covering different users, nobody gets back
anything on either list, and every user in the data gets recommendations (read from their list if left out)."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

from anime_recommender import Recommender, UnknownUserError
from anime_recommender.data import schema
from anime_recommender.pipeline.run import run_training
from anime_recommender.recommend.filters import Filters
from tests.data.test_seen import split_users
from tests.model.conftest import TINY, tiny_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def split_run(tiny_data_dir, tmp_path_factory):
    """The tiny sample with rating_complete.csv for users 0..532 and animelist.csv for 267..799, trained."""
    data_dir = tmp_path_factory.mktemp("split-data")
    for path in tiny_data_dir.iterdir():
        shutil.copy(path, data_dir / path.name)
    users = TINY["sample"]["users"]
    split_users(data_dir, range(0, users * 2 // 3), range(users // 3, users))
    cfg = tiny_config(data_dir, tmp_path_factory.mktemp("split-artifacts"), training={"epochs": 2})
    result = run_training(cfg, verbose=0)  # 2 epochs: the gate may fail, the run is still published
    lists = pd.concat([pd.read_csv(data_dir / schema.RATING_COMPLETE_FILE),
                       pd.read_csv(data_dir / schema.ANIMELIST_FILE)])
    return Recommender.load(result.run_dir), lists.groupby("user_id")["anime_id"].agg(set)


def test_no_user_gets_back_anything_on_either_list(split_run):
    rec, lists = split_run
    everything = Filters(include_adult=True)
    hits = {}
    for user_id, listed in lists.items():
        got = {r.anime.anime_id for r in rec.recommend(int(user_id), n=100, filters=everything).results}
        if got & listed:
            hits[user_id] = sorted(got & listed)
    assert not hits, f"{len(hits)} users got back anime from their lists: {dict(list(hits.items())[:5])}"


def test_every_user_in_the_data_is_served_and_left_out_ones_from_their_list(split_run):
    rec, lists = split_run
    left_out = [u for u in lists.index if rec.m.user_row(int(u)) is None]
    assert left_out, "the split leaves users out of training (animelist-only users have no ratings there)"
    assert all(rec.knows_user(int(u)) for u in lists.index)
    modes = {rec.recommend(int(u), n=10).mode for u in left_out}
    assert modes <= {"model", "popular"} and "model" in modes


def test_an_id_in_neither_file_is_unknown(split_run):
    rec, lists = split_run
    with pytest.raises(UnknownUserError):
        rec.recommend(int(lists.index.max()) + 1000)
