"""A new user described by liked / disliked anime and genres: fold-in, content and genre sources."""
from __future__ import annotations

import dataclasses

import numpy as np

from anime_recommender.recommend import explain as ex
from anime_recommender.recommend import sources as src
from anime_recommender.recommend.errors import RecommenderError
from anime_recommender.recommend.filters import Filters, model_mask
from anime_recommender.recommend.newuser import fold_in
from anime_recommender.recommend.results import NewUserRecommendations

MAX_PICKS = 50
GENRE_WEIGHT = 0.5
POPULAR_WEIGHT = 0.3


def _rows(rec, ids: list[int]) -> np.ndarray:
    """Catalog rows of MAL ids, UnknownAnimeError on the first unknown one."""
    if len(ids) > MAX_PICKS:
        raise RecommenderError(f"at most {MAX_PICKS} liked or disliked anime (got {len(ids)})")
    return np.array([rec.cat_row_of(a) for a in ids], dtype=np.int64)


def _genre_cols(rec, genres: list[str]) -> list[int]:
    unknown = [g for g in genres if g not in rec.catalog.genre_names]
    if unknown:
        raise RecommenderError(f"unknown genre {unknown[0]!r}; known genres: {', '.join(rec.catalog.genre_names)}")
    return [rec.catalog.genre_names.index(g) for g in genres]


def _sources(rec, liked_model: np.ndarray, disliked_model: np.ndarray, liked_cat: np.ndarray,
             cols: list[int]) -> tuple[src.Sources, dict[str, float]]:
    out, weights = src.Sources(), {}
    if len(liked_model):
        user = fold_in(rec.m.anime_factors, rec.gram_matrix, liked_model, disliked_model)
        out.scores["model"] = src.model_scores(rec.m, user)
        src.add_content(out, rec.m, liked_model)
        weights.update({k: rec.cfg.hybrid_weights.get(k, 0.0) for k in ("model", "content")})
    elif len(liked_cat):  # liked anime the model never saw: their synopsis and genres
        out.scores["content"] = rec.text.similarity(liked_cat)[rec.catalog.cat_row]
        weights["content"] = 1.0
    if cols:
        out.scores["genres"] = src.genre_match(rec.catalog.genre_matrix[rec.catalog.cat_row], cols)
        weights["genres"] = GENRE_WEIGHT
    if not len(liked_model):
        out.scores["popular"] = rec.popular_scores
        weights["popular"] = POPULAR_WEIGHT
    return out, weights


def new_user(rec, liked: list[int], disliked: list[int], genres: list[str], n: int,
             filters: Filters) -> NewUserRecommendations:
    """Recommend at once from picks; the picks themselves are never recommended back."""
    if not liked and not genres:
        raise RecommenderError("name at least one anime you like or pick a genre")
    liked_cat, disliked_cat, cols = _rows(rec, liked), _rows(rec, disliked), _genre_cols(rec, genres)
    liked_model = rec.catalog.model_row[liked_cat]
    disliked_model = rec.catalog.model_row[disliked_cat]
    liked_model, disliked_model = liked_model[liked_model >= 0], disliked_model[disliked_model >= 0]
    exclude = tuple(int(a) for a in (*liked, *disliked))
    mask = model_mask(rec.catalog, dataclasses.replace(filters, exclude=filters.exclude + exclude))
    sources, weights = _sources(rec, liked_model, disliked_model, liked_cat, cols)
    results = rec.blend_results(sources, weights, mask, n, genres)
    mode = "fold-in" if len(liked_model) else ("tfidf" if len(liked_cat) else "genres")
    info = [ex.anime_info(rec.catalog, r) for r in liked_cat]
    note = ""
    if len(liked_cat) and not len(liked_model):
        note = "the model has not seen these anime yet: matched by synopsis and genres"
    return NewUserRecommendations(info, [ex.anime_info(rec.catalog, r) for r in disliked_cat], list(genres),
                                  mode, results, note)
