import numpy as np
import pandas as pd
import pytest

from anime_recommender.config import DataConfig, ProcessingConfig
from anime_recommender.data.ingest import load_catalog, load_interactions
from anime_recommender.data.process import (
    ENCODED_COLUMNS,
    load_processed,
    process,
    save_processed,
    split_labels,
)
from anime_recommender.data.report import DataReport

CFG = ProcessingConfig(min_user_ratings=5, min_anime_ratings=3, holdout_fraction=0.25,
                       validation_fraction=0.1, seed=42)


@pytest.fixture(scope="module")
def sample_data(sample_dir):
    report = DataReport()
    catalog = load_catalog(sample_dir, report)
    interactions = load_interactions(sample_dir, DataConfig(), report, catalog_ids=catalog["anime_id"])
    seen = load_interactions(sample_dir, DataConfig(source="animelist"), DataReport(), all_statuses=True)
    return catalog, interactions, seen


@pytest.fixture(scope="module")
def processed(sample_data):
    catalog, interactions, seen = sample_data
    return process(interactions, catalog, CFG, report=DataReport(), seen=seen)


def _pairs(frame):
    return set(zip(frame["user_idx"], frame["anime_idx"], strict=True))


def test_frames_have_the_encoded_columns(processed):
    for frame in (processed.train, processed.valid, processed.test, processed.seen):
        assert frame.dtypes.astype(str).to_dict() == ENCODED_COLUMNS
    assert processed.user_ids.dtype == np.int64 and processed.anime_ids.dtype == np.int64


def test_splits_share_no_user_anime_pair(processed):
    train, valid, test = (_pairs(f) for f in (processed.train, processed.valid, processed.test))
    assert not (train & valid) and not (train & test) and not (valid & test)
    assert len(test) > 0 and len(valid) > 0


def test_valid_and_test_only_hold_users_and_anime_known_from_train(processed):
    for frame in (processed.valid, processed.test):
        assert frame["user_idx"].isin(processed.train["user_idx"]).all()
        assert frame["anime_idx"].isin(processed.train["anime_idx"]).all()


def test_rows_map_back_to_the_original_ids(processed, sample_data):
    interactions = sample_data[1]
    back = pd.DataFrame({"user_id": processed.user_ids[processed.test["user_idx"]],
                         "anime_id": processed.anime_ids[processed.test["anime_idx"]],
                         "rating": processed.test["rating"]})
    merged = back.merge(interactions, on=["user_id", "anime_id"], suffixes=("", "_orig"))
    assert len(merged) == len(back) and (merged["rating"] == merged["rating_orig"]).all()


def test_min_counts_hold_on_the_train_side(processed):
    assert processed.train.groupby("user_idx").size().min() >= CFG.min_user_ratings
    assert processed.train.groupby("anime_idx").size().min() >= CFG.min_anime_ratings


def test_filters_count_train_rows_only():
    """Anime 9 has 4 rows in all but only 2 on the train side (seed 0): it must go, though 4 >= 3."""
    rows = [(u, a, 8) for u in range(6) for a in range(1, 9)] + [(u, 9, 8) for u in range(4)]
    interactions = pd.DataFrame(rows, columns=["user_id", "anime_id", "rating"]).assign(status=2)
    cfg = ProcessingConfig(min_user_ratings=1, min_anime_ratings=3, holdout_fraction=0.34,
                           validation_fraction=0.0, cold_user_fraction=0.0, seed=0)
    labels = split_labels(interactions["user_id"].to_numpy(), 0.34, 0.0, seed=0)
    assert ((interactions["anime_id"] == 9) & (labels == 0)).sum() == 2
    data = process(interactions, pd.DataFrame(), cfg, report=DataReport())
    assert 9 not in data.anime_ids and 8 in data.anime_ids
    assert data.report.dropped["test_anime_not_in_train"] == 2


def test_split_is_reproducible_by_seed_and_changes_with_it(sample_data):
    users = sample_data[1]["user_id"].to_numpy()
    first, again = split_labels(users, 0.25, 0.1, seed=1), split_labels(users, 0.25, 0.1, seed=1)
    assert np.array_equal(first, again) and not np.array_equal(first, split_labels(users, 0.25, 0.1, seed=2))


def test_split_sizes_follow_the_fractions_per_user():
    users = np.repeat([1, 2, 3], [20, 3, 1])
    labels = split_labels(users, 0.25, 0.1, seed=0)
    assert np.bincount(labels[users == 1], minlength=3).tolist() == [14, 1, 5]
    assert (labels[users == 3] == 0).all() and (labels[users == 2] == 0).all()


def test_zero_holdout_leaves_test_empty_but_keeps_validation(sample_data):
    catalog, interactions, _ = sample_data
    data = process(interactions, catalog, ProcessingConfig(holdout_fraction=0.0, validation_fraction=0.1),
                   report=DataReport())
    assert data.test.empty and not data.valid.empty


def test_cold_users_are_held_out_of_training_and_their_lists_split_given_and_scored(processed, sample_data):
    n_users = sample_data[1]["user_id"].nunique()
    assert len(processed.cold_ids) == int(n_users * CFG.cold_user_fraction) > 0
    assert not np.isin(processed.cold_ids, processed.user_ids).any()  # never seen by training
    assert set(processed.cold_ids) <= set(processed.left_out["user_id"])  # served like any left-out user
    given, target = processed.cold_given, processed.cold_target
    assert not (_pairs(given) & _pairs(target))
    sizes = given.groupby("user_idx").size().add(target.groupby("user_idx").size(), fill_value=0)
    n_target = target.groupby("user_idx").size().reindex(sizes.index, fill_value=0)
    assert (n_target == np.floor(sizes * (1 - CFG.cold_given_fraction))).all()
    again = process(sample_data[1], sample_data[0], CFG, report=DataReport(), seen=sample_data[2])
    assert np.array_equal(again.cold_ids, processed.cold_ids) and again.cold_target.equals(target)


def test_no_cold_users_without_a_test_split(sample_data):
    catalog, interactions, _ = sample_data
    data = process(interactions, catalog, ProcessingConfig(holdout_fraction=0.0), report=DataReport())
    assert len(data.cold_ids) == 0 and data.cold_given.empty and data.cold_target.empty


def test_seen_holds_every_list_row_of_kept_users(processed, sample_data):
    seen = sample_data[2]
    kept = seen[seen["user_id"].isin(processed.user_ids) & seen["anime_id"].isin(processed.anime_ids)]
    assert len(processed.seen) == len(kept)
    assert _pairs(processed.train) <= _pairs(processed.seen)


def test_report_counts_rows_dropped_by_processing(processed):
    counts = processed.report.counts
    assert counts["train_rows"] == len(processed.train) and counts["users"] == processed.n_users
    assert "train_user_below_min_ratings" in processed.report.dropped


def test_save_and_load_round_trip(processed, tmp_path):
    loaded = load_processed(save_processed(processed, tmp_path / "processed"))
    for name in ("train", "valid", "test", "seen", "catalog", "cold_given", "cold_target"):
        pd.testing.assert_frame_equal(getattr(loaded, name), getattr(processed, name))
    assert np.array_equal(loaded.user_ids, processed.user_ids)
    assert np.array_equal(loaded.anime_ids, processed.anime_ids)
    assert np.array_equal(loaded.cold_ids, processed.cold_ids)
    assert loaded.report.to_dict() == processed.report.to_dict()
    assert not list((tmp_path / "processed").glob("*.pkl"))


