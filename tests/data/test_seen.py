"""The seen set is the union of every source, and the users training leaves out keep their lists."""
from __future__ import annotations

import numpy as np
import pandas as pd

from anime_recommender.config import Config
from anime_recommender.data import schema
from anime_recommender.data.prepare import load_dataset
from anime_recommender.data.seen import left_out, listed_csr, outside_model, union_lists
from anime_recommender.data.statuses import Status


def _frame(rows: list[tuple[int, int, int, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(schema.INTERACTION_COLUMNS))
    return frame.astype(schema.INTERACTION_COLUMNS)


def _pairs(frame: pd.DataFrame) -> set[tuple[int, int]]:
    return set(zip(frame["user_id"].tolist(), frame["anime_id"].tolist(), strict=True))


def test_union_keeps_every_pair_once_the_first_source_winning():
    rated = _frame([(1, 10, 9, 2), (1, 11, 7, 2)])
    listed = _frame([(1, 10, 0, 2), (1, 12, 0, 6), (2, 10, 0, 4)])
    seen = union_lists([rated, listed])
    assert _pairs(seen) == {(1, 10), (1, 11), (1, 12), (2, 10)} and len(seen) == 4
    assert seen.loc[(seen.user_id == 1) & (seen.anime_id == 10), "rating"].item() == 9
    assert union_lists([rated, None]) is rated


def test_union_keeps_source_order_and_the_first_row_of_a_pair_repeated_within_a_source():
    rated = _frame([(5, 1, 8, 2), (2, 3, 6, 2), (5, 1, 4, 2)])
    listed = _frame([(9, 9, 0, 6), (2, 3, 0, 4), (1, 1, 0, 1), (9, 9, 0, 2)])
    seen = union_lists([rated, listed])
    assert seen[["user_id", "anime_id", "rating", "status"]].values.tolist() == [
        [5, 1, 8, 2], [2, 3, 6, 2], [9, 9, 0, 6], [1, 1, 0, 1]]
    assert dict(seen.dtypes) == {k: np.dtype(v) for k, v in schema.INTERACTION_COLUMNS.items()}


def test_left_out_rows_are_the_users_training_did_not_keep():
    seen = _frame([(3, 5, 0, 6), (1, 10, 9, 2), (2, 10, 8, 2), (3, 4, 7, 2)])
    rows = left_out(seen, np.array([2], dtype=np.int64))
    assert rows[["user_id", "anime_id"]].values.tolist() == [[1, 10], [3, 4], [3, 5]]
    assert len(left_out(seen, np.array([], dtype=np.int64))) == 4


def test_listed_csr_round_trips_each_users_rows():
    csr = listed_csr(_frame([(1, 10, 9, 2), (3, 4, 7, 2), (3, 5, 0, 6)]))
    assert csr["extra_user_ids"].tolist() == [1, 3] and csr["extra_indptr"].tolist() == [0, 1, 3]
    assert csr["extra_anime_ids"].tolist() == [10, 4, 5] and csr["extra_statuses"].tolist() == [2, 2, 6]
    empty = listed_csr(_frame([]))
    assert empty["extra_indptr"].tolist() == [0] and len(empty["extra_user_ids"]) == 0


def split_users(data_dir, rated_users, listed_users) -> None:
    """Rewrite a generated sample so rating_complete.csv and animelist.csv cover the given users only."""
    for name, users in ((schema.RATING_COMPLETE_FILE, rated_users), (schema.ANIMELIST_FILE, listed_users)):
        frame = pd.read_csv(data_dir / name)
        frame[frame["user_id"].isin(users)].to_csv(data_dir / name, index=False)


def test_seen_is_the_union_when_the_two_files_cover_different_users(tmp_path):
    cfg = Config().replace("paths", data_dir=tmp_path).replace("sample", users=120, anime=60, seed=1)
    load_dataset(cfg)  # generates the sample
    split_users(tmp_path, range(0, 80), range(40, 120))
    _, interactions, seen, _ = load_dataset(cfg)
    rated = pd.read_csv(tmp_path / schema.RATING_COMPLETE_FILE)
    listed = pd.read_csv(tmp_path / schema.ANIMELIST_FILE)
    assert _pairs(seen) == _pairs(rated) | _pairs(listed) and _pairs(interactions) <= _pairs(seen)
    assert set(seen["user_id"]) == set(rated["user_id"]) | set(listed["user_id"])
    assert set(seen["status"]) == set(Status)  # plan-to-watch included


def test_animelist_source_unions_rating_complete_too(tmp_path):
    cfg = Config().replace("paths", data_dir=tmp_path).replace("sample", users=120, anime=60, seed=1)
    load_dataset(cfg)
    split_users(tmp_path, range(0, 80), range(40, 120))
    _, interactions, seen, _ = load_dataset(cfg.replace("data", source="animelist"))
    rated = pd.read_csv(tmp_path / schema.RATING_COMPLETE_FILE)
    assert _pairs(rated) <= _pairs(seen) and set(interactions["user_id"]) <= set(range(40, 120))


def test_union_equals_pandas_drop_duplicates_on_random_sources():
    rng = np.random.default_rng(3)
    frames = [_frame([tuple(row) for row in np.c_[rng.integers(0, 30, (n, 2)), rng.integers(0, 11, n),
                                                  rng.integers(1, 7, n)]]) for n in (400, 700, 300)]
    expected = pd.concat(frames, ignore_index=True).drop_duplicates(["user_id", "anime_id"], keep="first")
    got = union_lists(frames)
    assert got.values.tolist() == expected.values.tolist()


def test_outside_model_keeps_the_kept_users_rows_on_anime_the_model_lacks():
    seen = _frame([(1, 10, 9, 2), (1, 99, 0, 1), (2, 98, 0, 6), (3, 99, 0, 1)])
    rows = outside_model(seen, user_ids=np.array([1, 2]), anime_ids=np.array([10]))
    assert list(zip(rows["user_id"], rows["anime_id"], strict=True)) == [(1, 99), (2, 98)]
    csr = listed_csr(rows, "outside")
    assert csr["outside_user_ids"].tolist() == [1, 2] and csr["outside_statuses"].tolist() == [1, 6]
