"""Step 3 of every request, the scores: one score vector per source over model anime rows (model, users,
content, text, genres, popular) and the weights they are blended with."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from anime_recommender.recommend.catalog import Catalog
from anime_recommender.recommend.content import TextSimilarity, embedding_similarity
from anime_recommender.recommend.explain import Source
from anime_recommender.recommend.lists import Taste
from anime_recommender.recommend.users import History
from anime_recommender.recommend.vectors import UserVector

MAX_FAVOURITES = 50  # the top-rated favourites that drive content scores and explanations


@dataclass(frozen=True)
class ScoreTables:
    """What the sources read about the anime, by model row, built once at load."""

    factors: np.ndarray        # float32 (n_anime, d): score(u, a) = u · a + bias
    bias: np.ndarray           # float32 (n_anime,)
    embeddings: np.ndarray     # float32 (n_anime, d), unit rows: content similarity
    embeddings_t: np.ndarray   # its contiguous transpose, for max-over-favourites
    popular: np.ndarray        # float32 (n_anime,): weighted MAL rating (popularity_scores)
    text: TextSimilarity       # synopsis + genres over catalog rows, for anime the model never saw
    genres_weight: float           # serving.genres_weight (picked genres, where the path names none)
    popular_without_model: float   # serving.popular_without_model (beside a list the model knows none of)


@dataclass
class Scored:
    """Raw scores per source, their blend weights, and what the reasons need (favourites, neighbours)."""

    scores: dict[Source, np.ndarray] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    favourites: np.ndarray | None = None    # content: the favourites' model rows
    favourite_scores: dict[int, int] = field(default_factory=dict)  # favourite row -> their score (0 = none)
    stated: bool = False  # favourites were named as likes (picks, an imported list), not read from a history
    neighbour_counts: np.ndarray | None = None
    k: int = 0


def model_scores(factors: np.ndarray, bias: np.ndarray, user_vector: np.ndarray) -> np.ndarray:
    """score(u, a) = u · a + bias: ranks exactly like the trained model."""
    return factors @ user_vector + bias


def for_user(tables: ScoreTables, history: History, user: UserVector, *, weights: dict[str, float],
             neighbours) -> Scored:
    """Each weighted source of a trained user (`user.row`); `neighbours(row)` finds their similar users."""
    out = Scored(weights=weights)
    if weights.get(Source.MODEL, 0) > 0:
        out.scores[Source.MODEL] = model_scores(tables.factors, tables.bias, user.vector)
    if weights.get(Source.USERS, 0) > 0:
        rows, sims = neighbours(user.row)
        votes, counts = history.neighbour_scores(rows, sims, len(tables.factors))
        out.scores[Source.USERS] = np.where(counts > 0, votes, -np.inf).astype(np.float32)
        out.neighbour_counts, out.k = counts, len(rows)
    if weights.get(Source.CONTENT, 0) > 0:
        loved, ratings = history.loved(user.row)
        _add_content(out, tables, loved[:MAX_FAVOURITES], scores=ratings[:MAX_FAVOURITES])
    return out


def for_list(tables: ScoreTables, catalog: Catalog, taste: Taste, *, user: UserVector,
             path_weights: dict[str, float]) -> Scored:
    """The tower's scores and content for the favourites the model knows (as a trained user's page reads its
    loved titles), synopsis and genres for those it does not, picked genres, popular anime (beside the model
    when the path weighs them, alone without a vector)."""
    out = Scored(stated=True)
    known = catalog.model_row[taste.favourites] >= 0
    favourites_model = catalog.model_row[taste.favourites[known]]
    if user.vector is not None:
        out.scores[Source.MODEL] = model_scores(tables.factors, tables.bias, user.vector)
        out.weights[Source.MODEL] = path_weights.get(Source.MODEL, 0.0)
    if len(favourites_model):
        _add_content(out, tables, favourites_model[:MAX_FAVOURITES],
                     scores=taste.favourite_scores[known][:MAX_FAVOURITES])
        out.weights[Source.CONTENT] = path_weights.get(Source.CONTENT, 0.0)
        if not known.all():  # favourites the model never saw still shape the content side
            out.scores[Source.TEXT] = tables.text.similarity(taste.favourites[~known])[catalog.cat_row]
            out.weights[Source.TEXT] = path_weights.get(Source.CONTENT, 0.0) * float((~known).mean())
    elif len(taste.favourites):  # only favourites the model never saw: their synopsis and genres
        out.scores[Source.CONTENT] = tables.text.similarity(taste.favourites)[catalog.cat_row]
        out.weights[Source.CONTENT] = 1.0
    if taste.genres:
        out.scores[Source.GENRES] = genre_match(catalog.genre_matrix[catalog.cat_row], list(taste.genre_columns))
        out.weights[Source.GENRES] = path_weights.get(Source.GENRES, tables.genres_weight)
    if user.vector is None:
        out.scores[Source.POPULAR], out.weights[Source.POPULAR] = tables.popular, tables.popular_without_model
    elif path_weights.get(Source.POPULAR, 0.0) > 0:
        out.scores[Source.POPULAR], out.weights[Source.POPULAR] = tables.popular, path_weights[Source.POPULAR]
    return out


def _add_content(out: Scored, tables: ScoreTables, favourites: np.ndarray, *, scores: np.ndarray) -> None:
    """Max embedding similarity to any favourite (model rows); nothing when there are none.

    `scores` (the person's score of each favourite, 0 = none) only shapes the reasons.
    """
    if len(favourites) == 0:
        return
    out.scores[Source.CONTENT] = embedding_similarity(tables.embeddings, tables.embeddings_t, favourites)
    out.favourites = favourites
    out.favourite_scores = dict(zip(favourites.tolist(), np.asarray(scores).tolist(), strict=True))


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
