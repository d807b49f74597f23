import re

import pandas as pd
import pytest

from anime_recommender.config import DataConfig
from anime_recommender.data import schema
from anime_recommender.data.ingest import (
    DataFolder,
    interaction_source,
    load_catalog,
    load_interactions,
    load_watching_statuses,
)
from anime_recommender.data.report import DataReport
from anime_recommender.data.statuses import Status

from .conftest import REAL_FILES

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def real_catalog(real_anime_dir):
    report = DataReport()
    return load_catalog(DataFolder(real_anime_dir, REAL_FILES), report), report


def _interactions(real_anime_dir, cfg=None, **kwargs):
    report = DataReport()
    frame = load_interactions(DataFolder(real_anime_dir, REAL_FILES), cfg or DataConfig(), report, **kwargs)
    return frame, report


def test_catalog_has_every_anime_with_the_canonical_columns(real_catalog):
    catalog, report = real_catalog
    assert len(catalog) == 17562 and catalog["anime_id"].is_unique
    assert catalog.dtypes.astype(str).to_dict() == {k: str(pd.Series(dtype=v).dtype)
                                                    for k, v in schema.CATALOG_COLUMNS.items()}
    assert report.unaccounted() == {"anime.csv": 0, "anime_with_synopsis.csv": 0}


def test_synopses_are_merged_and_adult_titles_have_none(real_catalog):
    catalog, report = real_catalog
    assert report.rows_kept["anime_with_synopsis.csv"] == 16214
    assert catalog.loc[catalog["anime_id"] == 1, "synopsis"].iloc[0].startswith("In the year 2071")
    adult = catalog[catalog["mal_rating"] == schema.ADULT_RATING]
    assert catalog.loc[adult.index, "is_adult"].all() and (adult["synopsis"] == "").mean() > 0.99


def test_display_name_prefers_english_then_romaji(real_catalog):
    catalog = real_catalog[0].set_index("anime_id")
    assert catalog.loc[5, "display_name"] == "Cowboy Bebop: The Movie"  # the space after the colon put back
    no_english = catalog[catalog["english_name"].isna()]
    assert (no_english["display_name"] == no_english["name"]).all()


def test_unknown_values_become_missing_and_years_are_parsed(real_catalog):
    catalog = real_catalog[0].set_index("anime_id")
    assert catalog.loc[1, "year"] == 1998 and catalog.loc[1, "episodes"] == 26
    assert catalog["english_name"].isna().sum() == 10565
    assert catalog["score"].isna().sum() == 5141 and catalog["year"].notna().mean() > 0.98


def test_rating_complete_slice_loads_every_row(real_anime_dir):
    frame, report = _interactions(real_anime_dir)
    assert len(frame) == 99584 and frame["user_id"].nunique() == 574
    assert frame.dtypes.astype(str).to_dict() == schema.INTERACTION_COLUMNS
    assert (frame["status"] == 2).all() and frame["rating"].between(1, 10).all()
    assert report.unaccounted() == {"rating_complete_prefix.csv": 0}


def test_animelist_slice_keeps_all_rows_for_the_seen_set(real_anime_dir):
    frame, _ = _interactions(real_anime_dir, DataConfig(source="animelist"), all_statuses=True)
    assert len(frame) == 3988 and frame["user_id"].nunique() == 17


def test_animelist_counts_plan_to_watch_as_not_an_interaction(real_anime_dir):
    frame, report = _interactions(real_anime_dir, DataConfig(source="animelist"))
    assert set(frame["status"]) <= {1, 2, 3, 4}
    assert len(frame) + report.dropped["status_not_interaction"] == 3988


def test_completed_rated_list_rows_equal_rating_complete(real_anime_dir):
    lists, _ = _interactions(real_anime_dir, DataConfig(source="animelist"), all_statuses=True)
    rated, _ = _interactions(real_anime_dir)
    done = lists[(lists["status"] == 2) & (lists["rating"] > 0)]
    key = ["user_id", "anime_id", "rating"]
    expected = rated[rated["user_id"] <= 16][key].sort_values(key).reset_index(drop=True)
    assert len(done) == 1683
    pd.testing.assert_frame_equal(done[key].sort_values(key).reset_index(drop=True), expected)


def test_small_chunks_give_the_same_frame_as_one_chunk(real_anime_dir):
    small, _ = _interactions(real_anime_dir, DataConfig(chunk_rows=1000))
    whole, _ = _interactions(real_anime_dir, DataConfig(chunk_rows=10_000_000))
    pd.testing.assert_frame_equal(small, whole)


def test_max_users_keeps_the_first_users_of_the_file(real_anime_dir):
    frame, _ = _interactions(real_anime_dir, DataConfig(chunk_rows=1000, max_users=5))
    whole, _ = _interactions(real_anime_dir)
    first = whole["user_id"].unique()[:5]
    pd.testing.assert_frame_equal(frame, whole[whole["user_id"].isin(first)].reset_index(drop=True))


def test_max_rows_caps_the_rows_read(real_anime_dir):
    frame, report = _interactions(real_anime_dir, DataConfig(chunk_rows=1000, max_rows=2500))
    assert len(frame) == 2500 and report.rows_read == {"rating_complete_prefix.csv": 2500}


def test_catalog_ids_drop_unknown_anime(real_anime_dir, real_catalog):
    ids = real_catalog[0]["anime_id"].to_numpy()[:100]
    frame, report = _interactions(real_anime_dir, catalog_ids=ids)
    assert frame["anime_id"].isin(ids).all()
    assert len(frame) + report.dropped["anime_not_in_catalog"] == 99584


def test_watching_statuses_are_read_despite_the_spaced_header(real_anime_dir):
    """The real file's codes are the enum's, and its words ('Currently Watching', 'On Hold') read as them."""
    described = load_watching_statuses(real_anime_dir)
    assert {code: Status.parse(text) for code, text in described.items()} == {s.value: s for s in Status}


def test_auto_source_prefers_rating_complete(real_anime_dir):
    assert interaction_source(DataFolder(real_anime_dir, REAL_FILES), DataConfig()) == "rating_complete"
    only_list = {"rating_complete.csv": "absent.csv", "animelist.csv": "animelist_prefix.csv"}
    assert interaction_source(DataFolder(real_anime_dir, only_list), DataConfig()) == "animelist"


def test_display_titles_are_tidy_on_the_real_catalog(real_catalog):
    catalog, _ = real_catalog
    titles = catalog.set_index("anime_id")["display_name"]
    assert titles[5114] == "Fullmetal Alchemist: Brotherhood" and titles[1575] == "Code Geass: Lelouch of the Rebellion"
    tight = catalog[catalog["display_name"].str.contains(r"\S:[^\s\d]")]
    styled = [any(t in name.casefold() for t in re.findall(r"\S+:\S+", title.casefold())) or not english
              for title, name, english in zip(tight["display_name"], tight["name"], tight["english_name"].notna(),
                                              strict=True)]
    assert len(tight) and all(styled)  # 'Code:Breaker', 'Re:Zero': a colon left tight only where the title is
