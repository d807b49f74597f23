"""The OpenAPI 3.1 document of /api/v1, generated from the routes' declarations (web/declare.py): each route
the app has under /api/v1 with an operation attached, its parameters from the query model it parses with,
its bodies from the answer models (pydantic's JSON Schema).

Served at /api/v1/openapi.json; tests/web/test_openapi.py has schemathesis check the real app against it.
"""
from __future__ import annotations

import re
from typing import Any

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from anime_recommender.web import bodies
from anime_recommender.web.declare import API_PREFIX, Operation, PathIds, declared
from anime_recommender.web.queries import Bounds

JSON = "application/json"
REF = "#/components/schemas/{model}"
_PATH_ID = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def _ref(model: type[BaseModel]) -> dict:
    return {"$ref": REF.format(model=model.__name__)}


def _parameters(model: type[BaseModel], where: str, names: list[str] | None = None) -> list[dict]:
    """One parameter per field of `model` (or per name of `names`), as the model's JSON Schema has it."""
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", ()))
    parameters = []
    for name in names if names is not None else list(schema["properties"]):
        prop = dict(schema["properties"][name])
        prop.pop("title", None)
        if prop.get("default", 0) is None:  # not given: the parameter is absent, never null
            del prop["default"]
        parameter = {"name": name, "in": where, "required": where == "path" or name in required,
                     "description": prop.pop("description", ""), "schema": prop}
        parameters.append(parameter)
    return parameters


def _operation(op: Operation, path_names: list[str], limits: Bounds) -> dict:
    """The document's entry for one declared operation."""
    parameters = _parameters(PathIds, "path", path_names)
    if op.query:
        parameters += _parameters(op.query(limits), "query")
    responses = {"200": {"description": "OK", "content": {JSON: {"schema": _ref(op.answer)}}}}
    for code in op.errors:
        responses[str(code)] = {"description": "error", "content": {JSON: {"schema": _ref(bodies.Error)}}}
    operation = {"summary": op.summary, "parameters": parameters, "responses": responses}
    if op.upload:
        body = op.upload(limits).model_json_schema(ref_template=REF)
        operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": body}}}
    return operation


def operations(app: Flask) -> dict[str, tuple[list[str], Operation]]:
    """'METHOD /path' (under /api/v1, in OpenAPI's {id} form) -> (path ids, operation), for every declared route."""
    found = {}
    for rule in app.url_map.iter_rules():
        op = declared(app.view_functions[rule.endpoint])
        if op is None or not rule.rule.startswith(API_PREFIX + "/"):
            continue
        path = _PATH_ID.sub(r"{\1}", rule.rule.removeprefix(API_PREFIX))
        found[f"{op.method} {path}"] = (_PATH_ID.findall(rule.rule), op)
    return found


def document(app: Flask, limits: Bounds) -> dict[str, Any]:
    """The whole document for this app's routes and these bounds (errors: 400 input, 404 unknown, 503 no model)."""
    paths: dict[str, dict] = {}
    answers = {bodies.Error}
    for key, (path_names, op) in sorted(operations(app).items(), key=lambda item: item[0].split(" ", 1)[1]):
        method, path = key.split(" ", 1)
        paths.setdefault(path, {})[method.lower()] = _operation(op, path_names, limits)
        answers.add(op.answer)
    _, schemas = models_json_schema([(model, "serialization") for model in sorted(answers, key=lambda m: m.__name__)],
                                    ref_template=REF)
    return {"openapi": "3.1.0",
            "info": {"title": "Anime recommender API", "version": "1",
                     "description": "GET, and POST for a list import; errors are JSON {error: {code, title, message}}. "
                                    "See docs/web.md."},
            "servers": [{"url": API_PREFIX}], "paths": paths, "components": {"schemas": schemas.get("$defs", {})}}
