import re
from pathlib import Path

import pytest

from anime_recommender.data import titles
from anime_recommender.data.titles import tidy_english


@pytest.mark.parametrize(("title", "stem"), [
    ("Shingeki no Kyojin Season 3 Part 2", "shingeki no kyojin"),
    ("Shingeki no Kyojin: The Final Season", "shingeki no kyojin"),
    ("Code Geass: Hangyaku no Lelouch R2", "code geass"),
    ("Dragon Ball Z Movie 01: Ora no Gohan wo Kaese!!", "dragon ball z"),
    ("Haikyuu!! Second Season", "haikyuu"),
    ("Gintama°", "gintama"),
    ("Hunter x Hunter (2011)", "hunter x hunter"),
    ("Kizumonogatari III: Reiketsu-hen", "kizumonogatari"),
    ("Pokémon the Movie 2000", "pokemon"),
    ("Lucky☆Star", "lucky star"),
    ("Tottemo! Luckyman", "tottemo luckyman"),
    ("Samurai X", "samurai x"),          # an X is not a tenth season
    ("K: Missing Kings", "k missing kings"),  # 'k' alone says nothing: the colon part stays
    ("Re:Zero kara Hajimeru Isekai Seikatsu 2nd Season", "re zero kara hajimeru isekai seikatsu"),
    ("86", "86"),                        # never stripped down to nothing
    (None, ""),
])
def test_stem_takes_season_movie_and_subtitle_markers_off(title, stem):
    assert titles.stem(title) == stem


def test_subtitle_stem_and_prefixes_point_at_other_titles():
    assert titles.subtitle_stem("Boruto: Naruto the Movie") == "naruto"
    assert titles.word_prefixes("dragon ball z") == ["dragon ball", "dragon"]
    assert titles.without_leading_marker("zoku natsume yuujinchou") == "natsume yuujinchou"
    assert titles.without_leading_marker("natsume yuujinchou") == ""


def test_japanese_stem_ignores_movie_prefixes_and_latin_names():
    assert titles.japanese_stem("コードギアス 反逆のルルーシュ R2") == "コードギアス"
    assert titles.japanese_stem("劇場版 鋼の錬金術師 シャンバラを征く者") == "鋼の錬金術師"
    assert titles.japanese_stem("GHOST IN THE SHELL") == ""  # repeats the romaji title: no evidence


@pytest.mark.parametrize(("english", "name", "tidy"), [
    ("Fullmetal Alchemist:Brotherhood", "Fullmetal Alchemist: Brotherhood", "Fullmetal Alchemist: Brotherhood"),
    ("Code Geass:Lelouch of the Rebellion", "Code Geass: Hangyaku no Lelouch", "Code Geass: Lelouch of the Rebellion"),
    ("Mobile Suit Gundam 0080:War in the Pocket", "Kidou Senshi Gundam 0080",
     "Mobile Suit Gundam 0080: War in the Pocket"),
    ("Evangelion:1.0 You Are (Not) Alone", "Evangelion Shin Gekijouban: Jo", "Evangelion: 1.0 You Are (Not) Alone"),
    ("Code:Breaker", "Code:Breaker", "Code:Breaker"), ("Tokyo Ghoul:re", "Tokyo Ghoul:re", "Tokyo Ghoul:re"),
    ("Re:ZERO -Starting Life in Another World-", "Re:Zero kara Hajimeru Isekai Seikatsu",
     "Re:ZERO -Starting Life in Another World-"),
    ("Yowamushi Pedal: Re:RIDE", "Yowamushi Pedal: Re:RIDE", "Yowamushi Pedal: Re:RIDE"),
    ("Time 10:30", "Time", "Time 10:30"), (None, "Name", None),
])
def test_english_names_get_the_space_after_a_colon_unless_the_title_is_styled_so(english, name, tidy):
    assert tidy_english(english, name) == tidy


def test_titles_are_folded_in_one_place():
    """Search, the title reader, the import's check and franchise grouping fold through data/titles.py: no other
    module normalises Unicode or case-folds text on its own (two foldings once disagreed on kana voicing)."""
    package = Path(titles.__file__).parent.parent
    elsewhere = [str(path.relative_to(package)) for path in sorted(package.rglob("*.py"))
                 if path != Path(titles.__file__) and re.search(r"unicodedata\.normalize|\.casefold\(",
                                                                  path.read_text(encoding="utf-8"))]
    assert elsewhere == []
