import csv

import numpy as np
import pandas as pd
import pytest

from anime_recommender.data import schema
from anime_recommender.data.sample import generate_sample
from anime_recommender.data.statuses import Status

HEADERS = {
    schema.ANIME_FILE: schema.ANIME_HEADER,
    schema.SYNOPSIS_FILE: schema.SYNOPSIS_HEADER,
    schema.ANIMELIST_FILE: schema.ANIMELIST_HEADER,
    schema.RATING_COMPLETE_FILE: schema.RATING_COMPLETE_HEADER,
    schema.WATCHING_STATUS_FILE: schema.WATCHING_STATUS_HEADER,
}
REAL_NAMES = {schema.ANIMELIST_FILE: "animelist_prefix.csv", schema.RATING_COMPLETE_FILE: "rating_complete_prefix.csv"}


def _header(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def _first_line(path):
    with path.open("rb") as handle:
        return handle.readline()


@pytest.mark.parametrize("name", list(HEADERS))
def test_generated_headers_are_the_kaggle_headers(sample_dir, name):
    assert _header(sample_dir / name) == HEADERS[name]


@pytest.mark.realdata
@pytest.mark.parametrize("name", list(HEADERS))
def test_generated_header_lines_equal_the_real_files_byte_for_byte(sample_dir, real_anime_dir, name):
    assert _first_line(sample_dir / name) == _first_line(real_anime_dir / REAL_NAMES.get(name, name))


@pytest.mark.realdata
def test_watching_status_file_is_the_original(sample_dir, real_anime_dir):
    name = schema.WATCHING_STATUS_FILE
    assert (sample_dir / name).read_bytes() == (real_anime_dir / name).read_bytes()


def test_same_seed_writes_the_same_bytes(tmp_path):
    first, second = (generate_sample(tmp_path / d, users=80, anime=40, seed=11) for d in ("a", "b"))
    assert all(first[n].read_bytes() == second[n].read_bytes() for n in HEADERS)


def test_different_seed_writes_different_lists(tmp_path):
    first = generate_sample(tmp_path / "a", users=80, anime=40, seed=11)
    second = generate_sample(tmp_path / "b", users=80, anime=40, seed=12)
    assert first[schema.ANIMELIST_FILE].read_bytes() != second[schema.ANIMELIST_FILE].read_bytes()


def test_rating_complete_is_the_completed_rated_part_of_animelist(sample_dir):
    lists = pd.read_csv(sample_dir / schema.ANIMELIST_FILE)
    rated = pd.read_csv(sample_dir / schema.RATING_COMPLETE_FILE)
    done = lists[(lists["watching_status"] == Status.COMPLETED) & (lists["rating"] > 0)][schema.RATING_COMPLETE_HEADER]
    pd.testing.assert_frame_equal(done.reset_index(drop=True), rated)


def test_animelist_has_other_statuses_and_unrated_rows(sample_dir):
    lists = pd.read_csv(sample_dir / schema.ANIMELIST_FILE)
    assert set(lists["watching_status"]) == set(Status)
    assert (lists["rating"] == 0).any() and lists["rating"].between(0, 10).all()
    assert lists["user_id"].is_monotonic_increasing


def test_anime_aggregates_are_counted_from_the_lists(sample_dir):
    lists = pd.read_csv(sample_dir / schema.ANIMELIST_FILE)
    anime = pd.read_csv(sample_dir / schema.ANIME_FILE, index_col="MAL_ID")
    members = lists.groupby("anime_id").size().reindex(anime.index, fill_value=0)
    completed = lists[lists["watching_status"] == 2].groupby("anime_id").size().reindex(anime.index, fill_value=0)
    tens = lists[lists["rating"] == 10].groupby("anime_id").size().reindex(anime.index, fill_value=0)
    assert (anime["Members"] == members).all() and (anime["Completed"] == completed).all()
    assert (anime["Score-10"] == tens).all()
    assert anime.loc[members.idxmax(), "Popularity"] == 1


def test_adult_titles_are_rated_rx_and_left_out_of_synopses(sample_dir):
    anime = pd.read_csv(sample_dir / schema.ANIME_FILE, keep_default_na=False)
    synopses = pd.read_csv(sample_dir / schema.SYNOPSIS_FILE)
    adult = anime[anime["Rating"] == schema.ADULT_RATING]
    assert len(adult) > 0 and adult["Genres"].str.contains(schema.ADULT_GENRE).all()
    assert set(synopses["MAL_ID"]) == set(anime["MAL_ID"]) - set(adult["MAL_ID"])


def test_catalog_looks_like_mal(sample_dir):
    anime = pd.read_csv(sample_dir / schema.ANIME_FILE, keep_default_na=False)
    assert anime["MAL_ID"].is_unique and anime["Name"].is_unique
    assert (anime["English name"] == schema.MISSING).any() and (anime["English name"] != schema.MISSING).any()
    assert set(anime["Type"]) <= {"TV", "OVA", "Movie", "Special", "ONA", "Music"}
    assert anime["Genres"].str.split(", ").explode().nunique() > 20


def _recall_at_10(scores, train, test):
    scores = np.where(train > 0, -np.inf, scores)
    top = np.argpartition(-scores, 10, axis=1)[:, :10]
    hits = np.take_along_axis(test, top, 1).sum(1)
    has = test.sum(1) > 0
    return float((hits[has] / np.minimum(test.sum(1)[has], 10)).mean())


@pytest.mark.parametrize("users, anime, seed", [(300, 150, 3), (1500, 500, 5)])
def test_collaborative_model_beats_popularity_on_held_out_items(tmp_path, users, anime, seed):
    """EASE (Steck 2019) in numpy vs popularity: the lists must carry user taste, not just popularity."""
    generate_sample(tmp_path, users=users, anime=anime, seed=seed)
    rated = pd.read_csv(tmp_path / schema.RATING_COMPLETE_FILE)
    users, anime = pd.factorize(rated["user_id"])[0], pd.factorize(rated["anime_id"])[0]
    held = np.random.default_rng(0).random(len(rated)) < 0.2
    train = np.zeros((users.max() + 1, anime.max() + 1), np.float32)
    test = np.zeros_like(train, dtype=bool)
    train[users[~held], anime[~held]] = 1
    test[users[held], anime[held]] = True
    gram = train.T @ train + 250 * np.eye(train.shape[1], dtype=np.float32)
    inverse = np.linalg.inv(gram)
    weights = -inverse / np.diag(inverse)
    np.fill_diagonal(weights, 0)
    popularity = np.tile(train.sum(0), (len(train), 1))
    assert _recall_at_10(train @ weights, train, test) > 1.3 * _recall_at_10(popularity, train, test)


def test_list_rows_sets_the_size_from_the_command_line(tmp_path):
    """`anime-recommender generate-sample --list-rows N` (bench/full_scale.py's full-size set) gives ~N rows."""
    from anime_recommender.cli import main

    assert main(["generate-sample", "--out", str(tmp_path), "--users", "300", "--anime", "200", "--seed", "1",
                 "--list-rows", "12000"]) == 0
    with (tmp_path / schema.ANIMELIST_FILE).open(encoding="utf-8") as handle:
        rows = sum(1 for _ in handle) - 1
    assert 0.85 * 12000 <= rows <= 1.15 * 12000
