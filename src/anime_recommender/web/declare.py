"""Declare a JSON API route once: its query model, its answer model, its summary and its errors. The route
parses with the query model, answers through the answer model, and web/openapi.py documents exactly that
(`docs/web.md`, "How to declare a route")."""
from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Callable

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, ValidationError
from werkzeug.datastructures import MultiDict

from anime_recommender.recommend.engine import Recommender
from anime_recommender.web import service
from anime_recommender.web.params import InputError, mal_id
from anime_recommender.web.queries import Bounds, Query

API_PREFIX = "/api/v1"


class PathIds(Query):
    """Every id a route's address may hold: `<user_id>`, `<anime_id>` (a new name must be declared here)."""

    user_id: mal_id() = None
    anime_id: mal_id() = None


@dataclasses.dataclass(frozen=True)
class Operation:
    """One declared API operation (what the document says about the route it is attached to)."""

    summary: str
    answer: type[BaseModel]
    query: Callable[[Bounds], type[Query]] | None = None
    errors: tuple[int, ...] = (400, 404, 503)
    upload: Callable[[Bounds], type[BaseModel]] | None = None  # a multipart body (the list import)
    method: str = "GET"

    def parse(self, rec: Recommender, values: MultiDict) -> Query | None:
        """This operation's query model, read from `values` with the recommender's bounds."""
        return read(self.query(bounds(rec)), values) if self.query else None


def bounds(rec: Recommender) -> Bounds:
    """What a request to this recommender may ask for."""
    return Bounds.of(rec.cfg, rec.genres, rec.types)


def _message(exc: ValidationError) -> str:
    """The first problem in plain words (the field types word their own; a missing text says what to enter)."""
    error = exc.errors(include_url=False)[0]
    name = ".".join(str(part) for part in error["loc"][:1]) or "the request"
    if error["type"] == "input":
        return error["ctx"]["message"]
    if error["type"] == "missing":
        return f"please enter something to search for ({name} is empty)"
    return f"{name}: {error['msg']}"


def read(model: type[Query], values: MultiDict) -> Query:
    """`model` from a query string or form: a list field from its repeated values, blanks as not given."""
    raw: dict[str, object] = {}
    for name, field in model.model_fields.items():
        if typing.get_origin(field.annotation) is list:
            items = [v.strip() for v in values.getlist(name) if v and v.strip()]
            if items:
                raw[name] = items
        elif text := (values.get(name) or "").strip():
            raw[name] = text
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise InputError(_message(exc)) from None


def read_path(values: dict[str, str]) -> dict[str, int]:
    """The address's ids (spaces around one forgiven, as a form field's)."""
    try:
        ids = PathIds.model_validate({k: v.strip(" ") for k, v in values.items()})
    except ValidationError as exc:
        raise InputError(_message(exc)) from None
    return {name: getattr(ids, name) for name in values}


def answer(model: type[BaseModel], data: dict) -> dict:
    """`data` (a result's to_dict) as `model` declares it: its fields, in its order."""
    return model.model_validate(data).model_dump(mode="json", exclude_unset=True)


def declared(view: Callable) -> Operation | None:
    """The operation a view function was declared with, if any."""
    return getattr(view, "operation", None)


def attach(operation: Operation) -> Callable[[Callable], Callable]:
    """Attach `operation` to a view that parses and answers by itself (one that must read its body first)."""
    def wrap(view: Callable) -> Callable:
        view.operation = operation
        return view
    return wrap


def route(bp: Blueprint, rule: str, **operation) -> Callable[[Callable], Callable]:
    """A GET route on `bp`: the view is called as view(rec, query, **ids) (query only when the operation has a
    query model) and returns a result with to_dict(), or a dict, which goes out through the answer model."""
    op = Operation(**operation)

    def wrap(view: Callable) -> Callable:
        @functools.wraps(view)
        def handle(**path: str):
            rec = service.get_recommender()
            ids = read_path(path)
            args = (op.parse(rec, request.args),) if op.query else ()
            result = view(rec, *args, **ids)
            return jsonify(answer(op.answer, result if isinstance(result, dict) else result.to_dict()))
        handle.operation = op
        bp.add_url_rule(rule, view.__name__, handle, methods=[op.method])
        return handle
    return wrap
