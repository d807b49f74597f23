"""Result filters as boolean masks over catalog arrays (no pandas on the request path)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from anime_recommender.recommend.catalog import Catalog


@dataclass(frozen=True)
class Filters:
    """What a viewer may narrow results by; empty means no restriction."""

    genres: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    year_min: int | None = None
    year_max: int | None = None
    min_score: float | None = None
    include_adult: bool = False
    exclude: tuple[int, ...] = field(default=())  # MAL ids to leave out (e.g. a new user's own picks)
    group_franchises: bool = True  # one entry per franchise, entry points first (recommend/franchise.py)
    seen: tuple[int, ...] = field(default=())  # MAL ids the viewer marked "Seen it": left out, and watched
                                               # for the franchise order (a next entry goes on from them)
    popularity_discount: float | None = None  # β: model score − β·ln(1 + users); None = serving's default

    def __post_init__(self):
        if self.min_score is not None and (math.isnan(self.min_score) or not 0 <= self.min_score <= 10):
            raise ValueError(f"min_score must be between 0 and 10 (got {self.min_score})")
        if self.year_min is not None and self.year_max is not None and self.year_min > self.year_max:
            raise ValueError(f"year range is empty: from {self.year_min} to {self.year_max}")
        if self.popularity_discount is not None and not 0 <= self.popularity_discount < math.inf:
            raise ValueError(f"popularity_discount must be 0 or more (got {self.popularity_discount})")


@dataclass(frozen=True)
class Request:
    """What one answer may show: the viewer's filters, how many entries, and the catalog rows on their list
    (an import's entries, a new user's picks), which never come back and let a started series go on."""

    filters: Filters
    n: int
    listed: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def catalog_mask(catalog: Catalog, filters: Filters) -> np.ndarray:
    """True for catalog rows that pass every filter."""
    mask = np.ones(len(catalog.anime_id), dtype=bool)
    if not filters.include_adult:
        mask &= ~catalog.is_adult
    if filters.genres:
        cols = [catalog.genre_names.index(g) for g in filters.genres if g in catalog.genre_names]
        if len(cols) < len(filters.genres):
            mask[:] = False  # a genre nobody has: nothing can match
        else:
            mask &= catalog.genre_matrix[:, cols].all(axis=1)
    if filters.types:
        mask &= np.isin(catalog.type, list(filters.types))
    if filters.year_min is not None:
        mask &= catalog.year >= filters.year_min
    if filters.year_max is not None:
        mask &= catalog.year <= filters.year_max
    if filters.min_score is not None:
        mask &= catalog.score >= filters.min_score
    mask[catalog.rows_of(filters.exclude + filters.seen)] = False
    return mask


def model_mask(catalog: Catalog, filters: Filters) -> np.ndarray:
    """The catalog mask restricted to model anime rows."""
    return catalog_mask(catalog, filters)[catalog.cat_row]


def allowed(catalog: Catalog, request: Request) -> np.ndarray:
    """Model anime rows a request may show: every filter passed, nothing on the viewer's list."""
    mask = catalog_mask(catalog, request.filters)
    mask[request.listed] = False
    return mask[catalog.cat_row]


def check_n(n: int, max_n: int) -> int:
    """Validate a result count: an int in [1, max_n] (serving.max_n)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= max_n:
        raise ValueError(f"n must be an integer between 1 and {max_n} (got {n!r})")
    return int(n)


def top_k(scores: np.ndarray, mask: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best scores where mask is True, best first (argpartition, then sort)."""
    valid = np.flatnonzero(mask)
    if len(valid) == 0:
        return valid
    sub = scores[valid]
    part = np.argpartition(-sub, k - 1)[:k] if k < len(valid) else np.arange(len(valid))
    order = part[np.argsort(-sub[part], kind="stable")]
    return valid[order]
