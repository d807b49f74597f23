"""The JSON API's response bodies, declared once: every answer is dumped through one of these (web/declare.py),
and the OpenAPI document's schemas are theirs (web/openapi.py)."""
from __future__ import annotations

import dataclasses
import typing

from pydantic import BaseModel, Field, create_model

from anime_recommender.recommend.explain import AnimeInfo


class Body(BaseModel):
    """A response body: the fields it declares, in this order (a key the engine adds is not sent until it is
    declared here: tests/web/test_declared.py compares)."""


class AnimeBrief(Body):
    anime_id: int
    title: str


def _anime_fields(*, leave_out: tuple[str, ...] = ()) -> dict[str, tuple]:
    """The engine's AnimeInfo fields (recommend/explain.py: one declaration of what an anime record holds) and
    its `mal_url`, as required fields."""
    hints = typing.get_type_hints(AnimeInfo)
    fields = {name: (hints[name], ...) for name in (f.name for f in dataclasses.fields(AnimeInfo))}
    return {name: spec for name, spec in {**fields, "mal_url": (str, ...)}.items() if name not in leave_out}


Anime = create_model("Anime", __base__=Body, __doc__="One anime: AnimeInfo.to_dict().", **_anime_fields())


class Because(AnimeBrief):
    share: float


Recommendation = create_model(
    "Recommendation", __base__=Body, __doc__="One result: the anime (no synopsis), its score and its reasons.",
    **_anime_fields(leave_out=("synopsis",)), score=(float, ...), source=(str, ...), explanation=(str, ...),
    components=(dict[str, float], ...), more_in_series=(int, Field(ge=0)), series_note=(str, ...),
    because=(list[Because], ...))


class UserRecommendations(Body):
    user_id: int
    mode: str
    note: str
    results: list[Recommendation]


class GenreCount(Body):
    genre: str
    count: int


class SimilarUser(Body):
    user_id: int
    similarity: float


class UserProfile(Body):
    user_id: int
    n_seen: int
    n_rated: int
    loved_threshold: int
    genres: list[GenreCount]
    loved: list[AnimeBrief]
    similar_users: list[SimilarUser]


class AnimeShort(AnimeBrief):
    type: str | None
    year: int | None


class SeriesEntry(AnimeShort):
    current: bool


class SimilarAnime(Body):
    anime: Anime
    method: str
    method_label: str
    note: str
    results: list[Recommendation]
    series: list[SeriesEntry] = []


class SearchHit(AnimeBrief):
    matched: str
    match: str
    type: str | None
    year: int | None
    genres: list[str]


class SearchResults(Body):
    query: str
    suggestions: list[str]
    note: str
    results: list[SearchHit]


class Reading(Body):
    input: str
    anime_id: int | None
    title: str | None
    match: str
    alternatives: list[AnimeShort]


class Unmatched(Body):
    input: str
    suggestions: list[str]
    alternatives: list[AnimeShort] = []


class PicksRecommendations(Body):
    """What the new-user and the import answers share."""

    liked: list[AnimeBrief]
    disliked: list[AnimeBrief]
    genres: list[str]
    mode: str
    note: str
    results: list[Recommendation]


class NewUserRecommendations(PicksRecommendations):
    read: list[Reading] = []
    unmatched: list[Unmatched] = []


class ImportSummary(Body):
    entries: int
    matched: int
    unknown_ids: list[int]
    by_status: dict[str, int]
    skipped: int
    bad_scores: int
    duplicates: int


NextEntry = create_model(
    "NextEntry", __base__=Body, __doc__="Continue your franchises: one franchise's next main entry "
    "(recommend/continuation.py).", **_anime_fields(leave_out=("synopsis",)), franchise=(str, ...),
    watched=(int, Field(ge=1)), remaining=(int, Field(ge=1)), planned=(bool, ...))


# `continue` is a Python keyword: these two are made with create_model, whose field names are strings
Continuation = create_model("Continuation", __base__=Body, __doc__="A user's next entries.", user_id=(int, ...),
                            **{"continue": (list[NextEntry], ...)})
ListRecommendations = create_model(
    "ListRecommendations", __base__=PicksRecommendations, __doc__="An imported list's answer.",
    imported=(ImportSummary, ...), taste_profile=(list[GenreCount], ...), **{"continue": (list[NextEntry], [])})


class MapPoint(Body):
    """One anime placed on the taste map's drawing box (recommend/taste_map.py)."""

    x: float
    y: float
    anime_id: int
    title: str


class TasteMap(Body):
    """Where a user's titles and their recommendations sit among the anime (the user page's picture)."""

    user_id: int
    width: int
    height: int
    mine: list[MapPoint]
    recommended: list[MapPoint]
    landmarks: list[MapPoint]
    mine_on_map: int


class PersonBrief(Body):
    name: str
    given_as: str
    on_list: int
    liked: list[str]


class PersonReason(Body):
    name: str
    reason: str
    top_share: float
    because: list[Because]


TogetherItem = create_model(
    "TogetherItem", __base__=Body, __doc__="One anime for the group, with each person's reason.",
    **_anime_fields(leave_out=("synopsis",)), score=(float, ...), explanation=(str, ...),
    people=(list[PersonReason], ...), more_in_series=(int, Field(ge=0)), series_note=(str, ...))


class TogetherRecommendations(Body):
    people: list[PersonBrief]
    aggregation: str
    note: str
    notes: list[str]
    results: list[TogetherItem]


class ErrorDetail(Body):
    code: int
    title: str
    message: str
    suggestions: list[str] = []


class Error(Body):
    """Every 4xx and 5xx of the API (web/errors.py)."""

    error: ErrorDetail
