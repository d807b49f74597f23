"""Blend of score lists: each source normalised over its own top candidates, weighted, then explained."""
from __future__ import annotations

import numpy as np

from anime_recommender.recommend import explain as ex
from anime_recommender.recommend import sources as src
from anime_recommender.recommend.arrays import AnimeSpace
from anime_recommender.recommend.explain import Source
from anime_recommender.recommend.filters import top_k

CANDIDATES = 200
FLOOR = 0.1  # the weakest candidate of a source still counts a little more than a non-candidate


def normalise(scores: np.ndarray, mask: np.ndarray, candidates: int = CANDIDATES) -> np.ndarray:
    """Min-max over a source's top candidates into [FLOOR, 1]; everything else 0."""
    out = np.zeros(len(scores), dtype=np.float32)
    rows = top_k(scores, mask & (scores > -np.inf), candidates)
    if len(rows) == 0:
        return out
    top = scores[rows]
    span = float(top[0] - top[-1])
    out[rows] = 1.0 if span <= 0 else FLOOR + (1 - FLOOR) * (top - top[-1]) / span
    return out


def blend(sources: dict[str, np.ndarray], weights: dict[str, float], mask: np.ndarray,
          candidates: int = CANDIDATES) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Weighted sum of normalised sources; returns the total and each weighted part."""
    parts = {
        name: np.float32(weights.get(name, 0.0)) * normalise(scores, mask, candidates)
        for name, scores in sources.items()
        if weights.get(name, 0.0) > 0
    }
    total = np.zeros(len(mask), dtype=np.float32)
    for part in parts.values():
        total += part
    return total, parts


def main_source(parts: dict[str, np.ndarray], row: int) -> str:
    """The source that contributed most to one result."""
    return max(parts, key=lambda name: parts[name][row])


def blend_results(space: AnimeSpace, sources: src.Sources, weights: dict[str, float], mask: np.ndarray,
                  n: int, genres: list[str] | None = None) -> list[ex.Recommendation]:
    """Blend the weighted sources, keep the n best allowed by `mask`, explain each."""
    total, parts = blend(sources.scores, weights, mask)
    if not parts:
        return []
    rows = top_k(total, mask & (total > 0), n)
    src.explain_favourites(sources, space.arrays, rows)
    out = []
    for r in rows:
        source = Source(main_source(parts, r))
        reason = _reason(space, r, source, sources, genres)
        out.append(_result(space, r, float(total[r]), source, reason, {k: float(v[r]) for k, v in parts.items()}))
    return out


def popular_results(space: AnimeSpace, mask: np.ndarray, n: int) -> list[ex.Recommendation]:
    """The n most popular top-rated anime allowed by `mask` (the fallback of every personal list)."""
    rows = top_k(space.popular, mask, n)
    return [_result(space, r, float(space.popular[r]), Source.POPULAR,
                    ex.popular_reason(ex.mal_score_of(space.catalog, space.catalog.cat_row[r]))) for r in rows]


def _result(space: AnimeSpace, row: int, score: float, source: Source, reason: str,
            components: dict[str, float] | None = None) -> ex.Recommendation:
    """One result for model row `row`."""
    info = ex.anime_info(space.catalog, space.catalog.cat_row[row])
    return ex.Recommendation(info, score, source, reason, components or {})


def _reason(space: AnimeSpace, row: int, source: Source, sources: src.Sources, genres: list[str] | None) -> str:
    """The facts the reason of one result needs, handed to explain.reason for the wording."""
    catalog = space.catalog
    favourite = None
    if row in sources.because:
        liked = sources.because[row]
        favourite = ex.Favourite(ex.title_of(catalog, catalog.cat_row[liked]),
                                 int(sources.favourite_scores.get(liked, 0)), sources.stated)
    neighbours = None if sources.neighbour_counts is None else int(sources.neighbour_counts[row])
    return ex.reason(source, favourite, neighbours, sources.k, genres,
                     ex.mal_score_of(catalog, catalog.cat_row[row]))
