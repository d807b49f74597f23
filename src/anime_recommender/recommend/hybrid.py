"""Blend of score lists: each source normalised over its own top candidates, weighted, then explained."""
from __future__ import annotations

import numpy as np

from anime_recommender.recommend import explain as ex
from anime_recommender.recommend import sources as src
from anime_recommender.recommend.arrays import AnimeSpace
from anime_recommender.recommend.explain import Source
from anime_recommender.recommend.filters import Filters, top_k
from anime_recommender.recommend.franchise import CANDIDATES_PER_ENTRY, Grouped, pick

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
                  n: int, genres: list[str] | None = None, filters: Filters | None = None,
                  seen_cat: np.ndarray = ()) -> list[ex.Recommendation]:
    """Blend the weighted sources, keep the n best allowed by `mask`, one per franchise, explain each.

    `filters` and `seen_cat` (catalog rows on the viewer's list) are for the franchise rules (franchise.pick).
    """
    total, parts = blend(discounted(space, sources.scores, filters), weights, mask)
    if not parts:
        return []
    picks = _pick(space, total, mask & (total > 0), n, filters, seen_cat)
    rows = space.catalog.model_row[[p.stands_for for p in picks]].astype(np.int64)
    src.explain_favourites(sources, space.arrays, rows)
    contributors = src.top_contributors(sources, space.arrays, rows)
    out = []
    for p, r in zip(picks, rows, strict=True):
        source = Source(main_source(parts, r))
        because = _because(space, sources, contributors.get(int(r), []))
        reason = _reason(space, r, source, sources, genres, because)
        out.append(_result(space, p, float(total[r]), source, reason, {k: float(v[r]) for k, v in parts.items()},
                           because))
    return out


def _because(space: AnimeSpace, sources: src.Sources, found: list[tuple[int, float]]) -> tuple[ex.Because, ...]:
    """Display records of the list entries (model rows) that drove one result, with their shares."""
    catalog = space.catalog

    def liked(row: int) -> bool:
        score = sources.pool_scores.get(row, 0)
        return score >= ex.HIGH_SCORE or (sources.stated and score == 0 and not sources.listed)
    return tuple(ex.Because(int(space.arrays.anime_ids[r]), ex.title_of(catalog, catalog.cat_row[r]), share,
                            liked(r)) for r, share in found)


def discounted(space: AnimeSpace, scores: dict, filters: Filters | None) -> dict:
    """The sources with the model's score lowered by β·ln(1 + train users of the anime) (β: the filters')."""
    beta = (filters.popularity_discount if filters else None) or 0.0
    if beta <= 0 or Source.MODEL not in scores:
        return scores
    return {**scores, Source.MODEL: scores[Source.MODEL] - np.float32(beta) * space.log_popularity}


def popular_results(space: AnimeSpace, mask: np.ndarray, n: int, filters: Filters | None = None,
                    seen_cat: np.ndarray = ()) -> list[ex.Recommendation]:
    """The n most popular top-rated anime allowed by `mask` (the fallback of every personal list)."""
    picks = _pick(space, space.popular, mask, n, filters, seen_cat)
    return [_result(space, p, float(space.popular[space.catalog.model_row[p.stands_for]]), Source.POPULAR,
                    ex.popular_reason(ex.mal_score_of(space.catalog, p.row))) for p in picks]


def _pick(space: AnimeSpace, scores: np.ndarray, mask: np.ndarray, n: int, filters: Filters | None,
          seen_cat: np.ndarray) -> list[Grouped]:
    """Rank model rows by `scores`, then let the franchise rules choose the n entries shown."""
    ranked = top_k(scores, mask, n * CANDIDATES_PER_ENTRY)
    return pick(space.franchises, space.catalog, space.catalog.cat_row[ranked], n, filters or Filters(), seen_cat)


def _result(space: AnimeSpace, shown: Grouped, score: float, source: Source, reason: str,
            components: dict[str, float] | None = None, because: tuple[ex.Because, ...] = ()) -> ex.Recommendation:
    """One result: the anime shown, scored and explained by the candidate it stands for (its franchise's best)."""
    return ex.Recommendation(ex.anime_info(space.catalog, shown.row), score, source, reason, components or {},
                             shown.more, ex.series_note(shown.row != shown.stands_for, shown.started), because)


def _reason(space: AnimeSpace, row: int, source: Source, sources: src.Sources, genres: list[str] | None,
            because: tuple[ex.Because, ...] = ()) -> str:
    """The facts the reason of one result needs, handed to explain.reason for the wording."""
    catalog = space.catalog
    favourite = None
    if row in sources.because:
        liked = sources.because[row]
        favourite = ex.Favourite(ex.title_of(catalog, catalog.cat_row[liked]),
                                 int(sources.favourite_scores.get(liked, 0)), sources.stated)
    neighbours = None if sources.neighbour_counts is None else int(sources.neighbour_counts[row])
    return ex.reason(source, favourite, neighbours, sources.k, genres,
                     ex.mal_score_of(catalog, catalog.cat_row[row]), because)
