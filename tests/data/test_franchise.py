"""Franchise grouping, roles and airing order on 3-row catalogues (the real catalogue: test_franchise_labelled)."""
import pandas as pd
import pytest

from anime_recommender.data import franchise
from anime_recommender.data.franchise import EXTRA, MAIN, REEDIT, ROLE_NAMES, SIDE, build_franchises
from anime_recommender.data.schema import CATALOG_COLUMNS


def catalog(*rows: dict) -> pd.DataFrame:
    """A canonical catalog frame from a few rows (anime_id, name, and whatever else is given)."""
    frame = pd.DataFrame([{"type": "TV", **row} for row in rows])
    for column, dtype in CATALOG_COLUMNS.items():
        if column not in frame:
            frame[column] = {"int32": 0, "bool": False, "float32": float("nan")}.get(dtype)
        frame[column] = frame[column].astype(dtype)
    return frame


def groups(frame: pd.DataFrame) -> dict[int, int]:
    table = build_franchises(frame)
    return dict(zip(table["anime_id"], table["franchise_id"], strict=True))


def test_seasons_share_a_franchise_named_by_the_smallest_id():
    got = groups(catalog({"anime_id": 16498, "name": "Shingeki no Kyojin"},
                         {"anime_id": 25777, "name": "Shingeki no Kyojin Season 2"},
                         {"anime_id": 1535, "name": "Death Note"}))
    assert got == {16498: 16498, 25777: 16498, 1535: 1535}


def test_a_prefix_title_joins_only_with_a_shared_studio():
    got = groups(catalog({"anime_id": 223, "name": "Dragon Ball", "studios": "Toei Animation"},
                         {"anime_id": 813, "name": "Dragon Ball Z", "studios": "Toei Animation"},
                         {"anime_id": 14467, "name": "K", "studios": "GoHands"},
                         {"anime_id": 5680, "name": "K-On!", "studios": "Kyoto Animation"}))
    assert got[813] == 223 and got[5680] == 5680 and got[14467] == 14467


def test_sharing_a_word_is_not_sharing_a_story():
    got = groups(catalog({"anime_id": 1887, "name": "Lucky☆Star", "studios": "Kyoto Animation"},
                         {"anime_id": 3672, "name": "Tottemo! Luckyman", "studios": "Studio Pierrot"},
                         {"anime_id": 15913, "name": "Happy☆Lucky Bikkuriman", "studios": "Toei Animation"}))
    assert len(set(got.values())) == 3


def test_two_titles_that_point_at_one_word_are_not_joined_through_it():
    got = groups(catalog({"anime_id": 1, "name": "Samurai 7", "studios": "Gonzo"},
                         {"anime_id": 2, "name": "Samurai Girl: Real Bout High School", "studios": "Gonzo"},
                         {"anime_id": 3, "name": "Samurai Champloo", "studios": "Manglobe"}))
    assert len(set(got.values())) == 3


def test_the_grouping_does_not_depend_on_row_order():
    frame = catalog({"anime_id": 223, "name": "Dragon Ball", "studios": "Toei Animation"},
                    {"anime_id": 813, "name": "Dragon Ball Z", "studios": "Toei Animation"},
                    {"anime_id": 225, "name": "Dragon Ball GT", "studios": "Toei Animation"},
                    {"anime_id": 20, "name": "Naruto", "studios": "Studio Pierrot"})
    shuffled = frame.sample(frac=1, random_state=3).reset_index(drop=True)
    assert groups(frame) == groups(shuffled)


def test_roles_main_side_and_extra():
    rows = [(1, "Clannad", "TV", 1000), (2, "Clannad Movie", "Movie", 140),
            (3, "Clannad: Mou Hitotsu no Sekai", "Special", 250), (4, "Clannad: After Story", "TV", 900),
            (5, "Clannad Recap", "OVA", 300), (6, "Clannad Music", "Music", 10)]
    frame = catalog(*({"anime_id": a, "name": name, "type": kind, "members": members, "studios": "Kyoto Animation"}
                      for a, name, kind, members in rows))
    assert build_franchises(frame)["franchise_role"].tolist() == [MAIN, SIDE, EXTRA, MAIN, REEDIT, EXTRA]


