"""Recommendations without retraining for anyone the model has no vector for: picks, a list, a short history."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from anime_recommender.recommend import explain as ex
from anime_recommender.recommend import sources as src
from anime_recommender.recommend.arrays import AnimeSpace
from anime_recommender.recommend.catalog import Catalog
from anime_recommender.recommend.errors import RecommenderError
from anime_recommender.recommend.explain import Source
from anime_recommender.recommend.filters import Filters, catalog_mask
from anime_recommender.recommend.hybrid import blend_results
from anime_recommender.recommend.lists import COMPLETED, Taste
from anime_recommender.recommend.results import NewUserRecommendations
from anime_recommender.recommend.tower import entry_weights

MAX_PICKS = 50
GENRE_WEIGHT = 0.5
POPULAR_WEIGHT = 0.3


def _rows(catalog: Catalog, ids: list[int]) -> np.ndarray:
    """Catalog rows of MAL ids, UnknownAnimeError on the first unknown one."""
    if len(ids) > MAX_PICKS:
        raise RecommenderError(f"at most {MAX_PICKS} liked or disliked anime (got {len(ids)})")
    return np.array([catalog.require(a) for a in ids], dtype=np.int64)


def _genre_cols(catalog: Catalog, genres: tuple[str, ...]) -> list[int]:
    names = catalog.genre_names
    unknown = [g for g in genres if g not in names]
    if unknown:
        raise RecommenderError(f"unknown genre {unknown[0]!r}; known genres: {', '.join(names)}")
    return [names.index(g) for g in genres]


def picks_taste(catalog: Catalog, liked: list[int], disliked: list[int], genres: list[str]) -> Taste:
    """The new-user form's picks as a Taste: plain likes and dislikes, both kept out of the results."""
    if not liked and not genres:
        raise RecommenderError("name at least one anime you like or pick a genre")
    liked_cat, disliked_cat = _rows(catalog, liked), _rows(catalog, disliked)
    _genre_cols(catalog, tuple(genres))
    return Taste(liked=liked_cat, weights=np.ones(len(liked_cat), np.float32),
                 scores=np.zeros(len(liked_cat), np.int8), disliked=disliked_cat,
                 exclude=np.concatenate([liked_cat, disliked_cat]), genres=tuple(genres), entries=liked_cat,
                 entry_scores=np.zeros(len(liked_cat), np.int8),
                 entry_statuses=np.full(len(liked_cat), COMPLETED, np.int8), picks=True)


@dataclass(frozen=True)
class TasteResults:
    """What the cold-start path found for a Taste: the mode it used, the results and a note."""

    mode: str   # model | tfidf | genres | popular
    results: list[ex.Recommendation]
    note: str = ""


def recommend_taste(space: AnimeSpace, hybrid_weights: dict[str, float], taste: Taste, n: int,
                    filters: Filters, strength: float = 1.0) -> TasteResults:
    """Recommend at once from a Taste (picks, an imported list, a short history): the list pooled by the
    model's user tower, no retraining; `strength` scales the user vector against each anime's bias."""
    catalog = space.catalog
    mask = catalog_mask(catalog, filters)
    mask[taste.exclude] = False
    mask = mask[catalog.cat_row]
    pool_rows, pool_weights = pooled(space, taste)
    sources, weights = _sources(space, hybrid_weights, taste, pool_rows, pool_weights, strength)
    results = blend_results(space, sources, weights, mask, n, list(taste.genres), filters, taste.exclude)
    note = ex.PICKS_UNSEEN_BY_MODEL if len(taste.liked) and not len(pool_rows) else ""
    if not len(taste.liked) and not taste.genres:
        note = ex.NOTHING_LIKED
    return TasteResults(_mode(taste, Source.MODEL in sources.scores), results, note)


def pooled(space: AnimeSpace, taste: Taste) -> tuple[np.ndarray, np.ndarray]:
    """Model rows and weights of the list entries the tower pools (known to the model, weight > 0)."""
    rows = space.catalog.model_row[taste.entries]
    weights = entry_weights(taste.entry_scores, taste.entry_statuses)
    keep = (rows >= 0) & (weights > 0)
    return rows[keep].astype(np.int64), weights[keep]


