"""The recommendation engine: loads a published run once, answers every mode with numpy (no Flask)."""
from __future__ import annotations

import functools
import logging
from pathlib import Path

import numpy as np

from anime_recommender.artifacts import load_run
from anime_recommender.config import ServingConfig
from anime_recommender.recommend import explain as ex
from anime_recommender.recommend import sources as src
from anime_recommender.recommend.catalog import Catalog, build_catalog
from anime_recommender.recommend.coldstart import new_user
from anime_recommender.recommend.content import METHOD_LABELS, TextSimilarity
from anime_recommender.recommend.errors import RecommenderError, UnknownAnimeError, UnknownUserError
from anime_recommender.recommend.filters import Filters, check_n, model_mask, top_k
from anime_recommender.recommend.hybrid import blend, main_source
from anime_recommender.recommend.model import ModelArrays, load_arrays
from anime_recommender.recommend.neighbours import UserIndex
from anime_recommender.recommend.newuser import gram, popularity_scores
from anime_recommender.recommend.results import (
    NewUserRecommendations,
    SearchResults,
    SimilarAnime,
    UserProfile,
    UserRecommendations,
)
from anime_recommender.recommend.search import TitleIndex
from anime_recommender.recommend.similar import similar_rows
from anime_recommender.recommend.users import genre_profile

__all__ = ["Filters", "Recommender", "RecommenderError", "UnknownAnimeError", "UnknownUserError"]
log = logging.getLogger(__name__)
MODES = ("hybrid", "model", "users", "content", "popular")


