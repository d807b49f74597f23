"""A new user described by liked / disliked anime and genres: fold-in, content and genre sources."""
from __future__ import annotations

import dataclasses

import numpy as np

from anime_recommender.recommend import explain as ex
from anime_recommender.recommend import sources as src
from anime_recommender.recommend.arrays import AnimeSpace
from anime_recommender.recommend.errors import RecommenderError
from anime_recommender.recommend.explain import Source
from anime_recommender.recommend.filters import Filters, model_mask
from anime_recommender.recommend.hybrid import blend_results
from anime_recommender.recommend.results import NewUserRecommendations

MAX_PICKS = 50
GENRE_WEIGHT = 0.5
POPULAR_WEIGHT = 0.3


def gram(factors: np.ndarray) -> np.ndarray:
    """AᵀA over all anime, computed once at load (d x d)."""
    f = factors.astype(np.float64)
    return f.T @ f


def fold_in(factors: np.ndarray, gram_matrix: np.ndarray, liked: np.ndarray, disliked: np.ndarray,
            alpha: float = 40.0, reg: float = 0.1) -> np.ndarray:
    """User vector u minimising Σ c_i (u·a_i − p_i)² + λ|u|² (implicit ALS fold-in, Hu et al. 2008).

    Every anime counts as a weak p=0 (confidence 1); liked ones p=+1 and disliked ones p=−1 with
    confidence 1+alpha, so a dislike pushes the user away from it rather than merely not towards it.
    """
    d = factors.shape[1]
    liked_f = factors[np.asarray(liked, dtype=np.int64)].astype(np.float64)
    disliked_f = factors[np.asarray(disliked, dtype=np.int64)].astype(np.float64)
    lam = reg * np.trace(gram_matrix) / d
    system = gram_matrix + alpha * (liked_f.T @ liked_f + disliked_f.T @ disliked_f) + lam * np.eye(d)
    target = (1.0 + alpha) * (liked_f.sum(axis=0) - disliked_f.sum(axis=0))
    return np.linalg.solve(system, target).astype(np.float32)


def _rows(space: AnimeSpace, ids: list[int]) -> np.ndarray:
    """Catalog rows of MAL ids, UnknownAnimeError on the first unknown one."""
    if len(ids) > MAX_PICKS:
        raise RecommenderError(f"at most {MAX_PICKS} liked or disliked anime (got {len(ids)})")
    return np.array([space.catalog.require(a) for a in ids], dtype=np.int64)


def _genre_cols(space: AnimeSpace, genres: list[str]) -> list[int]:
    names = space.catalog.genre_names
    unknown = [g for g in genres if g not in names]
    if unknown:
        raise RecommenderError(f"unknown genre {unknown[0]!r}; known genres: {', '.join(names)}")
    return [names.index(g) for g in genres]


def _sources(space: AnimeSpace, hybrid_weights: dict[str, float], liked_model: np.ndarray,
             disliked_model: np.ndarray, liked_cat: np.ndarray, cols: list[int]) -> tuple[src.Sources, dict]:
    out, weights, catalog = src.Sources(), {}, space.catalog
    if len(liked_model):
        user = fold_in(space.arrays.anime_factors, space.gram, liked_model, disliked_model)
        out.scores[Source.MODEL] = src.model_scores(space.arrays, user)
        src.add_content(out, space.arrays, liked_model)
        weights.update({k: hybrid_weights.get(k, 0.0) for k in (Source.MODEL, Source.CONTENT)})
    elif len(liked_cat):  # liked anime the model never saw: their synopsis and genres
        out.scores[Source.CONTENT] = space.text.similarity(liked_cat)[catalog.cat_row]
        weights[Source.CONTENT] = 1.0
    if cols:
        out.scores[Source.GENRES] = src.genre_match(catalog.genre_matrix[catalog.cat_row], cols)
        weights[Source.GENRES] = GENRE_WEIGHT
    if not len(liked_model):
        out.scores[Source.POPULAR] = space.popular
        weights[Source.POPULAR] = POPULAR_WEIGHT
    return out, weights


def new_user(space: AnimeSpace, hybrid_weights: dict[str, float], liked: list[int], disliked: list[int],
             genres: list[str], n: int, filters: Filters) -> NewUserRecommendations:
    """Recommend at once from picks; the picks themselves are never recommended back."""
    if not liked and not genres:
        raise RecommenderError("name at least one anime you like or pick a genre")
    catalog = space.catalog
    liked_cat, disliked_cat, cols = _rows(space, liked), _rows(space, disliked), _genre_cols(space, genres)
    liked_model, disliked_model = catalog.model_row[liked_cat], catalog.model_row[disliked_cat]
    liked_model, disliked_model = liked_model[liked_model >= 0], disliked_model[disliked_model >= 0]
    exclude = tuple(int(a) for a in (*liked, *disliked))
    mask = model_mask(catalog, dataclasses.replace(filters, exclude=filters.exclude + exclude))
    sources, weights = _sources(space, hybrid_weights, liked_model, disliked_model, liked_cat, cols)
    picks = np.concatenate([liked_cat, disliked_cat])  # the new user's list: a liked first season goes on
    results = blend_results(space, sources, weights, mask, n, genres, filters, picks)
    mode = "fold-in" if len(liked_model) else ("tfidf" if len(liked_cat) else "genres")
    note = ex.PICKS_UNSEEN_BY_MODEL if len(liked_cat) and not len(liked_model) else ""
    return NewUserRecommendations([ex.anime_info(catalog, r) for r in liked_cat],
                                  [ex.anime_info(catalog, r) for r in disliked_cat], list(genres),
                                  mode, results, note)