def list_vector(space: AnimeSpace, taste: Taste) -> np.ndarray | None:
    """The user vector of a Taste's list (UserTower.list_vectors); None when the model knows none of it."""
    rows = space.catalog.model_row[taste.entries]
    known = rows >= 0
    if not (known & (entry_weights(taste.entry_scores, taste.entry_statuses) > 0)).any():
        return None
    return space.arrays.tower.list_vectors(np.array([0, int(known.sum())]), rows[known],
                                           taste.entry_scores[known], taste.entry_statuses[known])[0]


def _mode(taste: Taste, modelled: bool) -> str:
    if modelled:
        return "model"
    return "tfidf" if len(taste.liked) else ("genres" if taste.genres else "popular")


def _sources(space: AnimeSpace, hybrid_weights: dict[str, float], taste: Taste, pool_rows: np.ndarray,
             pool_weights: np.ndarray, strength: float = 1.0) -> tuple[src.Sources, dict]:
    """The tower's scores and content for the likes the model knows, TF-IDF for those it does not, genres,
    popular."""
    out, weights, catalog = src.Sources(stated=True), {}, space.catalog
    known = catalog.model_row[taste.liked] >= 0
    liked_model = catalog.model_row[taste.liked[known]]
    user = list_vector(space, taste) if len(pool_rows) else None
    if user is not None:
        out.scores[Source.MODEL] = src.model_scores(space.arrays, np.float32(strength) * user)
        out.pool_rows, out.pool_weights, out.listed = pool_rows, pool_weights, not taste.picks
        out.pool_scores = dict(zip(catalog.model_row[taste.entries].tolist(), taste.entry_scores.tolist(),
                                   strict=True))
        weights[Source.MODEL] = hybrid_weights.get(Source.MODEL, 0.0)
    if len(liked_model):
        src.add_content(out, space.arrays, liked_model[:src.MAX_FAVOURITES],
                        taste.scores[known][:src.MAX_FAVOURITES], stated=True)
        weights[Source.CONTENT] = hybrid_weights.get(Source.CONTENT, 0.0)
        if not known.all():  # liked anime the model never saw still shape the content side
            out.scores[Source.TEXT] = space.text.similarity(taste.liked[~known])[catalog.cat_row]
            weights[Source.TEXT] = hybrid_weights.get(Source.CONTENT, 0.0) * float((~known).mean())
    elif len(taste.liked):  # only liked anime the model never saw: their synopsis and genres
        out.scores[Source.CONTENT] = space.text.similarity(taste.liked)[catalog.cat_row]
        weights[Source.CONTENT] = 1.0
    if taste.genres:
        cols = _genre_cols(catalog, taste.genres)
        out.scores[Source.GENRES] = src.genre_match(catalog.genre_matrix[catalog.cat_row], cols)
        weights[Source.GENRES] = hybrid_weights.get(Source.GENRES, GENRE_WEIGHT)
    if user is None:
        out.scores[Source.POPULAR] = space.popular
        weights[Source.POPULAR] = POPULAR_WEIGHT
    elif hybrid_weights.get(Source.POPULAR, 0.0) > 0:
        out.scores[Source.POPULAR] = space.popular
        weights[Source.POPULAR] = hybrid_weights[Source.POPULAR]
    return out, weights


def new_user(space: AnimeSpace, hybrid_weights: dict[str, float], liked: list[int], disliked: list[int],
             genres: list[str], n: int, filters: Filters, strength: float = 1.0) -> NewUserRecommendations:
    """Recommend at once from picks; the picks themselves are never recommended back."""
    catalog = space.catalog
    taste = picks_taste(catalog, liked, disliked, genres)
    found = recommend_taste(space, hybrid_weights, taste, n, filters, strength)
    return NewUserRecommendations([ex.anime_info(catalog, r) for r in taste.liked],
                                  [ex.anime_info(catalog, r) for r in taste.disliked], list(genres),
                                  found.mode, found.results, found.note)
