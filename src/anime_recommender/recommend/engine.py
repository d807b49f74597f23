"""The recommendation engine: loads a published run once, answers every mode with numpy (no Flask)."""
from __future__ import annotations

import dataclasses
import functools
import logging
from pathlib import Path

import numpy as np

from anime_recommender.artifacts import load_run
from anime_recommender.config import ServingConfig
from anime_recommender.recommend import continuation, hybrid, records, sources, vectors
from anime_recommender.recommend import explain as ex
from anime_recommender.recommend import franchise as fr
from anime_recommender.recommend import together as tg
from anime_recommender.recommend.arrays import ModelArrays, load_arrays
from anime_recommender.recommend.catalog import Catalog, build_catalog
from anime_recommender.recommend.content import TextSimilarity, similar_rows
from anime_recommender.recommend.errors import RecommenderError, UnknownAnimeError, UnknownUserError
from anime_recommender.recommend.explain import Source
from anime_recommender.recommend.filters import Filters, Request, check_n, model_mask, top_k
from anime_recommender.recommend.franchise_store import load_franchises
from anime_recommender.recommend.lists import (
    AS_SHIPPED,
    ListReading,
    ListRows,
    Taste,
    favourites,
    picks_taste,
    read_list,
)
from anime_recommender.recommend.mal_export import MalExport
from anime_recommender.recommend.neighbours import UserIndex
from anime_recommender.recommend.popularity import discount_basis
from anime_recommender.recommend.results import (
    ListRecommendations,
    NewUserRecommendations,
    NextEntry,
    SearchResults,
    SimilarAnime,
    TitleReading,
    TogetherRecommendations,
    UserProfile,
    UserRecommendations,
)
from anime_recommender.recommend.search import TitleIndex
from anime_recommender.recommend.taste_map import TastePicture
from anime_recommender.recommend.titles import TitleReader

__all__ = ["Filters", "Recommender", "RecommenderError", "UnknownAnimeError", "UnknownUserError"]
log = logging.getLogger(__name__)
MODES = ("hybrid", "model", "users", "content", "popular")


