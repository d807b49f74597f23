"""Title folding for every title box (search_key) and title stems for the franchise grouping.

search_key is the one folding every reader of typed titles uses (recommend/search.py, recommend/titles.py).
Stems: an anime's name with season, movie, OVA, recap and subtitle markers taken off.

"Shingeki no Kyojin Season 3 Part 2", "Shingeki no Kyojin Movie 1: Guren no Yumiya" and
"Shingeki no Kyojin: The Final Season" all stem to "shingeki no kyojin"; franchise.py groups anime by
these stems. Pure string functions, no pandas.
"""
from __future__ import annotations

import re
import unicodedata

MIN_SUBTITLE_CUT = 3  # "K: Missing Kings" and "Re:Zero" keep their colon part: "k" / "re" say nothing
_BRACKETS = re.compile(r"[(\[【〈《][^)\]】〉》]*[)\]】〉》]")
_SUBTITLE = re.compile(r"\s*(?::| - | -|~|\s–\s)")
_NOT_WORD = re.compile(r"[^\w]+")
_ORDINAL = r"(?:\d+(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|final|last)"
_MARKER_WORDS = (r"season|seasons|stage|series|part|cour|chapter|vol|volume|movie|movies|film|the movie|ova|"
                 r"ovas|oad|ona|tv|special|specials|recap|recaps|picture drama|picture dramas|omake|pv|cm|"
                 r"music video|episode|ep|gekijouban|edition")
_TRAILING = [
    re.compile(rf"\s+{_ORDINAL}\s+(?:season|stage|series|part|cour|chapter|gig|plate)$"),
    re.compile(rf"\s+(?:{_MARKER_WORDS})(?:\s+\d+(?:\s\d+)?)?$"),
    re.compile(r"\s+(?:ii|iii|iv|v|vi|vii|viii|ix|xi|xii|r\d+|x\d+|s\d+|\d+(?:\s\d+)?|final)$"),
]
_LEADING = re.compile(r"^(?:zoku|shin|new|gekijouban|eiga|the|movie)\s+")
JP_GENERIC_PREFIX = re.compile(r"^(?:新劇場版|劇場版|映画|アニメ|ova|oad|tv|新|続|真)\s*")


_LATIN_PLAIN = {c: "".join(d for d in unicodedata.normalize("NFKD", chr(c)) if not unicodedata.combining(d))
                for c in range(0x80, 0x250)}  # accents off Latin letters only: ド must stay ド


def fold(text: str) -> str:
    """NFKC, accents off Latin letters, lower case: 'Pokémon' and 'ＰＯＫＥＭＯＮ' read the same."""
    return unicodedata.normalize("NFKC", text).translate(_LATIN_PLAIN).lower()


_TIGHT_COLON = re.compile(r"(?<=[^\s:]):(?=[^\s/:])")


def tidy_english(english: str | None, name: str | None) -> str | None:
    """anime.csv's English names lack the space after a colon ('Fullmetal Alchemist:Brotherhood'): put it
    back, unless the romaji name writes the colon tight too (a stylised title: 'Code:Breaker', 'Re:Zero')."""
    if not isinstance(english, str) or ":" not in english:
        return english
    tight = set(re.findall(r"\S+:\S+", fold(name if isinstance(name, str) else "")))
    def spaced(m: re.Match) -> str:
        clock = english[m.start() - 1].isdigit() and english[m.end()].isdigit()  # '10:30', '3:2'
        return ":" if clock or _token_at(english, m.start()) in tight else ": "
    return _TIGHT_COLON.sub(spaced, english)


def _token_at(text: str, colon: int) -> str:
    """The whitespace-free token around the colon at `colon`, folded."""
    start = text.rfind(" ", 0, colon) + 1
    end = text.find(" ", colon)
    return fold(text[start:end if end >= 0 else len(text)])


def search_key(text: str | None) -> str:
    """The one folding of typed and catalogue titles (search, the forms, the readers): fold(), then letters
    and digits only, single spaces. Kana voicing stays (ドラゴンボール is not トラコンホール)."""
    return _words(fold(str(text))) if text else ""


def _words(text: str) -> str:
    """Letters and digits only, single spaces (punctuation such as '!!', '°', ';' and '☆' dropped)."""
    return _NOT_WORD.sub(" ", text).replace("_", " ").strip()


def _strip_trailing(stem: str) -> str:
    """Take season / movie / OVA markers off the end until none is left (never down to nothing)."""
    changed = True
    while changed:
        changed = False
        for pattern in _TRAILING:
            shorter = pattern.sub("", stem)
            if shorter != stem and shorter.strip():
                stem, changed = shorter.strip(), True
    return stem


def split_subtitle(title: str) -> tuple[str, str]:
    """(main title, subtitle) at the first ':', ' - ' or '~', unless the main part is too short to mean much."""
    text = _BRACKETS.sub(" ", fold(title))
    match = _SUBTITLE.search(text)
    if match is None or len(_words(text[:match.start()]).replace(" ", "")) < MIN_SUBTITLE_CUT:
        return text, ""
    return text[:match.start()], text[match.end():]


def words(title: str | None) -> str:
    """A whole title as folded words, nothing stripped ('Dragon Ball Z:Dead Zone' -> 'dragon ball z dead zone')."""
    return _words(_BRACKETS.sub(" ", fold(title))) if title else ""


def main_title(title: str | None) -> str:
    """The title before its subtitle, as words, nothing stripped ('Samurai 7' stays 'samurai 7')."""
    return _words(split_subtitle(title)[0]) if title else ""


def stem(title: str | None) -> str:
    """The franchise stem of a title ('' for a missing one)."""
    return _strip_trailing(main_title(title))


def subtitle_stem(title: str | None) -> str:
    """The stem of the part after the colon ('Boruto: Naruto the Movie' -> 'naruto'); '' when none."""
    if not title:
        return ""
    _, sub = split_subtitle(title)
    return _strip_trailing(_words(sub)) if _words(sub) else ""


def without_leading_marker(stem_text: str) -> str:
    """'zoku natsume yuujinchou' -> 'natsume yuujinchou'; '' when the stem has no such first word."""
    shorter = _LEADING.sub("", stem_text)
    return shorter if shorter != stem_text and shorter else ""


def word_prefixes(stem_text: str) -> list[str]:
    """Every proper word prefix of a stem, longest first ('dragon ball z' -> ['dragon ball', 'dragon'])."""
    words = stem_text.split()
    return [" ".join(words[:i]) for i in range(len(words) - 1, 0, -1)]


def _japanese_text(name: str | None) -> str:
    """A folded Japanese name without brackets and 劇場版-style prefixes ('' for Latin-only names,
    which repeat the romaji title and would make 'THE' or 'GHOST' look like a series)."""
    text = _BRACKETS.sub(" ", fold(name or "")).strip("「『【〈《 ")
    while (shorter := JP_GENERIC_PREFIX.sub("", text).strip("「『【〈《 ")) != text:
        text = shorter
    return "" if text.isascii() else text


def japanese_stem(name: str | None) -> str:
    """The Japanese name up to its first space or punctuation ('コードギアス 反逆のルルーシュ' -> 'コードギアス')."""
    words = japanese_words(name)
    return words.split(" ")[0] if words else ""


def japanese_words(name: str | None) -> str:
    """The whole Japanese name as words ('' for a Latin-only one)."""
    return _words(_japanese_text(name))
