import pandas as pd
import pytest

from anime_recommender.config import DataConfig
from anime_recommender.data import schema
from anime_recommender.data.ingest import interaction_source, load_catalog, load_interactions
from anime_recommender.data.report import DataReport


@pytest.fixture(scope="module")
def movielens(real_movielens_dir):
    report = DataReport()
    catalog = load_catalog(real_movielens_dir, report)
    ratings = load_interactions(real_movielens_dir, DataConfig(), report, catalog_ids=catalog["anime_id"])
    return catalog, ratings, report


@pytest.mark.realdata
def test_u_data_gives_every_rating_in_canonical_form(movielens):
    _, ratings, report = movielens
    assert len(ratings) == 100000 and ratings["user_id"].nunique() == 943
    assert ratings.dtypes.astype(str).to_dict() == schema.INTERACTION_COLUMNS
    assert set(ratings["rating"]) == {2, 4, 6, 8, 10} and (ratings["status"] == 2).all()
    assert report.dropped == {}


@pytest.mark.realdata
def test_u_item_gives_a_catalog_with_genres_and_years(movielens):
    catalog = movielens[0].set_index("anime_id")
    assert len(catalog) == 1682 and not catalog["is_adult"].any()
    assert catalog.loc[1, "display_name"] == "Toy Story (1995)" and catalog.loc[1, "year"] == 1995
    assert catalog.loc[1, "genres"] == "Animation, Children's, Comedy"


@pytest.mark.realdata
def test_auto_source_picks_movielens_when_no_kaggle_file(real_movielens_dir):
    assert interaction_source(real_movielens_dir, DataConfig()) == "movielens"


def test_ratings_dat_with_double_colons_and_bad_rows(tmp_path):
    (tmp_path / "ratings.dat").write_text("1::10::4::9\n1::11::4.5::9\n2::10::x::9\n2::10::3\n1::10::2::9\n")
    (tmp_path / "movies.dat").write_bytes("10::Heat (1995)::Action|Crime\n11::Amélie (2001)::Comedy\n"
                                          .encode("latin-1"))
    report = DataReport()
    catalog = load_catalog(tmp_path, report)
    ratings = load_interactions(tmp_path, DataConfig(), report, catalog_ids=catalog["anime_id"])
    assert ratings[["user_id", "anime_id", "rating"]].values.tolist() == [[1, 10, 8], [1, 11, 9]]
    assert report.dropped == {"bad_rating": 1, "wrong_field_count": 1, "duplicate_pair": 1}
    assert catalog["display_name"].tolist() == ["Heat (1995)", "Amélie (2001)"]
    assert catalog["genres"].tolist() == ["Action, Crime", "Comedy"]


def test_ratings_without_items_get_placeholder_names(tmp_path):
    (tmp_path / "u.data").write_text("1\t5\t3\t0\n2\t5\t4\t0\n")
    catalog = load_catalog(tmp_path, DataReport())
    assert catalog["display_name"].tolist() == ["Item 5"]
    assert list(catalog.columns) == list(schema.CATALOG_COLUMNS)
    assert isinstance(catalog, pd.DataFrame)
