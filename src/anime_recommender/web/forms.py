"""What the pages and the API read from a request, validated once for both (the models of web/queries.py)."""
from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from anime_recommender.recommend.engine import Recommender
from anime_recommender.recommend.errors import UnknownAnimeError
from anime_recommender.recommend.results import TitleReading
from anime_recommender.web import queries
from anime_recommender.web.declare import bounds, read
from anime_recommender.web.params import InputError, looks_like_id, parse_id, shown
from anime_recommender.web.queries import Query


def read_options(rec: Recommender, args: MultiDict) -> Query:
    """n, filters and mode from the query string (the API's recommend_query: one declaration for both)."""
    return read(queries.recommend_query(bounds(rec)), args)


@dataclass(frozen=True)
class Picks:
    """A new user's liked and disliked anime (MAL ids), genres, and how each typed title was read."""

    liked: list[int]
    disliked: list[int]
    genres: list[str]
    unmatched: list[tuple[str, list[str]]]  # (what was typed, suggestions): nothing used for it
    readings: list[TitleReading]            # every typed title: sure ones used, unsure ones not

    @property
    def usable(self) -> bool:
        """Something to recommend from: a liked anime or a genre."""
        return bool(self.liked or self.genres)

    @property
    def read(self) -> list[TitleReading]:
        """The typed titles that were used, to show as "fmab → Fullmetal Alchemist: Brotherhood"."""
        return [r for r in self.readings if r.anime is not None]

    @property
    def unsure(self) -> list[TitleReading]:
        """Typed titles used for nothing: a weak or ambiguous match, or no match at all."""
        return [r for r in self.readings if r.anime is None]


def _resolve(rec: Recommender, values: list[str], picks: Picks) -> list[int]:
    """MAL ids for values that are ids or titles read surely; the rest are noted (never used), not fatal."""
    ids = []
    for value in values:
        if looks_like_id(value):
            try:
                ids.append(rec.anime(parse_id(value, "anime ID")).anime_id)
            except (UnknownAnimeError, InputError) as exc:
                picks.unmatched.append((value, getattr(exc, "suggestions", [])))
            continue
        reading = rec.read_title(value)
        picks.readings.append(reading)
        if reading.anime is None:
            picks.unmatched.append((value, [a.title for a in reading.alternatives] or reading.suggestions))
        else:
            ids.append(reading.anime.anime_id)
    return list(dict.fromkeys(ids))


def picks_of(rec: Recommender, query: Query, strict: bool = True) -> Picks:
    """liked / disliked (ids or titles) and genre values of the new-user form, as queries.picks_query read
    them; with `strict` off, typed titles that matched nothing surely are returned (for the page to offer
    what they could mean) instead of an InputError."""
    picks = Picks([], [], list(query.genre), [], [])
    _limit_titles(query.liked + query.disliked, rec.cfg.max_titles)
    picks.liked.extend(_resolve(rec, query.liked, picks))
    picks.disliked.extend(a for a in _resolve(rec, query.disliked, picks) if a not in picks.liked)
    if not picks.usable and (strict or not picks.unmatched):
        raise InputError("name at least one anime you like (title or ID) or pick a genre"
                         + _unmatched_hint(picks))
    return picks


def _limit_titles(values: list[str], limit: int) -> None:
    """Refuse more typed titles than serving.max_titles: each costs a fuzzy search of the whole catalog."""
    titles = sum(not looks_like_id(v) for v in values)
    if titles > limit:
        raise InputError(f"too many titles: at most {limit} typed titles per request (got {titles}); "
                         "MAL ids (numbers) do not count towards this limit")


def _unmatched_hint(picks: Picks) -> str:
    if not picks.unmatched:
        return ""
    typed, suggestions = picks.unmatched[0]
    hint = f"; did you mean: {', '.join(suggestions)}?" if suggestions else ""
    return f" — '{shown(typed)}' did not surely match one anime{hint}"