class Recommender:
    """Every recommendation mode over one published run; build with `Recommender.load(dir)`."""

    def __init__(self, arrays: ModelArrays, catalog: Catalog, cfg: ServingConfig | None = None):
        self.m, self.catalog, self.cfg = arrays, catalog, cfg or ServingConfig()
        self.titles = TitleIndex(catalog)
        self.text = TextSimilarity(catalog)
        self.gram_matrix = gram(arrays.anime_factors)
        self.popular_scores = popularity_scores(catalog.score[catalog.cat_row], arrays.popularity)
        self.user_index = UserIndex(arrays.user_embeddings)
        self._neighbours = functools.lru_cache(maxsize=4096)(self.user_index.search)

    @classmethod
    def load(cls, artifacts_dir: str | Path, serving_cfg: ServingConfig | None = None) -> Recommender:
        """Open the current run of `artifacts_dir` (checksums verified) and index it."""
        run = load_run(artifacts_dir)
        arrays = load_arrays(run)
        catalog = build_catalog(run.frame("catalog"), arrays.anime_ids)
        log.info("loaded run %s: %d users x %d anime, catalog %d", run.run_id, len(arrays.user_ids),
                 len(arrays.anime_ids), len(catalog.anime_id))
        return cls(arrays, catalog, serving_cfg)

    @property
    def run_id(self) -> str:
        return self.m.run_id

    @property
    def genres(self) -> list[str]:
        return self.catalog.genre_names

    @property
    def types(self) -> list[str]:
        return self.catalog.types

    # --- look-ups -------------------------------------------------------------------------------
    def _user_row(self, user_id: int) -> int:
        row = self.m.user_row(int(user_id))
        if row is None:
            raise UnknownUserError(user_id)
        return row

    def cat_row_of(self, anime_id: int) -> int:
        """Catalog row of a MAL id; UnknownAnimeError when absent."""
        row = self.catalog.row(anime_id) if -(2**63) <= int(anime_id) < 2**63 else None
        if row is None:
            raise UnknownAnimeError(int(anime_id))
        return row

    def _filters(self, filters: Filters | None) -> Filters:
        return filters or Filters(include_adult=self.cfg.show_adult)

    def _n(self, n: int | None) -> int:
        return check_n(self.cfg.default_n if n is None else n, self.cfg.max_n)

    def anime(self, anime_id: int) -> ex.AnimeInfo:
        """Details of one anime; UnknownAnimeError when it is not in the catalog."""
        return ex.anime_info(self.catalog, self.cat_row_of(anime_id))

    def knows_user(self, user_id: int) -> bool:
        return self.m.user_row(int(user_id)) is not None

    # --- model ranking --------------------------------------------------------------------------
    def recommend_for_user(self, user_id: int, n: int = 10, exclude_seen: bool = True) -> list[tuple[int, float]]:
        """Top-n (anime_id, score) by the model's own score, seen anime excluded, adult hidden by config."""
        n, row = self._n(n), self._user_row(user_id)
        scores = src.model_scores(self.m, self.m.user_factors[row])
        mask = model_mask(self.catalog, self._filters(None))
        if exclude_seen:
            mask[self.m.history.items(row)[0]] = False
        rows = top_k(scores, mask, n)
        return [(int(self.m.anime_ids[r]), float(scores[r])) for r in rows]

    # --- known users ----------------------------------------------------------------------------
    def recommend(self, user_id: int, n: int | None = None, filters: Filters | None = None,
                  mode: str = "hybrid") -> UserRecommendations:
        """Recommendations for a known user in one mode (hybrid by default), each with its reason."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)} (got {mode!r})")
        n, row = self._n(n), self._user_row(user_id)
        mask = model_mask(self.catalog, self._filters(filters))
        seen = self.m.history.items(row)[0]
        mask[seen] = False
        note = ""
        if mode != "popular" and len(seen) < self.cfg.min_history_for_model:
            mode, note = "popular", (f"user {user_id} has only {len(seen)} anime on their list: showing "
                                     "top-rated popular anime they have not seen")
        if mode == "popular":
            return UserRecommendations(int(user_id), mode, self._popular_results(mask, n), note)
        weights = self.cfg.hybrid_weights if mode == "hybrid" else {mode: 1.0}
        sources = src.user_sources(self.m, row, weights, self.cfg.similar_users, self._neighbours)
        results = self.blend_results(sources, weights, mask, n)
        if not results:
            note = note or "no personalised candidates pass these filters: showing popular anime instead"
            results = self._popular_results(mask, n)
        return UserRecommendations(int(user_id), mode, results, note)

    def _popular_results(self, mask: np.ndarray, n: int) -> list[ex.Recommendation]:
        rows = top_k(self.popular_scores, mask, n)
        return [self._rec(r, float(self.popular_scores[r]), ex.POPULAR,
                          ex.popular_reason(ex.mal_score_of(self.catalog, self.catalog.cat_row[r])))
                for r in rows]

    def blend_results(self, sources: src.Sources, weights: dict[str, float], mask: np.ndarray,
                      n: int, genres: list[str] | None = None) -> list[ex.Recommendation]:
        """Blend the weighted sources, keep the n best allowed by `mask`, explain each."""
        total, parts = blend(sources.scores, weights, mask)
        if not parts:
            return []
        rows = top_k(total, mask & (total > 0), n)
        src.explain_favourites(sources, self.m, rows)
        return [self._rec(r, float(total[r]), main_source(parts, r), "", sources, parts, genres) for r in rows]

    def _rec(self, row: int, score: float, source: str, reason: str, sources: src.Sources | None = None,
             parts: dict | None = None, genres: list[str] | None = None) -> ex.Recommendation:
        """One result for model row `row`, with its explanation."""
        info = ex.anime_info(self.catalog, self.catalog.cat_row[row])
        if not reason:
            reason = self._reason(row, source, sources, genres)
        components = {k: float(v[row]) for k, v in (parts or {}).items()}
        return ex.Recommendation(info, score, source, reason, components)

    def _reason(self, row: int, source: str, sources: src.Sources, genres: list[str] | None) -> str:
        """The one-line why of a result, from the source that contributed most."""
        favourite = self._favourite(row, sources)
        if source == ex.CONTENT:
            return ex.because_liked(favourite) if favourite else ex.TEXT_REASON
        if source == ex.USERS and sources.neighbour_counts is not None:
            return ex.users_like_you(int(sources.neighbour_counts[row]), sources.k)
        if source == ex.GENRES and genres:
            return ex.genre_reason(genres)
        if source == ex.POPULAR:
            return ex.popular_reason(ex.mal_score_of(self.catalog, self.catalog.cat_row[row]))
        return ex.model_reason(favourite)

    def _favourite(self, row: int, sources: src.Sources | None) -> str | None:
        """Title of the liked anime closest to a result, when content similarity was computed."""
        if sources is None or row not in sources.because:
            return None
        return ex.title_of(self.catalog, self.catalog.cat_row[sources.because[row]])

    def similar_users(self, user_id: int, k: int | None = None) -> list[tuple[int, float]]:
        """The k users with the closest embeddings, as (user_id, cosine)."""
        k = check_n(k or self.cfg.similar_users, self.cfg.max_n)
        rows, sims = self._neighbours(self._user_row(user_id), k)
        return [(int(self.m.user_ids[r]), float(s)) for r, s in zip(rows, sims, strict=True)]

    def user_profile(self, user_id: int, loved_limit: int = 20) -> UserProfile:
        """Counts, genre profile (top quarter of ratings) and nearest users of a known user."""
        row = self._user_row(user_id)
        items, ratings = self.m.history.items(row)
        loved, _ = self.m.history.loved(row)
        cat_rows = self.catalog.cat_row[loved]
        return UserProfile(
            user_id=int(user_id), n_seen=len(items), n_rated=int((ratings > 0).sum()),
            loved_threshold=int(self.m.history.threshold[row]),
            genres=genre_profile(self.catalog.genre_matrix, cat_rows, self.catalog.genre_names),
            loved=[ex.anime_info(self.catalog, r) for r in cat_rows[:loved_limit]],
            similar_users=self.similar_users(user_id),
        )

    # --- content ----------------------------------------------------------------------------------
    def search(self, query: str, limit: int = 10) -> SearchResults:
        """Title search over all names; suggestions when nothing matches."""
        limit = check_n(limit, self.cfg.max_n)
        hits = self.titles.search(query, limit=limit)
        found = [(ex.anime_info(self.catalog, h.row), h.matched, h.how) for h in hits]
        return SearchResults(query, found, [] if found else self.titles.suggest(query))

    def resolve_title(self, title: str) -> int:
        """MAL id of the best match for a title; UnknownAnimeError with suggestions otherwise."""
        hits = self.titles.search(title, limit=1)
        if not hits:
            raise UnknownAnimeError(title, self.titles.suggest(title))
        return int(self.catalog.anime_id[hits[0].row])

    def similar_anime(self, anime_id: int, n: int | None = None, filters: Filters | None = None) -> SimilarAnime:
        """Anime like this one: embeddings when the model knows it, else synopsis + genres TF-IDF."""
        n, row = self._n(n), self.cat_row_of(anime_id)
        info = ex.anime_info(self.catalog, row)
        method, cat_rows, scores = similar_rows(self, row, self._filters(filters), n)
        reason = ex.similar_reason(info.title, method)
        results = [ex.Recommendation(ex.anime_info(self.catalog, r), float(s), ex.SIMILAR, reason)
                   for r, s in zip(cat_rows, scores, strict=True)]
        note = "" if results else "nothing similar passes these filters"
        return SimilarAnime(info, method, METHOD_LABELS[method], results, note)

    def similar_by_title(self, title: str, n: int | None = None, filters: Filters | None = None) -> SimilarAnime:
        """Similar anime for the best title match."""
        return self.similar_anime(self.resolve_title(title), n, filters)

    # --- new users --------------------------------------------------------------------------------
    def recommend_new_user(self, liked: list[int] = (), disliked: list[int] = (), genres: list[str] = (),
                           n: int | None = None, filters: Filters | None = None) -> NewUserRecommendations:
        """Recommendations from a few liked (and disliked) anime and/or genres, no retraining."""
        return new_user(self, list(liked), list(disliked), list(genres), self._n(n), self._filters(filters))
