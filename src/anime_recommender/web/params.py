"""Parse and validate request values; every problem becomes an InputError with a readable message."""
from __future__ import annotations

import re
import unicodedata

from werkzeug.datastructures import MultiDict

from anime_recommender.config import ServingConfig
from anime_recommender.recommend.filters import Filters

INT64_MAX = 2**63 - 1
# ASCII digits only: `\d` and int() also take other scripts' digits ('٣' is 3), so one id would have
# many spellings (and caches, logs and metrics would disagree about which user was asked for).
_DIGITS = re.compile(r"[0-9]{1,19}")
_INT = re.compile(r"-?[0-9]{1,6}")
_DECIMAL = re.compile(r"[0-9]{1,2}(\.[0-9]{1,3})?")
TRUE = {"1", "on", "true", "yes"}
FALSE = {"0", "off", "false", "no"}


class InputError(ValueError):
    """A request value that is missing, malformed or out of range (answered with a 400)."""


def shown(value: str, limit: int = 60) -> str:
    """A raw value shortened for an error message (escaping is the template's job), with control and format
    characters (newlines, right-to-left overrides that would reorder the message around them) as \\u escapes."""
    value = str(value)
    value = value if len(value) <= limit else value[:limit] + "…"
    return "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Cf") else c for c in value)


def looks_like_id(text: str) -> bool:
    """True for 1-19 ASCII digits (an id to look up), False for anything else (a title to search)."""
    return _DIGITS.fullmatch(text) is not None


def parse_id(raw: str | None, what: str = "user ID") -> int:
    """A non-negative int64 id, from a path segment or a form field (spaces around it are forgiven, nothing
    else: `/user/3%0A` is not user 3)."""
    text = (raw or "").strip(" ")
    if not text:
        raise InputError(f"please enter a {what}")
    if not _DIGITS.fullmatch(text) or int(text) > INT64_MAX:
        raise InputError(f"{what} must be a whole number between 0 and {INT64_MAX} (got '{shown(text)}')")
    return int(text)


def parse_int(args: MultiDict, name: str, default: int | None, low: int, high: int) -> int | None:
    """An optional bounded integer query parameter."""
    text = (args.get(name) or "").strip()
    if not text:
        return default
    if not _INT.fullmatch(text) or not low <= int(text) <= high:
        raise InputError(f"{name} must be a whole number between {low} and {high} (got '{shown(text)}')")
    return int(text)


def parse_float(args: MultiDict, name: str, low: float, high: float) -> float | None:
    """An optional bounded decimal query parameter."""
    text = (args.get(name) or "").strip()
    if not text:
        return None
    if not _DECIMAL.fullmatch(text) or not low <= float(text) <= high:
        raise InputError(f"{name} must be a number between {low:g} and {high:g} (got '{shown(text)}')")
    return float(text)


def parse_text(args: MultiDict, name: str, limits: ServingConfig, required: bool = True) -> str:
    """A free-text field, stripped and capped at serving.max_text_length."""
    text = (args.get(name) or "").strip()
    if required and not text:
        raise InputError(f"please enter something to search for ({name} is empty)")
    if len(text) > limits.max_text_length:
        raise InputError(f"{name} is too long: at most {limits.max_text_length} characters (got {len(text)})")
    return text


def parse_list(args: MultiDict, name: str, limits: ServingConfig, allowed: list[str] | None = None) -> list[str]:
    """Repeated values (genre=..&genre=..), non-empty ones, capped, optionally from a fixed set."""
    values = [v.strip() for v in args.getlist(name) if v and v.strip()]
    if len(values) > limits.max_list_values:
        raise InputError(f"too many {name} values: at most {limits.max_list_values} (got {len(values)})")
    for value in values:
        if len(value) > limits.max_text_length:
            raise InputError(f"a {name} value is too long: at most {limits.max_text_length} characters "
                             f"(got {len(value)})")
        if allowed is not None and value not in allowed:
            raise InputError(f"unknown {name} '{shown(value)}': choose from {', '.join(allowed)}")
    return list(dict.fromkeys(values))


def parse_flag(args: MultiDict, name: str, default: bool) -> bool:
    """An optional on/off query parameter: 1/0, true/false, yes/no, on/off."""
    text = (args.get(name) or "").strip().lower()
    if not text:
        return default
    if text not in TRUE | FALSE:
        raise InputError(f"{name} must be 1 or 0 (got '{shown(text)}')")
    return text in TRUE


def parse_ids(args: MultiDict, name: str, limits: ServingConfig) -> tuple[int, ...]:
    """Repeated anime ids (hide=1&hide=2), at most serving.max_list_values, each a MAL id (unknown ones
    simply match nothing)."""
    return tuple(dict.fromkeys(parse_id(v, f"{name} value (an anime ID)") for v in parse_list(args, name, limits)))


def parse_filters(args: MultiDict, genres: list[str], types: list[str], limits: ServingConfig) -> Filters:
    """Genre, type, year range, minimum score, the adult switch (default: serving.show_adult), franchise
    grouping, the popularity discount (default: serving.popularity_discount), and the titles the viewer hid
    ("Not interested": hide=<id>) or marked "Seen it" (seen=<id>)."""
    year_min = parse_int(args, "year_min", None, 1900, 2100)
    year_max = parse_int(args, "year_max", None, 1900, 2100)
    if year_min is not None and year_max is not None and year_min > year_max:
        raise InputError(f"year range is empty: from {year_min} to {year_max}")
    adult = (args.get("adult") or "").strip().lower()
    return Filters(genres=tuple(parse_list(args, "genre", limits, genres)),
                   types=tuple(parse_list(args, "type", limits, types)),
                   year_min=year_min, year_max=year_max, min_score=parse_float(args, "min_score", 0, 10),
                   include_adult=adult in TRUE if adult else limits.show_adult,
                   group_franchises=parse_flag(args, "group_franchises", True),
                   exclude=parse_ids(args, "hide", limits), seen=parse_ids(args, "seen", limits),
                   popularity_discount=parse_float(args, "popularity_discount", 0, limits.max_popularity_discount))


def parse_n(args: MultiDict, default: int, max_n: int) -> int:
    """How many results (1..max_n)."""
    return parse_int(args, "n", default, 1, max_n)
