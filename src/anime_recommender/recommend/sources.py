"""Per-source score vectors over model anime rows (model, users, content, popular, genres)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from anime_recommender.recommend.arrays import ModelArrays
from anime_recommender.recommend.content import closest_favourite, embedding_similarity
from anime_recommender.recommend.explain import Source
from anime_recommender.recommend.tower import entry_weights

MAX_FAVOURITES = 50  # the top-rated favourites that drive content scores and explanations


@dataclass
class Sources:
    """Raw scores per source plus what explanations need (who liked it, because of which favourite)."""

    scores: dict[Source, np.ndarray] = field(default_factory=dict)
    favourites: np.ndarray | None = None    # content: the favourites' model rows
    because: dict[int, int] = field(default_factory=dict)  # shown result row -> closest favourite row
    favourite_scores: dict[int, int] = field(default_factory=dict)  # favourite row -> their score (0 = none)
    stated: bool = False  # favourites were named as likes (picks, an imported list), not read from a history
    neighbour_counts: np.ndarray | None = None
    k: int = 0
    pool_rows: np.ndarray | None = None     # model: the list entries the user vector pools (model rows)
    pool_weights: np.ndarray | None = None  # and their pooling weights (recommend/tower.py)
    pool_scores: dict[int, int] = field(default_factory=dict)  # pooled row -> the person's score (0 = none)
    listed: bool = False  # the pool is a whole list (an import), not a few named likes


def model_scores(m: ModelArrays, user_vector: np.ndarray) -> np.ndarray:
    """score(u, a) = u · a + bias: ranks exactly like the trained model."""
    return m.anime_factors @ user_vector + m.anime_bias


def user_sources(m: ModelArrays, row: int, weights: dict[str, float], k: int, neighbours) -> Sources:
    """Scores of each weighted source for a known user row; `neighbours(row, k)` finds similar users."""
    out = Sources()
    if weights.get(Source.MODEL, 0) > 0:
        out.scores[Source.MODEL] = model_scores(m, m.user_factors[row])
        items, ratings = m.history.items(row)
        out.pool_rows, out.pool_weights = items.astype(np.int64), entry_weights(ratings)
        out.pool_scores = dict(zip(items.tolist(), ratings.tolist(), strict=True))
    if weights.get(Source.USERS, 0) > 0:
        rows, sims = neighbours(row, k)
        votes, counts = m.history.neighbour_scores(rows, sims, len(m.anime_ids))
        out.scores[Source.USERS] = np.where(counts > 0, votes, -np.inf).astype(np.float32)
        out.neighbour_counts, out.k = counts, len(rows)
    if weights.get(Source.CONTENT, 0) > 0:
        loved, ratings = m.history.loved(row)
        add_content(out, m, loved[:MAX_FAVOURITES], ratings[:MAX_FAVOURITES])
    return out


def add_content(out: Sources, m: ModelArrays, favourites: np.ndarray, scores: np.ndarray | None = None,
                stated: bool = False) -> None:
    """Max embedding similarity to any favourite (model rows); nothing when there are none.

    `scores` (the person's score of each favourite, 0 = none) and `stated` only shape the explanations.
    """
    if len(favourites) == 0:
        return
    out.scores[Source.CONTENT] = embedding_similarity(m.anime_embeddings, m.anime_embeddings_t, favourites)
    out.favourites = favourites
    scores = np.zeros(len(favourites), np.int64) if scores is None else scores
    out.favourite_scores = dict(zip(favourites.tolist(), np.asarray(scores).tolist(), strict=True))
    out.stated = stated


def explain_favourites(out: Sources, m: ModelArrays, rows: np.ndarray) -> None:
    """Find, for the shown results only, which favourite each is closest to."""
    if out.favourites is not None and len(rows):
        closest = closest_favourite(m.anime_embeddings, rows, out.favourites)
        out.because = dict(zip(rows.tolist(), closest.tolist(), strict=True))


def top_contributors(out: Sources, m: ModelArrays, rows: np.ndarray, most: int = 3) -> dict[int, list]:
    """For each shown model row, up to `most` (pooled row, share) of the list entries with the largest
    positive parts of its model score (tower.contributions: exact), shares of the positive parts."""
    if out.pool_rows is None or not len(out.pool_rows) or not len(rows) or m.tower is None:
        return {}
    parts = m.tower.contributions(out.pool_rows, out.pool_weights, m.anime_factors[rows])
    found = {}
    for column, row in enumerate(rows.tolist()):
        part = parts[:, column]
        positive = float(part[part > 0].sum())
        best = np.argsort(-part, kind="stable")[:most]
        found[row] = [(int(out.pool_rows[j]), float(part[j]) / positive) for j in best if part[j] > 0]
    return found


def genre_match(genre_matrix: np.ndarray, cols: list[int]) -> np.ndarray:
    """Share of the picked genres each anime has (0..1)."""
    return genre_matrix[:, cols].mean(axis=1).astype(np.float32)


def popularity_scores(mal_score: np.ndarray, train_count: np.ndarray) -> np.ndarray:
    """Weighted rating (IMDb formula): MAL score shrunk to the mean by how many of our users watched it."""
    count = np.asarray(train_count, dtype=np.float64)
    score = np.asarray(mal_score, dtype=np.float64)
    mean = np.nanmean(score) if np.isfinite(score).any() else 0.0
    score = np.where(np.isfinite(score), score, mean)
    prior = max(float(np.percentile(count, 75)) if len(count) else 1.0, 1.0)
    weighted = count / (count + prior) * score + prior / (count + prior) * mean
    return (weighted + 1e-3 * np.log1p(count)).astype(np.float32)
