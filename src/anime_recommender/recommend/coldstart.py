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
from anime_recommender.recommend.lists import Taste
from anime_recommender.recommend.results import NewUserRecommendations

MAX_PICKS = 50
GENRE_WEIGHT = 0.5
POPULAR_WEIGHT = 0.3


def gram(factors: np.ndarray) -> np.ndarray:
    """AᵀA over all anime, computed once at load (d x d)."""
    f = factors.astype(np.float64)
    return f.T @ f


def fold_in(factors: np.ndarray, gram_matrix: np.ndarray, liked: np.ndarray, disliked: np.ndarray,
            alpha: float = 40.0, reg: float = 0.1, liked_weights: np.ndarray | None = None) -> np.ndarray:
    """User vector u minimising Σ c_i (u·a_i − p_i)² + λ|u|² (implicit ALS fold-in, Hu et al. 2008).

    Every anime counts as a weak p=0 (confidence 1); liked ones p=+1 with confidence 1+alpha·w (w = the
    like's weight, 1 by default) and disliked ones p=−1 with confidence 1+alpha, so a dislike pushes the
    user away from it rather than merely not towards it.
    """
    d = factors.shape[1]
    liked_f = factors[np.asarray(liked, dtype=np.int64)].astype(np.float64)
    disliked_f = factors[np.asarray(disliked, dtype=np.int64)].astype(np.float64)
    w = np.ones(len(liked_f)) if liked_weights is None else np.asarray(liked_weights, dtype=np.float64)
    lam = reg * np.trace(gram_matrix) / d
    system = gram_matrix + alpha * ((liked_f.T * w) @ liked_f + disliked_f.T @ disliked_f) + lam * np.eye(d)
    target = ((1.0 + alpha * w) @ liked_f) - (1.0 + alpha) * disliked_f.sum(axis=0)
    return np.linalg.solve(system, target).astype(np.float32)


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
                 exclude=np.concatenate([liked_cat, disliked_cat]), genres=tuple(genres))


@dataclass(frozen=True)
class TasteResults:
    """What the cold-start path found for a Taste: the mode it used, the results and a note."""

    mode: str   # fold-in | tfidf | genres | popular
    results: list[ex.Recommendation]
    note: str = ""


def recommend_taste(space: AnimeSpace, hybrid_weights: dict[str, float], taste: Taste, n: int,
                    filters: Filters) -> TasteResults:
    """Recommend at once from a Taste (picks, an imported list, a short history): fold-in, no retraining."""
    catalog = space.catalog
    mask = catalog_mask(catalog, filters)
    mask[taste.exclude] = False
    mask = mask[catalog.cat_row]
    known = catalog.model_row[taste.liked] >= 0
    sources, weights = _sources(space, hybrid_weights, taste, known)
    results = blend_results(space, sources, weights, mask, n, list(taste.genres), filters, taste.exclude)
    note = ex.PICKS_UNSEEN_BY_MODEL if len(taste.liked) and not known.any() else ""
    if not len(taste.liked) and not taste.genres:
        note = ex.NOTHING_LIKED
    return TasteResults(_mode(taste, known), results, note)


def _mode(taste: Taste, known: np.ndarray) -> str:
    if known.any():
        return "fold-in"
    return "tfidf" if len(taste.liked) else ("genres" if taste.genres else "popular")


def _sources(space: AnimeSpace, hybrid_weights: dict[str, float], taste: Taste,
             known: np.ndarray) -> tuple[src.Sources, dict]:
    """Fold-in and content for the likes the model knows, TF-IDF for those it does not, genres, popular."""
    out, weights, catalog = src.Sources(stated=True), {}, space.catalog
    liked_model = catalog.model_row[taste.liked[known]]
    if len(liked_model):
        disliked_model = catalog.model_row[taste.disliked]
        user = fold_in(space.arrays.anime_factors, space.gram, liked_model, disliked_model[disliked_model >= 0],
                       liked_weights=taste.weights[known])
        out.scores[Source.MODEL] = src.model_scores(space.arrays, user)
        src.add_content(out, space.arrays, liked_model[:src.MAX_FAVOURITES],
                        taste.scores[known][:src.MAX_FAVOURITES], stated=True)
        weights.update({k: hybrid_weights.get(k, 0.0) for k in (Source.MODEL, Source.CONTENT)})
        if not known.all():  # liked anime the model never saw still shape the content side
            out.scores[Source.TEXT] = space.text.similarity(taste.liked[~known])[catalog.cat_row]
            weights[Source.TEXT] = hybrid_weights.get(Source.CONTENT, 0.0) * float((~known).mean())
    elif len(taste.liked):  # only liked anime the model never saw: their synopsis and genres
        out.scores[Source.CONTENT] = space.text.similarity(taste.liked)[catalog.cat_row]
        weights[Source.CONTENT] = 1.0
    if taste.genres:
        cols = _genre_cols(catalog, taste.genres)
        out.scores[Source.GENRES] = src.genre_match(catalog.genre_matrix[catalog.cat_row], cols)
        weights[Source.GENRES] = GENRE_WEIGHT
    if not len(liked_model):
        out.scores[Source.POPULAR] = space.popular
        weights[Source.POPULAR] = POPULAR_WEIGHT
    return out, weights


def new_user(space: AnimeSpace, hybrid_weights: dict[str, float], liked: list[int], disliked: list[int],
             genres: list[str], n: int, filters: Filters) -> NewUserRecommendations:
    """Recommend at once from picks; the picks themselves are never recommended back."""
    catalog = space.catalog
    taste = picks_taste(catalog, liked, disliked, genres)
    found = recommend_taste(space, hybrid_weights, taste, n, filters)
    return NewUserRecommendations([ex.anime_info(catalog, r) for r in taste.liked],
                                  [ex.anime_info(catalog, r) for r in taste.disliked], list(genres),
                                  found.mode, found.results, found.note)