class Recommender:
    """Every recommendation mode over one published run; build with `Recommender.load(dir)`."""

    def __init__(self, arrays: ModelArrays, catalog: Catalog, cfg: ServingConfig | None = None,
                 *, franchises: fr.Franchises | None = None):
        self.m, self.catalog, self.cfg = arrays, catalog, cfg or ServingConfig()
        self.titles = TitleIndex(catalog, self.cfg.max_text_length)
        self.reader = TitleReader(catalog, self.titles)
        popular = sources.popularity_scores(catalog.score[catalog.cat_row], arrays.popularity)
        self.tables = sources.ScoreTables(factors=arrays.anime_factors, bias=arrays.anime_bias,
                                          embeddings=arrays.anime_embeddings, embeddings_t=arrays.anime_embeddings_t,
                                          popular=popular, text=TextSimilarity(catalog),
                                          genres_weight=self.cfg.genres_weight,
                                          popular_without_model=self.cfg.popular_without_model)
        basis = discount_basis(self.cfg.popularity_shape, users=arrays.popularity, bias=arrays.anime_bias)
        self.shelf = hybrid.Shelf(catalog=catalog, franchises=franchises, popular=popular, discount_basis=basis)
        self.evidence = records.Evidence(catalog=catalog, anime_ids=arrays.anime_ids,
                                         embeddings=arrays.anime_embeddings, factors=arrays.anime_factors,
                                         tower=arrays.tower)
        self.user_index = UserIndex(arrays.user_embeddings)
        self._neighbours = functools.lru_cache(maxsize=4096)(self.user_index.search)

    @classmethod
    def load(cls, artifacts_dir: str | Path, serving_cfg: ServingConfig | None = None) -> Recommender:
        """Open the current run of `artifacts_dir` (checksums verified) and index it."""
        run = load_run(artifacts_dir)
        arrays = load_arrays(run)
        frame = run.frame("catalog")
        catalog = build_catalog(frame, arrays.anime_ids)
        log.info("loaded run %s: %d users x %d anime, catalog %d", run.run_id, len(arrays.user_ids),
                 len(arrays.anime_ids), len(catalog.anime_id))
        return cls(arrays, catalog, serving_cfg, franchises=load_franchises(run, frame, catalog))

    @property
    def franchises(self) -> fr.Franchises | None:
        return self.shelf.franchises

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
        return self.catalog.require(anime_id)

    def _filters(self, filters: Filters | None, discount: float | None = None) -> Filters:
        """The filters with the popularity discount filled in when the request gave none (`discount`, else
        serving.popularity_discount)."""
        filters = filters or Filters(include_adult=self.cfg.show_adult)
        if filters.popularity_discount is None:
            default = self.cfg.popularity_discount if discount is None else discount
            return dataclasses.replace(filters, popularity_discount=default)
        return filters

    def _n(self, n: int | None) -> int:
        return check_n(self.cfg.default_n if n is None else n, self.cfg.max_n)

    def anime(self, anime_id: int) -> ex.AnimeInfo:
        """Details of one anime; UnknownAnimeError when it is not in the catalog."""
        return ex.anime_info(self.catalog, self.cat_row_of(anime_id))

    def knows_user(self, user_id: int) -> bool:
        """In the model, or in the data the model was trained on (then served from their list)."""
        return self.m.user_row(int(user_id)) is not None or self.m.listed.rows(int(user_id)) is not None

    def _listed_rows(self, user_id: int) -> ListRows:
        """The list of a user training left out; UnknownUserError when the id is nowhere in the data."""
        rows = self.m.listed.rows(int(user_id))
        if rows is None:
            raise UnknownUserError(user_id)
        return rows

    # --- model ranking --------------------------------------------------------------------------
    def recommend_for_user(self, user_id: int, n: int = 10, exclude_seen: bool = True) -> list[tuple[int, float]]:
        """Top-n (anime_id, score) by the model's own score, seen anime excluded, adult hidden by config."""
        n, row = self._n(n), self._user_row(user_id)
        scores = sources.model_scores(self.m.anime_factors, self.m.anime_bias, self.m.user_factors[row])
        mask = model_mask(self.catalog, self._filters(None))
        if exclude_seen:
            mask[self.m.history.items(row)[0]] = False
        rows = top_k(scores, mask, n)
        return [(int(self.m.anime_ids[r]), float(scores[r])) for r in rows]

    # --- known users ----------------------------------------------------------------------------
    def recommend(self, user_id: int, n: int | None = None, filters: Filters | None = None,
                  *, mode: str = "hybrid") -> UserRecommendations:
        """Recommendations for a known user in one mode (hybrid by default), each with its reason: their
        list → their vector → scores → filters and franchise rules → records (docs/architecture.md)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)} (got {mode!r})")
        n, filters = self._n(n), self._filters(filters)
        if self.m.user_row(int(user_id)) is None:
            return self._recommend_listed(int(user_id), n, filters)
        row = self._user_row(user_id)
        items, ratings = self.m.history.items(row)
        # everything on their lists stays out, across the whole catalog (not only the model's anime)
        request = Request(filters=filters, n=n, listed=self.catalog.rows_of(self.m.listed_ids(int(user_id))))
        user = vectors.trained(self.m.user_factors, row, items, ratings=ratings)
        note = ""
        if mode != Source.POPULAR and len(items) < self.cfg.min_history_for_model:
            mode, note = Source.POPULAR.value, ex.short_history(user_id, len(items))
        weights = self.cfg.hybrid_weights if mode == "hybrid" else {mode: 1.0}
        scored = None if mode == Source.POPULAR else sources.for_user(self.tables, self.m.history, user,
                                                                      weights=weights, neighbours=self._similar_to)
        ranked = hybrid.rank(self.shelf, scored, request)
        found = records.Found(user=user, scored=scored, ranked=ranked)
        return records.trained_user(self.evidence, user_id, mode, found=found, note=note)

    def _similar_to(self, row: int) -> tuple:
        """The nearest users of a user row (serving.similar_users of them), cached."""
        return self._neighbours(row, self.cfg.similar_users)

    def _recommend_listed(self, user_id: int, n: int, filters: Filters) -> UserRecommendations:
        """A user training left out (too few ratings): served from their list, like an imported one."""
        rows = self._listed_rows(user_id)
        taste, _ = read_list(rows, self.catalog)
        found = self._from_list(taste, self.cfg.import_weights, Request(filters=filters, n=n, listed=taste.exclude))
        return records.listed_user(self.evidence, user_id, len(rows), found=found)

    def _from_list(self, taste: Taste, weights: dict[str, float], request: Request, *,
                   strength: float = 1.0) -> records.Found:
        """Steps 2-4 of any list (picks, an import, a user training left out): the tower's vector, the
        scores, the entries chosen. Nothing of the list comes back. `strength` scales the vector against each
        anime's own bias (serving.picks_strength for picks)."""
        user = vectors.of_list(self.m.tower, self.catalog.model_row, taste)
        if strength != 1.0 and user.vector is not None:
            user = dataclasses.replace(user, vector=np.float32(strength) * user.vector)
        scored = sources.for_list(self.tables, self.catalog, taste, user=user, path_weights=weights)
        ranked = hybrid.rank(self.shelf, scored, request, fallback=False)
        return records.Found(user=user, scored=scored, ranked=ranked, taste=taste)

    def similar_users(self, user_id: int, k: int | None = None) -> list[tuple[int, float]]:
        """The k users with the closest embeddings, as (user_id, cosine)."""
        k = check_n(k or self.cfg.similar_users, self.cfg.max_n)
        rows, sims = self._neighbours(self._user_row(user_id), k)
        return [(int(self.m.user_ids[r]), float(s)) for r, s in zip(rows, sims, strict=True)]

    def user_profile(self, user_id: int, loved_limit: int = 20) -> UserProfile:
        """Counts, genre profile (top quarter of ratings) and nearest users of a known user."""
        if self.m.user_row(int(user_id)) is None:
            return self._listed_profile(int(user_id), loved_limit)
        row = self._user_row(user_id)
        items, ratings = self.m.history.items(row)
        loved, _ = self.m.history.loved(row)
        counts = (len(items), int((ratings > 0).sum()), int(self.m.history.threshold[row]))
        return records.user_profile(self.catalog, int(user_id), counts, loved=self.catalog.cat_row[loved],
                                    shown=(loved_limit, self.similar_users(user_id)))

    def _listed_profile(self, user_id: int, loved_limit: int) -> UserProfile:
        """Counts and genre profile of a user training left out; no similar users (they have no vector)."""
        rows = self._listed_rows(user_id)
        loved, threshold = favourites(rows, self.catalog)
        counts = (len(rows), int((rows.scores > 0).sum()), threshold)
        return records.user_profile(self.catalog, user_id, counts, loved=loved, shown=(loved_limit, []))

    def user_picture(self, user_id: int, results: list) -> TastePicture | None:
        """The picture of a user's page: everything on their lists, and the `results` shown beside it."""
        return self.taste_picture(self.m.listed_ids(user_id), [r.anime.anime_id for r in results])

    def example_user_id(self) -> int | None:
        """A user of the run (the pages' example of a user ID); None when it has none."""
        return int(self.m.user_ids[0]) if len(self.m.user_ids) else None

    def taste_picture(self, listed_ids, recommended_ids) -> TastePicture | None:
        """Where a list (MAL ids) and its recommendations sit among the anime; None when the run has no map."""
        if self.m.taste_map is None:
            return None
        cat = self.catalog

        def model_rows(ids) -> np.ndarray:
            rows = cat.model_row[cat.rows_of(ids)]
            return rows[rows >= 0]
        return self.m.taste_map.picture(model_rows(listed_ids), model_rows(recommended_ids),
                                        title=lambda r: ex.title_of(cat, cat.cat_row[r]),
                                        anime_id=lambda r: int(self.m.anime_ids[r]))

    # --- content ----------------------------------------------------------------------------------
    def search(self, query: str, limit: int = 10, include_adult: bool | None = None) -> SearchResults:
        """Title search over all names through the one title reader (short forms first); suggestions and a
        note when nothing matches. Adult titles only when asked for (serving.show_adult by default)."""
        limit, adult = check_n(limit, self.cfg.max_n), self._adult(include_adult)
        hits = self.reader.search(query, limit=limit, include_adult=adult)
        found = [(ex.anime_info(self.catalog, h.row), h.matched, h.how) for h in hits]
        if found:  # only close spellings: the title may be newer than the catalogue
            return SearchResults(query, found, note=self.nothing_matches(query, close=True)
                                 if all(h.how == "fuzzy" for h in hits) else "")
        return SearchResults(query, [], self.titles.suggest(query, include_adult=adult), self.nothing_matches(query))

    def _adult(self, include_adult: bool | None) -> bool:
        return self.cfg.show_adult if include_adult is None else bool(include_adult)

    def nothing_matches(self, text: str, close: bool = False) -> str:
        """The plain sentence for a title nothing matches (or only close spellings do, with `close`): the
        catalogue may simply be too old for it."""
        last = self.catalog.last_year()
        ends = f" The catalogue ends in {last}, so anime that started after that are not in it." if last else ""
        said = "is named" if close else "matches"
        more = " These are close spellings." if close else ""
        return f"No title {said} “{text.strip()[:60]}”.{more}{ends}"

    def resolve_title(self, title: str, include_adult: bool | None = None) -> int:
        """MAL id of the sure reading of a title (the one title reader); UnknownAnimeError with the
        alternatives, else the closest names, otherwise."""
        adult = self._adult(include_adult)
        reading = self.reader.read(title, adult)
        if not reading.sure:
            offered = [str(self.catalog.display_name[r]) for r in reading.alternatives]
            raise UnknownAnimeError(title, offered or self.titles.suggest(title, include_adult=adult))
        return int(self.catalog.anime_id[reading.row])

    def read_title(self, text: str, include_adult: bool | None = None) -> TitleReading:
        """How a fan's typed title reads (fmab, aot, a full name); unsure readings use nothing."""
        adult = self._adult(include_adult)
        reading = self.reader.read(text, adult)
        info = [ex.anime_info(self.catalog, r) for r in reading.alternatives]
        anime = ex.anime_info(self.catalog, reading.row) if reading.sure else None
        nothing = reading.how == "none"
        suggestions = self.titles.suggest(text, include_adult=adult) if nothing else []
        return TitleReading(text, anime, reading.how, info, suggestions, self.nothing_matches(text) if nothing else "")

    def similar_anime(self, anime_id: int, n: int | None = None, filters: Filters | None = None) -> SimilarAnime:
        """Anime like this one: embeddings when the model knows it, else synopsis + genres TF-IDF; its own
        franchise is listed apart, never among the results."""
        n, row, filters = self._n(n), self.cat_row_of(anime_id), self._filters(filters)
        series = self._same_series(row, filters)
        others = dataclasses.replace(filters, exclude=filters.exclude + tuple(
            int(self.catalog.anime_id[r]) for r in series))
        similar = similar_rows(self.catalog, self.m.anime_embeddings, self.tables.text, row=row,
                               request=Request(filters=others, n=n * fr.CANDIDATES_PER_ENTRY))
        picks = fr.pick(self.franchises, self.catalog, similar[1], request=Request(filters=filters, n=n))
        return records.similar_anime(self.catalog, row, similar, picks=picks, series=series)

    def _same_series(self, row: int, filters: Filters) -> np.ndarray:
        """Every entry of an anime's franchise in airing order (adult ones only when asked for)."""
        if self.franchises is None or not filters.group_franchises:
            return np.zeros(0, np.int64)
        rows = self.franchises.series(row)
        return rows if filters.include_adult else rows[~self.catalog.is_adult[rows]]

    def similar_by_title(self, title: str, n: int | None = None, filters: Filters | None = None) -> SimilarAnime:
        """Similar anime for the sure reading of a title."""
        return self.similar_anime(self.resolve_title(title, self._filters(filters).include_adult), n, filters)

    # --- new users --------------------------------------------------------------------------------
    def recommend_new_user(self, liked: list[int] = (), disliked: list[int] = (), genres: list[str] = (),
                           *, n: int | None = None, filters: Filters | None = None) -> NewUserRecommendations:
        """Recommendations from a few liked (and disliked) anime and/or genres, no retraining; the picks
        themselves are never recommended back."""
        n, filters = self._n(n), self._filters(filters, self.cfg.picks_popularity_discount)
        taste = picks_taste(self.catalog, list(liked), list(disliked), genres=list(genres),
                            max_picks=self.cfg.max_list_values)
        known = int((self.catalog.model_row[taste.liked] >= 0).sum())
        found = self._from_list(taste, self.cfg.picks_weights, Request(filters=filters, n=n, listed=taste.exclude),
                               strength=picks_strength(self.cfg, known))
        return records.new_user(self.evidence, found)

    def recommend_import(self, export: MalExport, n: int | None = None, filters: Filters | None = None, *,
                         reading: ListReading = AS_SHIPPED, mode: str = "hybrid") -> ListRecommendations:
        """Recommendations for an imported list, through the new-user path: nothing on the list comes back
        (Plan to Watch titles may, with `reading.include_planned`); Dropped titles push away unless
        `reading.dropped_dislikes` is off (then they only stay out); mode "model" ranks by the model alone."""
        if mode not in ("hybrid", Source.MODEL):
            raise ValueError(f"mode must be hybrid or model (got {mode!r})")
        taste, unknown = read_list(export.rows, self.catalog, reading)
        weights = self.cfg.import_weights if mode == "hybrid" else {Source.MODEL: 1.0}
        request = Request(filters=self._filters(filters), n=self._n(n), listed=taste.exclude)
        found = self._from_list(taste, weights, request)
        return records.imported(self.evidence, found, export, unknown=unknown, loved=taste.favourites)

    # --- continue your franchises ------------------------------------------------------------------
    def continue_for_user(self, user_id: int, filters: Filters | None = None) -> list[NextEntry]:
        """The next entry of every franchise a dataset user (trained, or left out and served from their list)
        started and did not drop; UnknownUserError when the id is nowhere in the data."""
        row = self.m.user_row(int(user_id))
        if row is None:
            return self.continue_list(self._listed_rows(user_id), filters)
        rows = continuation.user_list(*self.m.history.items(row), self.m.anime_ids,
                                      outside=self.m.outside.rows(int(user_id)))
        return self.continue_list(rows, filters)

    def continue_list(self, rows: ListRows, filters: Filters | None = None) -> list[NextEntry]:
        """The next entries of a list (an import; a dataset user's): adult ones only when asked for, none the
        viewer is not interested in, "Seen it" titles watched (recommend/continuation.py)."""
        found = continuation.continue_franchises(self.shelf, rows, filters=self._filters(filters))
        return records.next_entries(self.catalog, found)

    # --- watch together ------------------------------------------------------------------------------
    def person_from_user(self, user_id: int, name: str) -> tg.Person:
        """A dataset user as a member of a group: a trained user's own vector, or the tower on the list of a
        user training left out; UnknownUserError when the id is nowhere in the data."""
        row = self.m.user_row(int(user_id))
        if row is None:
            return self._person(name, "user", read_list(self._listed_rows(user_id), self.catalog)[0])
        items, ratings = self.m.history.items(row)
        loved, _ = self.m.history.loved(row)
        return tg.from_trained(name, user=vectors.trained(self.m.user_factors, row, items, ratings=ratings),
                               listed=self.catalog.rows_of(self.m.listed_ids(int(user_id))),
                               liked=self.catalog.cat_row[loved[:tg.LIKED_SHOWN]])

    def person_from_list(self, rows: ListRows, name: str) -> tg.Person:
        """An uploaded list as a member of a group (every entry stays out of the group's list, Plan to Watch too)."""
        return self._person(name, "list", read_list(rows, self.catalog)[0])

    def person_from_titles(self, liked: list[int], name: str) -> tg.Person:
        """A few liked anime (MAL ids) as a member of a group."""
        try:
            taste = picks_taste(self.catalog, list(liked), [], genres=[], max_picks=self.cfg.max_list_values)
        except RecommenderError as exc:
            raise RecommenderError(f"{name}: {exc}") from None
        return self._person(name, "titles", taste)

    def _person(self, name: str, kind: str, taste: Taste) -> tg.Person:
        """A person from a list or picks read as taste: the tower on it (step 2)."""
        return tg.from_taste(name, kind, user=vectors.of_list(self.m.tower, self.catalog.model_row, taste), taste=taste)

    def watch_together(self, people: list[tg.Person], n: int | None = None, *, filters: Filters | None = None,
                       aggregation: str | None = None) -> TogetherRecommendations:
        """The group's n anime (2 to serving.together_max_people people), each with every person's reason."""
        tg.check_group(people, self.cfg.together_max_people)
        return self.shared_list(people, n, filters=filters, aggregation=aggregation)

    def shared_list(self, people: list[tg.Person], n: int | None = None, *, filters: Filters | None = None,
                    aggregation: str | None = None) -> TogetherRecommendations:
        """The list for any number of people, one included (bench/together.py's solo list: the same path): their
        scores → aggregated over what nobody has listed, filters and franchise rules → records
        (aggregation: serving.together_aggregation by default)."""
        request = Request(filters=self._filters(filters), n=self._n(n), listed=tg.listed_by_anyone(people))
        ranked = tg.rank(self.shelf, tg.person_scores(self.tables, people), request,
                         aggregation=aggregation or self.cfg.together_aggregation,
                         sharpness=self.cfg.together_sharpness)
        return records.together(self.evidence, people, ranked)


def picks_strength(cfg: ServingConfig, titles: int) -> float:
    """The picks' strength from `titles` liked titles the model knows: serving.picks_strength, plus
    serving.picks_strength_per_title for each title, at most 1 (a few titles are weak evidence, so the anime's
    own learned bias says more; docs/benchmarks.md "The cold-start curve")."""
    return min(1.0, cfg.picks_strength + cfg.picks_strength_per_title * titles)
