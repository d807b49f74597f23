"""Step 4 of every request, filters and franchise rules: the sources blended (each normalised over its own
top candidates, weighted), ranked over what the request may show, one entry per franchise; the popular
fallback decided and scored here, once for every path."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from anime_recommender.recommend.catalog import Catalog
from anime_recommender.recommend.explain import Source
from anime_recommender.recommend.filters import Request, allowed, top_k
from anime_recommender.recommend.franchise import CANDIDATES_PER_ENTRY, Franchises, Grouped, pick
from anime_recommender.recommend.sources import Scored

CANDIDATES = 200
FLOOR = 0.1  # the weakest candidate of a source still counts a little more than a non-candidate


@dataclass(frozen=True)
class Shelf:
    """What ranking reads besides a request's scores: the catalog (filters), the franchises (one entry each),
    the popular score (the fallback) and what the popularity discount multiplies per anime."""

    catalog: Catalog
    franchises: Franchises | None   # over catalog rows; None: lists are never grouped by franchise
    popular: np.ndarray             # float32 per model anime row
    discount_basis: np.ndarray      # float32 per model anime row: what the popularity discount β multiplies


@dataclass(frozen=True)
class Ranked:
    """The entries chosen for a request and the scores behind them (over model rows)."""

    picks: list[Grouped]
    total: np.ndarray                 # the blended score, or the popular score when `popular`
    parts: dict[str, np.ndarray] = field(default_factory=dict)  # each source's weighted part of `total`
    popular: bool = False             # the popular fallback: no personal scores, or none passed the filters


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
          *, candidates: int = CANDIDATES) -> tuple[np.ndarray, dict[str, np.ndarray]]:
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


def rank(shelf: Shelf, scored: Scored | None, request: Request, *, fallback: bool = True) -> Ranked:
    """The request's entries by the blended scores; popular anime instead when there are no scores (`None`:
    the popular mode, a short history) or, with `fallback`, when no blended candidate passes the filters."""
    mask = allowed(shelf.catalog, request)
    if scored is not None:
        total, parts = blend(discounted(shelf, scored.scores, request), scored.weights, mask)
        picks = _pick(shelf, total, mask & (total > 0), request=request) if parts else []
        if picks or not fallback:
            return Ranked(picks=picks, total=total, parts=parts)
    return Ranked(picks=_pick(shelf, shelf.popular, mask, request=request), total=shelf.popular, popular=True)


def discounted(shelf: Shelf, scores: dict, request: Request) -> dict:
    """The sources with the model's score lowered by β × the discount basis of each anime (β: the filters';
    the basis: serving.popularity_shape, e.g. ln(1 + train users))."""
    beta = request.filters.popularity_discount or 0.0
    if beta <= 0 or Source.MODEL not in scores:
        return scores
    return {**scores, Source.MODEL: scores[Source.MODEL] - np.float32(beta) * shelf.discount_basis}


def _pick(shelf: Shelf, scores: np.ndarray, mask: np.ndarray, *, request: Request) -> list[Grouped]:
    """Rank model rows by `scores`, then let the franchise rules choose the entries shown."""
    ranked = top_k(scores, mask, request.n * CANDIDATES_PER_ENTRY)
    return pick(shelf.franchises, shelf.catalog, shelf.catalog.cat_row[ranked], request=request)
