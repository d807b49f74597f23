"""Which anime of the catalogue share a story: links from titles, studios and Japanese names (issue #9).

The Kaggle files have no relations table. Two anime are linked when
- their Name or English name has the same title stem of several words (titles.stem: 'Code Geass:
  Hangyaku no Lelouch R2' and 'Code Geass: Boukoku no Akito 1' both stem to 'code geass'), or
- a weaker key matches AND they share a studio or the stem of their Japanese name. Weaker keys: a
  one-word stem ('berserk'); a stem pointing at another anime's whole title ('dragon ball z' at
  'Dragon Ball', 'zoku natsume yuujinchou' at 'Natsume Yuujinchou'); a subtitle naming another title
  ('Boruto: Naruto the Movie' at 'Naruto', genres must agree too); a Japanese name starting with
  another's whole Japanese name. The evidence keeps 'K' (GoHands) apart from 'K-On!' (Kyoto Animation).
Groups are the connected components of the links (scipy's connected_components), so row order does not matter.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from anime_recommender.data import titles

MIN_STRONG_STEM = 4        # shorter shared stems ('k', 'ef') need evidence like the weak keys
STOP_STEMS = frozenset({"the", "a", "an", "new", "no", "movie", "special", "shin", "zoku", "episode"})


def text_column(catalog: pd.DataFrame, column: str) -> pd.Series:
    """A text column with '' for missing values (and for a column the frame lacks)."""
    if column not in catalog:
        return pd.Series("", index=catalog.index, dtype="string")
    return catalog[column].astype("string").fillna("")


def _texts(catalog: pd.DataFrame, column: str) -> list[str]:
    """A string column as Python strings, '' for missing."""
    return text_column(catalog, column).tolist()


def strong_keys(name: str, english: str) -> set[str]:
    """Title stems of the Name and English name."""
    return {s for s in (titles.stem(name), titles.stem(english)) if s}


def exact_keys(name: str, english: str) -> set[str]:
    """Titles with nothing stripped, what other titles may point at: the whole title, and the part before
    its subtitle when that has several words. 'Samurai 7' is not a 'Samurai', and 'One: Kagayaku
    Kisetsu e' is not the 'One' that 'One Piece' starts with."""
    keys = {titles.words(t) for t in (name, english)}
    keys.update(m for m in (titles.main_title(name), titles.main_title(english)) if " " in m)
    return {k for k in keys if k}


def directed_keys(name: str, english: str, targets: set[str]) -> set[str]:
    """Titles this anime points at: its stem, the stem's word prefixes, the stem without 'Zoku'."""
    keys = set()
    for own in (titles.stem(name), titles.stem(english)):
        keys.update((own, titles.without_leading_marker(own), *titles.word_prefixes(own)))
    return {k for k in keys if k in targets and k not in STOP_STEMS}


def subtitle_keys(name: str, english: str, targets: set[str]) -> set[str]:
    """Titles this anime's subtitle points at ('Boruto: Naruto the Movie' -> 'naruto')."""
    keys = {titles.subtitle_stem(name), titles.subtitle_stem(english)}
    return {k for k in keys if k in targets and k not in STOP_STEMS}


def _studios(studios: str) -> list[str]:
    return [f"studio:{s.strip()}" for s in studios.split(",") if s.strip()]


def _title_evidence(studios: str, japanese: str) -> list[str]:
    """What two anime linked by a title key must also share: a studio, or their Japanese name's stem."""
    stem_jp = titles.japanese_stem(japanese)
    return _studios(studios) + ([f"jp:{stem_jp}"] if stem_jp else [])


def japanese_keys(japanese: str) -> tuple[set[str], set[str]]:
    """(base, pointer) keys of a Japanese name: the whole name, and its first word when it has more."""
    whole, first = titles.japanese_words(japanese), titles.japanese_stem(japanese)
    return ({whole} if whole else set()), ({first} if first and first != whole else set())


