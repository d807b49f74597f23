"""What the pages and the API read from a request, validated once for both."""
from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from anime_recommender.recommend.engine import MODES, Recommender
from anime_recommender.recommend.errors import UnknownAnimeError
from anime_recommender.recommend.filters import Filters
from anime_recommender.web.params import InputError, parse_filters, parse_id, parse_list, parse_n, shown


@dataclass(frozen=True)
class Options:
    """Result count, filters and mode of a recommendation request."""

    n: int
    filters: Filters
    mode: str


def read_options(rec: Recommender, args: MultiDict) -> Options:
    """n, filters and mode from the query string."""
    cfg = rec.cfg
    mode = (args.get("mode") or "hybrid").strip()
    if mode not in MODES:
        raise InputError(f"mode must be one of {', '.join(MODES)} (got '{shown(mode)}')")
    return Options(parse_n(args, cfg.default_n, cfg.max_n),
                   parse_filters(args, rec.genres, rec.types, cfg.show_adult), mode)


@dataclass(frozen=True)
class Picks:
    """A new user's liked and disliked anime (MAL ids), genres, and the inputs that matched nothing."""

    liked: list[int]
    disliked: list[int]
    genres: list[str]
    unmatched: list[tuple[str, list[str]]]  # (what was typed, suggestions)
    matched: list[tuple[str, int]]          # (what was typed, MAL id) for titles resolved by search


def _resolve(rec: Recommender, values: list[str], picks: Picks) -> list[int]:
    """MAL ids for values that are ids or titles; unknown ones are noted, not fatal."""
    ids = []
    for value in values:
        try:
            anime_id = parse_id(value, "anime ID") if value.isdigit() else rec.resolve_title(value)
            rec.anime(anime_id)
        except (UnknownAnimeError, InputError) as exc:
            picks.unmatched.append((value, getattr(exc, "suggestions", [])))
            continue
        if not value.isdigit():
            picks.matched.append((value, anime_id))
        ids.append(anime_id)
    return list(dict.fromkeys(ids))


def read_picks(rec: Recommender, args: MultiDict) -> Picks:
    """liked / disliked (ids or titles) and genre values of the new-user form."""
    picks = Picks([], [], parse_list(args, "genre", rec.genres), [], [])
    picks.liked.extend(_resolve(rec, parse_list(args, "liked"), picks))
    picks.disliked.extend(a for a in _resolve(rec, parse_list(args, "disliked"), picks) if a not in picks.liked)
    if not picks.liked and not picks.genres:
        raise InputError("name at least one anime you like (title or ID) or pick a genre"
                         + _unmatched_hint(picks))
    return picks


def _unmatched_hint(picks: Picks) -> str:
    if not picks.unmatched:
        return ""
    typed, suggestions = picks.unmatched[0]
    hint = f"; did you mean: {', '.join(suggestions)}?" if suggestions else ""
    return f" — nothing matched '{shown(typed)}'{hint}"
