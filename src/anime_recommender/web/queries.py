"""What each route reads from a request, declared once: the models the routes parse with (web/declare.py) and the
OpenAPI document describes (web/openapi.py); the pages' forms read their bounds from here too.

Bounds that depend on the config (serving.max_n, ...) or on the loaded model (its genres and types) make each
model a function of `Bounds`, built once per set of bounds.
"""
# no `from __future__ import annotations`: pydantic reads these annotations in the builders' local scope
import dataclasses
import functools
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, create_model

from anime_recommender.config import ServingConfig
from anime_recommender.recommend.engine import MODES
from anime_recommender.recommend.filters import Filters
from anime_recommender.web.params import (
    InputError,
    choices,
    decimal,
    flag,
    mal_id,
    one_of,
    repeated,
    text,
    whole_number,
)

YEARS = (1900, 2100)  # what year_min and year_max may be
MAX_SCORE = 10        # MAL scores are 0 to 10


@dataclasses.dataclass(frozen=True)
class Bounds:
    """What one request may ask for: serving limits from config/config.yaml and the loaded model's genres and
    types (none while no model is loaded: any value is then documented)."""

    max_n: int
    default_n: int
    search_n: int
    max_list_values: int
    max_text_length: int
    max_titles: int
    show_adult: bool
    popularity_discount: float
    picks_popularity_discount: float
    max_popularity_discount: float
    import_max_bytes: int
    together_max_people: int
    genres: tuple[str, ...] = ()
    types: tuple[str, ...] = ()

    @classmethod
    def of(cls, cfg: ServingConfig, genres=(), types=()) -> "Bounds":
        """The bounds of `cfg` with these genres and types."""
        names = [f.name for f in dataclasses.fields(cls) if f.name not in ("genres", "types")]
        return cls(**{name: getattr(cfg, name) for name in names}, genres=tuple(genres), types=tuple(types))


class Query(BaseModel):
    """A request's parameters (query string or form fields); names it does not declare are ignored."""

    model_config = ConfigDict(frozen=True)


def _anime_id_value(name: str) -> str:
    return f"{name} value (an anime ID)"


def _hidden(b: Bounds):
    """The `hide` field: the titles a viewer marked "Not interested"."""
    return repeated(mal_id(_anime_id_value), b.max_list_values, "repeatable MAL ids the viewer is not interested "
                                                                "in: left out")


def _seen(b: Bounds):
    """The `seen` field: the titles a viewer marked "Seen it"."""
    return repeated(mal_id(_anime_id_value), b.max_list_values, "repeatable MAL ids the viewer has seen: left out, "
                                                                "and watched for the series order")


@functools.lru_cache(maxsize=16)
def filter_query(b: Bounds) -> type[Query]:
    """n and the filters every recommendation route takes."""
    low_year, high_year = YEARS

    class FilterQuery(Query):
        n: whole_number(1, b.max_n, "how many results") = b.default_n
        genre: repeated(choices(b.genres, b.max_text_length), b.max_list_values, "repeatable; all must match") = []
        type: repeated(choices(b.types, b.max_text_length), b.max_list_values, "repeatable; any may match") = []
        year_min: whole_number(low_year, high_year, "not after year_max") = None
        year_max: whole_number(low_year, high_year, "not before year_min") = None
        min_score: decimal(MAX_SCORE, f"minimum MAL score, 0 to {MAX_SCORE}") = None
        adult: flag("include adult titles (default: serving.show_adult)") = b.show_adult
        group_franchises: flag("one entry per franchise (default: on)") = True
        hide: _hidden(b) = []
        seen: _seen(b) = []
        popularity_discount: decimal(b.max_popularity_discount,
                                     f"favour lesser-known titles: 0 (none) to {b.max_popularity_discount:g} "
                                     f"(default: {b.popularity_discount:g}; {b.picks_popularity_discount:g} for liked "
                                     "titles)") = None

        def filters(self) -> Filters:
            """The engine's Filters (which check the year range: its message is the 400's)."""
            try:
                return Filters(genres=tuple(self.genre), types=tuple(self.type), year_min=self.year_min,
                               year_max=self.year_max, min_score=self.min_score, include_adult=self.adult,
                               group_franchises=self.group_franchises, exclude=tuple(self.hide),
                               seen=tuple(self.seen), popularity_discount=self.popularity_discount)
            except ValueError as exc:
                raise InputError(str(exc)) from None

    return FilterQuery