def _is_strong(stem_text: str) -> bool:
    """Several words and enough letters: 'code geass' links on its own, 'samurai' or 'k' need evidence."""
    return " " in stem_text and len(stem_text.replace(" ", "")) >= MIN_STRONG_STEM


def _strong_links(stems: list[set[str]]) -> list[tuple[int, int]]:
    """Links between anime sharing a long enough title stem (each to the first anime with it)."""
    by_stem = defaultdict(list)
    for row, keys in enumerate(stems):
        for key in filter(_is_strong, keys):
            by_stem[key].append(row)
    return [(rows[0], row) for rows in by_stem.values() for row in rows[1:]]


def _buckets(keys: list[set[str]], evidence: list[list[str]]) -> dict[tuple[str, str], list[int]]:
    """Rows per (key, piece of evidence)."""
    out = defaultdict(list)
    for row, (row_keys, row_evidence) in enumerate(zip(keys, evidence, strict=True)):
        for key in row_keys:
            for proof in row_evidence:
                out[(key, proof)].append(row)
    return out


def _genres_agree(a: frozenset[str], b: frozenset[str]) -> bool:
    """Half the genres of the anime with fewer genres are shared (or one has none listed)."""
    return not a or not b or 2 * len(a & b) >= min(len(a), len(b))


def _evidence_links(bases: list[set[str]], pointers: list[set[str]], evidence: list[list[str]], *,
                    genres: list[frozenset[str]] | None = None) -> list[tuple[int, int]]:
    """Links between anime that have a key, or point at it, and share evidence (and genres, when given).

    Star-shaped on purpose: 'Samurai Girl' and 'Samurai Champloo' both point at 'samurai' but are only
    joined through an anime titled 'Samurai' they each share evidence with, never to each other directly.
    """
    base_rows, pointer_rows = _buckets(bases, evidence), _buckets(pointers, evidence)
    links = []
    for bucket, rows in base_rows.items():
        for row in rows + pointer_rows.get(bucket, []):
            links += [(row, b) for b in rows
                      if b != row and (genres is None or _genres_agree(genres[row], genres[b]))]
    return links


def group_rows(catalog: pd.DataFrame) -> np.ndarray:
    """A group label per catalog row: rows with the same label share a franchise."""
    names, english = _texts(catalog, "name"), _texts(catalog, "english_name")
    japanese, studios = _texts(catalog, "japanese_name"), _texts(catalog, "studios")
    strong = [strong_keys(n, e) for n, e in zip(names, english, strict=True)]
    exact = [exact_keys(n, e) for n, e in zip(names, english, strict=True)]
    targets = set().union(*exact) if exact else set()
    pointers = [directed_keys(n, e, targets) for n, e in zip(names, english, strict=True)]
    subtitles = [subtitle_keys(n, e, targets) for n, e in zip(names, english, strict=True)]
    jp_bases, jp_pointers = zip(*map(japanese_keys, japanese), strict=True) if len(catalog) else ((), ())
    title_evidence = [_title_evidence(s, j) for s, j in zip(studios, japanese, strict=True)]
    genres = [frozenset(g.strip() for g in text.split(",") if g.strip()) for text in _texts(catalog, "genres")]
    links = (_strong_links(strong) + _evidence_links(strong, [set()] * len(catalog), title_evidence)
             + _evidence_links(exact, pointers, title_evidence)
             + _evidence_links(exact, subtitles, title_evidence, genres=genres)  # subtitles are often plain words
             + _evidence_links(list(jp_bases), list(jp_pointers), [_studios(s) for s in studios]))
    return _components(len(catalog), links)


def _components(n: int, links: list[tuple[int, int]]) -> np.ndarray:
    """Connected component of each of n rows under the links."""
    pairs = np.array(links, dtype=np.int64).reshape(-1, 2)
    graph = sparse.coo_matrix((np.ones(len(pairs), np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)[1].astype(np.int64)


