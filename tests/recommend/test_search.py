"""Title search: accents, case, typos, Japanese names, suggestions, similar-by-title."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from anime_recommender import UnknownAnimeError
from anime_recommender.config import ServingConfig
from anime_recommender.data.titles import search_key
from anime_recommender.recommend.catalog import build_catalog
from anime_recommender.recommend.search import TitleIndex


def _top(rec, query):
    return rec.search(query).hits[0][0].anime_id


@pytest.mark.parametrize("query,expected", [
    ("pokemon", 104), ("POKÉMON adventure", 104), ("Pokémon", 104),
    ("attack on titan", 106), ("Atack on Titn", 106), ("shingeki", 106), ("進撃の巨人", 106),
    ("demon slayer", 108), ("鬼滅", 108), ("toradora", 103), ("とらドラ", 103),
    ("your name", 900), ("Kimi no na wa", 900), ("ｋｉｍｉ ｎｏ ｎａ ｗａ", 900),
])
def test_search_finds_the_anime(rec, query, expected):
    assert _top(rec, query) == expected


def test_exact_match_ranks_first_and_says_so(rec):
    info, matched, how = rec.search("Attack on Titan").hits[0]
    assert info.anime_id == 106 and how == "exact" and matched == "Attack on Titan"


def test_nonsense_gives_suggestions_not_an_error(rec):
    result = rec.search("qqqqzzzzxx")
    assert result.hits == [] and result.suggestions


def test_markup_and_huge_queries_are_harmless(rec):
    assert rec.search("<script>alert(1)</script>" * 50).query.startswith("<script>")
    assert rec.search("   ").hits == []


def test_the_search_key_folds_case_accents_and_punctuation():
    assert search_key("  Pokémon: THE Movie!! ") == "pokemon the movie"


KANA = {1: "ハート", 2: "バード", 3: "パート"}  # voiced (バ), half-voiced (パ) and plain (ハ): three words


def test_voiced_and_unvoiced_kana_titles_stay_distinct_and_are_each_found():
    """Kana voicing is kept by the one folding, so search finds each title by its own spelling first."""
    frame = pd.DataFrame({"anime_id": list(KANA), "name": list(KANA.values()), "members": [10, 10, 10]})
    frame["display_name"] = frame["name"]
    index = TitleIndex(build_catalog(frame, np.array(list(KANA))), ServingConfig.max_text_length)
    assert len({search_key(title) for title in KANA.values()}) == len(KANA)
    for anime_id, title in KANA.items():
        top = index.search(title)[0]
        assert (frame["anime_id"][top.row], top.how) == (anime_id, "exact")


def test_similar_by_title(rec):
    assert rec.similar_by_title("kimi no na wa").anime.anime_id == 900


def test_similar_by_unknown_title_suggests(rec):
    with pytest.raises(UnknownAnimeError) as info:
        rec.similar_by_title("qqqqzzzzxx")
    assert info.value.suggestions


def test_nothing_matching_says_where_the_catalogue_ends(rec):
    last = rec.catalog.last_year()
    assert last == int(max(y for y in rec.catalog.year if y == y))  # every tiny anime is scored
    assert f"The catalogue ends in {last}" in rec.search("qqqqzzzzxx").note
    assert f"ends in {last}" in rec.read_title("qqqqzzzzxx").note
    assert rec.search("toradora").note == ""
    close = rec.search("Atack on Titn")
    assert close.hits and "These are close spellings. The catalogue ends in" in close.note


def test_more_like_a_title_uses_the_forms_reading(rec):
    assert rec.similar_by_title("aot").anime.anime_id == 106