@pytest.mark.parametrize(("kai_year", "role"), [(2009, "re-edit"), (1990, "main")])
def test_a_kai_long_after_its_series_is_a_reedit_and_soon_after_a_sequel(kai_year, role):
    rows = [(813, "Dragon Ball Z", 1989), (6033, "Dragon Ball Z Kai", kai_year)]
    frame = catalog(*({"anime_id": a, "name": name, "type": "TV", "members": 1000, "year": year,
                       "aired_from": str(year), "studios": "Toei Animation"} for a, name, year in rows))
    assert ROLE_NAMES[build_franchises(frame)["franchise_role"].tolist()[1]] == role


def test_a_later_film_whose_synopsis_says_compilation_is_a_reedit_but_a_first_one_is_not():
    rows = [(1, "Abyss", "TV", "2017", "A girl descends."), (2, "Abyss Movie 1", "Movie", "2019",
                                                             "A compilation film of the first season."),
            (3, "Anthology", "Movie", "1995", "A compilation of three short films.")]
    frame = catalog(*({"anime_id": a, "name": name, "type": kind, "members": 1000, "aired_from": aired,
                       "synopsis": text, "studios": "Kinema Citrus"} for a, name, kind, aired, text in rows))
    assert build_franchises(frame)["franchise_role"].tolist() == [MAIN, REEDIT, MAIN]


def test_a_remake_most_viewers_watch_is_the_main_line():
    table = build_franchises(catalog(
        {"anime_id": 136, "name": "Hunter x Hunter", "members": 416227, "aired_from": "1999-10-16"},
        {"anime_id": 11061, "name": "Hunter x Hunter (2011)", "members": 1673924, "aired_from": "2011-10-02"}))
    assert table["franchise_role"].tolist() == [SIDE, MAIN]


def test_an_ova_series_is_a_main_line():
    table = build_franchises(catalog({"anime_id": 1, "name": "Hellsing Ultimate", "type": "OVA", "members": 9},
                                     {"anime_id": 2, "name": "Hellsing Ultimate II", "type": "OVA", "members": 8}))
    assert table["franchise_role"].tolist() == [MAIN, MAIN]


def test_entries_are_ordered_by_first_air_date_unknown_last():
    table = build_franchises(catalog(
        {"anime_id": 2904, "name": "Code Geass: Hangyaku no Lelouch R2", "aired_from": "2008-04-06"},
        {"anime_id": 44304, "name": "Code Geass: Dakkan no Z"},
        {"anime_id": 1575, "name": "Code Geass: Hangyaku no Lelouch", "aired_from": "2006-10-06"},
        {"anime_id": 2124, "name": "Code Geass: Hangyaku no Lelouch Recaps", "aired_from": "2006-12",
         "type": "Special"}))
    assert table.set_index("anime_id")["franchise_order"].to_dict() == {1575: 0, 2124: 1, 2904: 2, 44304: 3}


def test_the_report_lists_the_largest_groups_first():
    frame = catalog({"anime_id": 1, "name": "Naruto", "display_name": "Naruto", "aired_from": "2002",
                     "studios": "Studio Pierrot"},
                    {"anime_id": 2, "name": "Naruto: Shippuuden", "display_name": "Naruto Shippuden",
                     "aired_from": "2007", "studios": "Studio Pierrot"},
                    {"anime_id": 3, "name": "Monster", "display_name": "Monster"})
    report = franchise.largest_groups(frame, build_franchises(frame), top=1)
    assert report == [{"franchise_id": 1, "size": 2, "main_entries": 2,
                       "first_titles": ["Naruto", "Naruto Shippuden"]}]


@pytest.mark.parametrize(("aired", "first"), [
    ("Apr 26, 1989 to Jan 31, 1996", "1989-04-26"), ("Jul, 1992", "1992-07"), ("1990", "1990"),
    ("Dec 7, 2020 to ?", "2020-12-07"), ("Unknown", None)])
def test_first_aired_is_a_sortable_date(aired, first):
    from anime_recommender.data.catalog import first_aired

    value = first_aired(pd.Series([aired])).iloc[0]
    assert (None if pd.isna(value) else value) == first
