"""The kinds of request value (an id, a bounded number, a switch, a text, a list) as pydantic field types.

Each kind is declared once with its bounds: the same declaration parses the value, words its 400 message and
writes its OpenAPI schema (web/queries.py puts them together, web/declare.py reads a request with them).
Constraints come first in each Annotated, so pydantic documents them as JSON Schema keywords and checks them
after the plain-words check.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError

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


def refuse(message: str) -> PydanticCustomError:
    """A validation error whose message is `message` as written (braces in echoed input stay as typed)."""
    return PydanticCustomError("input", "{message}", {"message": message})


def looks_like_id(text: str) -> bool:
    """True for 1-19 ASCII digits (an id to look up), False for anything else (a title to search)."""
    return _DIGITS.fullmatch(text) is not None


def id_name(field: str) -> str:
    """How a message names an id field: user_id -> 'user ID'."""
    return field.removesuffix("_id").replace("_", " ") + " ID"


def parse_id(raw: str | None, what: str = "user ID") -> int:
    """A non-negative int64 id, from a path segment or a form field (spaces around it are forgiven, nothing
    else: `/user/3%0A` is not user 3)."""
    text = (raw or "").strip(" ")
    if not text:
        raise InputError(f"please enter a {what}")
    if not _DIGITS.fullmatch(text) or int(text) > INT64_MAX:
        raise InputError(f"{what} must be a whole number between 0 and {INT64_MAX} (got '{shown(text)}')")
    return int(text)


def mal_id(what: Callable[[str], str] = id_name) -> Any:
    """A non-negative int64 id in ASCII digits; `what` names it in a message from the field's name."""
    def check(value: Any, info: ValidationInfo) -> int:
        try:
            return parse_id(str(value), what(info.field_name))
        except InputError as exc:
            raise refuse(str(exc)) from None
    schema = {"type": "integer", "format": "int64", "minimum": 0, "maximum": INT64_MAX,
              "description": "ASCII digits"}
    return Annotated[int, BeforeValidator(check), WithJsonSchema(schema)]


def whole_number(low: int, high: int, description: str) -> Any:
    """An integer from `low` to `high` written in ASCII digits."""
    def check(value: Any, info: ValidationInfo) -> int:
        text = str(value)
        if not _INT.fullmatch(text) or not low <= int(text) <= high:
            raise refuse(f"{info.field_name} must be a whole number between {low} and {high} "
                         f"(got '{shown(text)}')")
        return int(text)
    return Annotated[int, Field(ge=low, le=high, description=description), BeforeValidator(check)]


def _up_to(high: float) -> str:
    """A decimal with up to three places from 0 to `high` (a whole number up to 10), as `decimal` reads it."""
    top = int(high)
    below = f"[0-{top - 1}]" if top > 1 else "0"
    return rf"^(0?{below}(\.[0-9]{{1,3}})?|{top}(\.0{{1,3}})?)$"


def decimal(high: float, description: str) -> Any:
    """A number from 0 to `high` with up to three decimal places (documented as the pattern it must match)."""
    def check(value: Any, info: ValidationInfo) -> float:
        text = str(value)
        if not _DECIMAL.fullmatch(text) or not 0 <= float(text) <= high:
            raise refuse(f"{info.field_name} must be a number between 0 and {high:g} (got '{shown(text)}')")
        return float(text)
    schema = {"type": "string", "pattern": _up_to(high), "description": description}
    return Annotated[float, BeforeValidator(check), WithJsonSchema(schema)]


def _flag(value: Any, info: ValidationInfo) -> bool:
    text = str(value).lower()
    if text not in TRUE | FALSE:
        raise refuse(f"{info.field_name} must be 1 or 0 (got '{shown(text)}')")
    return text in TRUE


def flag(description: str) -> Any:
    """An on/off switch: 1/0, true/false, yes/no, on/off."""
    schema = {"type": "string", "enum": sorted(TRUE | FALSE), "description": description}
    return Annotated[bool, BeforeValidator(_flag), WithJsonSchema(schema)]


def text(max_length: int, description: str, *, item: bool = False) -> Any:
    """Free text of 1 to `max_length` characters (a search query, a typed title); `item`: one of a list."""
    def check(value: Any, info: ValidationInfo) -> str:
        if len(value) > max_length:
            what = f"a {info.field_name} value is" if item else f"{info.field_name} is"
            raise refuse(f"{what} too long: at most {max_length} characters (got {len(value)})")
        return value
    return Annotated[str, Field(min_length=1, max_length=max_length, description=description), BeforeValidator(check)]


def one_of(allowed: tuple[str, ...], description: str = "") -> Any:
    """A string from `allowed` (any string when `allowed` is empty: the model, and so the list, is not loaded)."""
    def check(value: Any, info: ValidationInfo) -> str:
        if allowed and value not in allowed:
            raise refuse(f"{info.field_name} must be one of {', '.join(allowed)} (got '{shown(value)}')")
        return value
    schema = {"type": "string", **({"enum": list(allowed)} if allowed else {}),
              **({"description": description} if description else {})}
    return Annotated[str, BeforeValidator(check), WithJsonSchema(schema)]


def choices(allowed: tuple[str, ...], max_length: int) -> Any:
    """One value of a repeated parameter from `allowed` (any when empty), at most `max_length` characters."""
    def check(value: Any, info: ValidationInfo) -> str:
        if len(value) > max_length:
            raise refuse(f"a {info.field_name} value is too long: at most {max_length} characters "
                         f"(got {len(value)})")
        if allowed and value not in allowed:
            raise refuse(f"unknown {info.field_name} '{shown(value)}': choose from {', '.join(allowed)}")
        return value
    schema = {"type": "string", **({"enum": list(allowed)} if allowed else {"maxLength": max_length})}
    return Annotated[str, BeforeValidator(check), WithJsonSchema(schema)]


def repeated(item: Any, max_values: int, description: str, *, min_values: int = 0) -> Any:
    """A repeated parameter (genre=..&genre=..): at most `max_values` values, duplicates dropped."""
    def check(values: Any, info: ValidationInfo) -> list:
        if len(values) > max_values:
            raise refuse(f"too many {info.field_name} values: at most {max_values} (got {len(values)})")
        return values
    unique: Callable[[list], list] = lambda values: list(dict.fromkeys(values))  # noqa: E731
    return Annotated[list[item], Field(min_length=min_values, max_length=max_values, description=description),
                     BeforeValidator(check), AfterValidator(unique)]