@functools.lru_cache(maxsize=16)
def continue_query(b: Bounds) -> type[Query]:
    """Continue your franchises: adult titles or not, and what the viewer hid or has seen (the other filters
    narrow recommendations, not the next part of a series: recommend/continuation.py)."""
    class ContinueQuery(Query):
        adult: flag("include adult titles (default: serving.show_adult)") = b.show_adult
        hide: _hidden(b) = []
        seen: _seen(b) = []

        def filters(self) -> Filters:
            """The engine's Filters: only the three this list reads."""
            return Filters(include_adult=self.adult, exclude=tuple(self.hide), seen=tuple(self.seen))

    return ContinueQuery


@functools.lru_cache(maxsize=16)
def recommend_query(b: Bounds) -> type[Query]:
    """A known user's recommendations: the filters and the source."""
    class RecommendQuery(filter_query(b)):
        mode: one_of(MODES, "recommendation source") = MODES[0]

    return RecommendQuery


@functools.lru_cache(maxsize=16)
def title_query(b: Bounds) -> type[Query]:
    """'More like <title>': a typed title and the filters."""
    class TitleQuery(filter_query(b)):
        title: text(b.max_text_length, "a title or a fan's short form")

    return TitleQuery


@functools.lru_cache(maxsize=16)
def search_query(b: Bounds) -> type[Query]:
    """Title search: the query, how many hits, adult titles or not."""
    class SearchQuery(Query):
        q: text(b.max_text_length, "romaji, English or Japanese name, or a fan's short form")
        n: whole_number(1, b.max_n, "how many") = b.search_n
        adult: flag("include adult titles (default: serving.show_adult)") = b.show_adult

    return SearchQuery


@functools.lru_cache(maxsize=16)
def picks_query(b: Bounds) -> type[Query]:
    """The new-user form: liked and disliked anime (MAL ids or titles), genres (the filter's) and the filters."""
    titles = repeated(text(b.max_text_length, "a MAL id or a title", item=True), b.max_list_values,
                      f"MAL ids or titles, repeatable; at most {b.max_titles} titles per request")

    class PicksQuery(filter_query(b)):
        liked: titles = []
        disliked: titles = []

    return PicksQuery


@functools.lru_cache(maxsize=16)
def import_query(b: Bounds) -> type[Query]:
    """An imported list's filters and its two switches."""
    class ImportQuery(filter_query(b)):
        include_planned: flag("let Plan to Watch titles back (default: off)") = False
        dropped_dislikes: flag("Dropped titles count as dislikes (default: on; off, only their score "
                               "speaks)") = True

    return ImportQuery


@functools.lru_cache(maxsize=16)
def export_upload(b: Bounds) -> type[BaseModel]:
    """The import's multipart body: the export file (read, capped and parsed by web/imports.py, not by pydantic)."""
    class ExportUpload(BaseModel):
        file: Annotated[bytes, Field(max_length=b.import_max_bytes, description="a MyAnimeList export (.xml, .xml.gz)")]

    return ExportUpload


@functools.lru_cache(maxsize=16)
def together_query(b: Bounds) -> type[Query]:
    """Watch together (web/together.py): numbered people, each a name and one of a user ID or liked titles
    (`name<i>`, `user<i>`, `liked<i>`), or `user_id` repeated (one person each); and the filters."""
    slots = range(1, b.together_max_people + 1)
    titles = repeated(text(b.max_text_length, "a MAL id or a title", item=True), b.max_list_values,
                      f"MAL ids or titles, repeatable; at most {b.max_titles} titles per person")
    fields = {"user_id": (repeated(mal_id(), b.together_max_people, "repeatable: one person per user ID of the "
                                                                      "data, after any numbered people"), [])}
    for i in slots:
        fields[f"name{i}"] = (text(b.max_text_length, f"what to call person {i} (default: Person {i})"), None)
        fields[f"user{i}"] = (mal_id(str), None)  # "user2 must be a whole number ..."
        fields[f"liked{i}"] = (titles, [])
    return create_model("TogetherQuery", __base__=filter_query(b), **fields)


@functools.lru_cache(maxsize=16)
def together_upload(b: Bounds) -> type[BaseModel]:
    """Watch together's multipart body: people's exports (read, capped and parsed by web/together.py), and any
    field of together_query."""
    files = {f"file{i}": (Annotated[bytes, Field(description=f"person {i}'s MyAnimeList export (.xml, .xml.gz); "
                                                               f"all files together at most {b.import_max_bytes} "
                                                               "bytes")], None)
             for i in range(1, b.together_max_people + 1)}
    return create_model("TogetherUpload", **files)
