"""Title search: case- and accent-insensitive over Name, English and Japanese names, typo-tolerant; adult
titles only when asked for."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from anime_recommender.data.titles import search_key
from anime_recommender.recommend.catalog import Catalog

log = logging.getLogger(__name__)

MAX_WORD_HITS = 300


@dataclass(frozen=True)
class SearchHit:
    """One catalog row matching a query, with the name that matched and how well."""

    row: int
    matched: str
    score: float
    how: str  # exact | prefix | contains | fuzzy


class TitleIndex:
    """Normalised names of every catalog row, searchable in C (regex over one string, rapidfuzz)."""

    def __init__(self, catalog: Catalog, max_query: int):
        """`max_query`: characters of a query read (serving.max_text_length, the longest the web takes)."""
        self.max_query = max_query
        names, rows, raw = [], [], []
        for column in (catalog.name, catalog.english_name, catalog.japanese_name):
            for row, value in enumerate(column):
                key = search_key(value)
                if key:
                    names.append(key)
                    rows.append(row)
                    raw.append(value)
        self.keys = names
        self.rows = np.asarray(rows, dtype=np.int64)
        self.raw = raw
        self.popularity = catalog.members
        self.adult = np.asarray(catalog.is_adult, dtype=bool)[self.rows] if len(rows) else np.zeros(0, bool)
        self.haystack = "\n" + "\n".join(names) + "\n"
        self.lengths = np.array([len(k) for k in names], dtype=np.int64)
        self.starts = np.cumsum(np.concatenate([[0], self.lengths[:-1] + 1])) + 1
        log.info("title index: %d names over %d anime", len(names), len(catalog.anime_id))

    def _substring(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """Entries containing the query, and whether the entry starts with it."""
        offsets = np.fromiter((m.start() for m in re.finditer(re.escape(query), self.haystack)), np.int64)
        entries = np.searchsorted(self.starts, offsets, side="right") - 1
        prefix = self.starts[entries] == offsets
        return entries, prefix

    def search(self, query: str, limit: int = 10, cutoff: float = 75.0,
               *, include_adult: bool = False) -> list[SearchHit]:
        """Best matching anime (one hit per anime), exact and substring matches before fuzzy ones; adult
        titles only with `include_adult`."""
        key = search_key(query[:self.max_query])
        if not key or not self.keys:
            return []
        hits: dict[int, SearchHit] = {}
        entries, prefix = self._substring(key)
        if not include_adult:
            entries, prefix = entries[~self.adult[entries]], prefix[~self.adult[entries]]
        exact = prefix & (self.lengths[entries] == len(key))
        base = np.where(exact, 100.0, np.where(prefix, 95.0, 90.0))
        order = np.lexsort((-self.popularity[self.rows[entries]], -base))
        for i in order:
            if len(hits) >= limit:
                break
            self._add(hits, entries[i], base[i], how="exact" if exact[i] else "prefix" if prefix[i] else "contains")
        if len(hits) < limit:
            self._fuzzy(hits, key, limit, cutoff=cutoff, include_adult=include_adult)
        return sorted(hits.values(), key=lambda h: -h.score)[:limit]

    def _add(self, hits: dict[int, SearchHit], entry: int, score: float, *, how: str) -> None:
        row = int(self.rows[entry])
        if row not in hits or hits[row].score < score:
            hits[row] = SearchHit(row, self.raw[entry], float(score), how)

    def _fuzzy(self, hits: dict[int, SearchHit], key: str, limit: int, *, cutoff: float,
               include_adult: bool) -> None:
        """Typo-tolerant matches above `cutoff` (0-100): cheap candidates first, WRatio on those only.

        WRatio over every name costs ~30 ms; candidates are the 100 closest by plain edit ratio plus
        names containing one of the query's longer words, then WRatio ranks them, popularity breaks ties.
        """
        candidates = {e for _, _, e in process.extract(key, self.keys, scorer=fuzz.ratio, limit=100)}
        for word in {w for w in key.split() if len(w) >= 4}:
            candidates.update(self._substring(word)[0][:MAX_WORD_HITS].tolist())
        entries = np.fromiter(candidates, dtype=np.int64, count=len(candidates))
        entries = entries if include_adult else entries[~self.adult[entries]]
        scores = process.cdist([key], [self.keys[e] for e in entries], scorer=fuzz.WRatio)[0]
        keep = scores >= cutoff
        entries, scores = entries[keep], scores[keep]
        order = np.lexsort((-self.popularity[self.rows[entries]], -scores))[: limit * 3]
        for i in order:
            self._add(hits, entries[i], min(float(scores[i]), 89.0), how="fuzzy")

    def suggest(self, query: str, limit: int = 5, include_adult: bool = False) -> list[str]:
        """Closest names whatever their score, for 'did you mean' when nothing matched (adult ones only
        with `include_adult`)."""
        key = search_key(query[:self.max_query])
        if not key or not self.keys:
            return []
        found = process.extract(key, self.keys, scorer=fuzz.ratio, limit=limit * 6)
        names: list[str] = []
        for _, _, entry in found:
            if self.raw[entry] not in names and (include_adult or not self.adult[entry]):
                names.append(self.raw[entry])
        return names[:limit]
