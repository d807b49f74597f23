"""Typed titles read the way a fan means them: initials, short forms, famous aliases, and no silent guesses."""
from __future__ import annotations

import pytest

from anime_recommender.config import ServingConfig
from anime_recommender.data.titles import search_key
from anime_recommender.recommend.titles import ALIASES, short_forms


@pytest.mark.parametrize("name,form", [
    ("Shingeki no Kyojin", "snk"), ("Attack on Titan", "aot"), ("One Punch Man", "opm"),
    ("Tengen Toppa Gurren Lagann", "ttgl"), ("Kono Subarashii Sekai ni Shukufuku wo!", "konosuba"),
    ("Legend of the Galactic Heroes", "logh"), ("Mob Psycho 100", "mp100"), ("Hunter x Hunter", "hxh"),
])
def test_short_forms_of_a_name(name, form):
    assert form in short_forms(name)


def test_no_short_forms_for_one_word_or_japanese_script():
    assert short_forms("Naruto") == set() and short_forms("進撃の 巨人") == set()


@pytest.mark.parametrize("typed,anime_id,how", [
    ("aot", 106, "initials"), ("SNK", 106, "initials"), ("kny", 108, "initials"),
    ("toradora", 103, "exact"), ("Your Name", 900, "exact"), ("shingeki", 106, "prefix"),
])
def test_tiny_catalog_readings(rec, typed, anime_id, how):
    reading = rec.read_title(typed)
    assert reading.anime.anime_id == anime_id and reading.how == how


def test_a_misspelling_is_not_used_but_offered(rec):
    reading = rec.read_title("atack on titn")
    assert reading.anime is None and reading.how == "unsure" and reading.alternatives[0].anime_id == 106


def test_nothing_close_gives_suggestions_only(rec):
    reading = rec.read_title("qqqzzz")
    assert reading.anime is None and reading.how == "none" and not reading.alternatives


# --- on the real catalog (../shared/data/anime-2020): the abbreviations fans type ------------------------
@pytest.fixture(scope="module")
def real_reader(real_anime_dir):
    from anime_recommender.data.ingest import load_catalog
    from anime_recommender.data.report import DataReport
    from anime_recommender.recommend.catalog import build_catalog
    from anime_recommender.recommend.search import TitleIndex
    from anime_recommender.recommend.titles import TitleReader

    frame = load_catalog(real_anime_dir, DataReport())
    catalog = build_catalog(frame, frame["anime_id"].to_numpy()[:10])
    return catalog, TitleReader(catalog, TitleIndex(catalog, ServingConfig.max_text_length))


@pytest.mark.parametrize("typed,anime_id", [
    ("fmab", 5114), ("aot", 16498), ("snk", 16498), ("opm", 30276), ("ttgl", 2001), ("konosuba", 30831),
    ("hxh", 11061), ("sao", 11757), ("ngnl", 19815), ("logh", 820), ("gits", 43), ("mha", 31964),
    ("bnha", 31964), ("dbz", 813), ("Toradora", 4224), ("kimi no na wa", 32281), ("shingeki", 16498),
])
def test_fans_abbreviations_resolve_on_the_real_catalog(real_reader, typed, anime_id):
    catalog, reader = real_reader
    reading = reader.read(typed)
    assert reading.sure and catalog.anime_id[reading.row] == anime_id, (typed, reading)


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_every_alias_is_in_the_real_catalog(real_reader, alias):
    catalog, reader = real_reader
    reading = reader.read(alias)
    assert reading.how == "alias" and catalog.anime_id[reading.row] == ALIASES[alias]


@pytest.mark.parametrize("typed", ["atack on titan", "cg", "bebop"])
def test_weak_matches_on_the_real_catalog_are_offered_not_used(real_reader, typed):
    _, reader = real_reader
    reading = reader.read(typed)
    assert not reading.sure and reading.alternatives


# --- one reader for every box (issue #16): the header search reads as the form does ----------------------
@pytest.mark.parametrize("typed,anime_id", [
    ("aot", 16498), ("fmab", 5114), ("jjk", 40748), ("snk", 16498), ("opm", 30276), ("ttgl", 2001),
    ("mha", 31964), ("one peice", 21), ("Shingeki no Kyojin", 16498), ("ドラゴンボール", 223),
])
def test_search_ranks_the_forms_reading_first(real_reader, typed, anime_id):
    catalog, reader = real_reader
    first = reader.search(typed, limit=10)[0].row
    reading = reader.read(typed)
    assert catalog.anime_id[first] == anime_id
    assert first == (reading.row if reading.sure else reading.alternatives[0])


def test_kana_voicing_is_kept(real_reader):
    catalog, reader = real_reader
    assert search_key("ドラゴンボール") != search_key("トラコンホール")
    assert all(catalog.anime_id[h.row] != 223 for h in reader.search("トラコンホール"))


@pytest.mark.parametrize("typed", ["frieren", "sex", "bible black", "sexfriend"])
def test_adult_titles_stay_out_of_search_and_suggestions_unless_asked(real_reader, typed):
    catalog, reader = real_reader
    rows = [h.row for h in reader.search(typed, limit=20)] + reader.read(typed).alternatives
    names = reader.titles.suggest(typed)
    assert not catalog.is_adult[rows].any()
    assert not set(names) & {str(n) for n in catalog.name[catalog.is_adult]}


def test_adult_titles_are_found_when_asked_for(real_reader):
    catalog, reader = real_reader
    assert catalog.is_adult[[h.row for h in reader.search("bible black", include_adult=True)]].any()


def test_the_real_catalogue_ends_in_2020(real_reader):
    catalog, _ = real_reader
    assert catalog.last_year() == 2020 and int(max(y for y in catalog.year if y == y)) > 2020
