"""The OpenAPI 3 document of /api/v1, built from the running app: its limits, modes, genres and types.

Served at /api/v1/openapi.json; tests/web/test_openapi.py has schemathesis check the real app against it.
"""
from __future__ import annotations

from typing import Any

from anime_recommender.config import ServingConfig
from anime_recommender.recommend.engine import MODES
from anime_recommender.web.params import FALSE, TRUE

INT64_MAX = 2**63 - 1
JSON = "application/json"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, dict], optional: tuple[str, ...] = ()) -> dict:
    """An object whose properties are all required except `optional` (extra properties allowed)."""
    return {"type": "object", "properties": properties, "required": [p for p in properties if p not in optional]}


def _nullable(kind: str) -> dict:
    return {"type": kind, "nullable": True}


def _array(items: dict) -> dict:
    return {"type": "array", "items": items}


def _query(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def _id_path(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": "ASCII digits",
            "schema": {"type": "integer", "format": "int64", "minimum": 0, "maximum": INT64_MAX}}


def schemas() -> dict[str, dict]:
    """Response bodies: what the engine's result objects turn into (recommend/results.py, explain.py)."""
    brief = {"anime_id": {"type": "integer"}, "title": {"type": "string"}}
    info = {**brief, "name": {"type": "string"}, "english_name": _nullable("string"),
            "japanese_name": _nullable("string"), "genres": _array({"type": "string"}), "type": _nullable("string"),
            "year": _nullable("integer"), "episodes": _nullable("integer"), "mal_score": _nullable("number"),
            "members": {"type": "integer"}, "studios": _nullable("string"), "is_adult": {"type": "boolean"},
            "in_model": {"type": "boolean"}}
    results = _array(_ref("Recommendation"))
    return {
        "Anime": _object({**info, "synopsis": {"type": "string"}}),
        "AnimeBrief": _object(brief),
        "Recommendation": _object({**info, "score": {"type": "number"}, "source": {"type": "string"},
                                   "explanation": {"type": "string"},
                                   "components": {"type": "object", "additionalProperties": {"type": "number"}},
                                   "more_in_series": {"type": "integer", "minimum": 0},
                                   "series_note": {"type": "string"},
                                   "because": _array(_object({**brief, "share": {"type": "number"}}))}),
        "UserRecommendations": _object({"user_id": {"type": "integer"}, "mode": {"type": "string"},
                                        "note": {"type": "string"}, "results": results}),
        "UserProfile": _object({
            "user_id": {"type": "integer"}, "n_seen": {"type": "integer"}, "n_rated": {"type": "integer"},
            "loved_threshold": {"type": "integer"},
            "genres": _array(_object({"genre": {"type": "string"}, "count": {"type": "integer"}})),
            "loved": _array(_ref("AnimeBrief")),
            "similar_users": _array(_object({"user_id": {"type": "integer"}, "similarity": {"type": "number"}}))}),
        "SimilarAnime": _object({"anime": _ref("Anime"), "method": {"type": "string"},
                                 "method_label": {"type": "string"}, "note": {"type": "string"}, "results": results,
                                 "series": _array(_object({"anime_id": {"type": "integer"}, "title": {"type": "string"},
                                                           "type": _nullable("string"), "year": _nullable("integer"),
                                                           "current": {"type": "boolean"}}))},
                                optional=("series",)),
        "SearchResults": _object({"query": {"type": "string"}, "suggestions": _array({"type": "string"}),
                                  "note": {"type": "string"},
                                  "results": _array(_object({**brief, "matched": {"type": "string"},
                                                             "match": {"type": "string"}, "type": _nullable("string"),
                                                             "year": _nullable("integer"),
                                                             "genres": _array({"type": "string"})}))}),
        "NewUserRecommendations": _object({
            "liked": _array(_ref("AnimeBrief")), "disliked": _array(_ref("AnimeBrief")),
            "genres": _array({"type": "string"}), "mode": {"type": "string"}, "note": {"type": "string"},
            "results": results,
            "unmatched": _array(_object({"input": {"type": "string"}, "suggestions": _array({"type": "string"})})),
            "read": _array(_object({"input": {"type": "string"}, "anime_id": _nullable("integer"),
                                    "title": _nullable("string"), "match": {"type": "string"},
                                    "alternatives": _array({"type": "object"})}))}, optional=("read",)),
        "ListRecommendations": _object({
            "liked": _array(_ref("AnimeBrief")), "disliked": _array(_ref("AnimeBrief")),
            "genres": _array({"type": "string"}), "mode": {"type": "string"}, "note": {"type": "string"},
            "results": results,
            "imported": _object({"entries": {"type": "integer"}, "matched": {"type": "integer"},
                                 "unknown_ids": _array({"type": "integer"}),
                                 "by_status": {"type": "object", "additionalProperties": {"type": "integer"}},
                                 "skipped": {"type": "integer"}, "bad_scores": {"type": "integer"},
                                 "duplicates": {"type": "integer"}}),
            "taste_profile": _array(_object({"genre": {"type": "string"}, "count": {"type": "integer"}}))}),
        "Error": _object({"error": _object({"code": {"type": "integer"}, "title": {"type": "string"},
                                            "message": {"type": "string"},
                                            "suggestions": _array({"type": "string"})}, optional=("suggestions",))}),
    }


def _one_of(values: list[str]) -> dict:
    """A string from `values` (any string when the model, and so the list, is not loaded)."""
    return {"type": "string", "enum": values} if values else {"type": "string"}


def filter_parameters(cfg: ServingConfig, genres: list[str], types: list[str]) -> list[dict]:
    """n and the filters every recommendation endpoint takes (web/params.py)."""
    return [
        _query("n", {"type": "integer", "minimum": 1, "maximum": cfg.max_n}, "how many results"),
        _query("genre", {**_array(_one_of(genres)), "maxItems": cfg.max_list_values}, "repeatable; all must match"),
        _query("type", {**_array(_one_of(types)), "maxItems": cfg.max_list_values}, "repeatable; any may match"),
        _query("year_min", {"type": "integer", "minimum": 1900, "maximum": 2100}, "not after year_max"),
        _query("year_max", {"type": "integer", "minimum": 1900, "maximum": 2100}, "not before year_min"),
        _query("min_score", {"type": "string", "pattern": r"^(0?[0-9](\.[0-9]{1,3})?|10(\.0{1,3})?)$"},
               "minimum MAL score, 0 to 10"),
        _query("adult", {"type": "string", "enum": sorted(TRUE | FALSE)},
               "include adult titles (default: serving.show_adult)"),
        _query("group_franchises", {"type": "string", "enum": sorted(TRUE | FALSE)},
               "one entry per franchise (default: on)"),
        *(_query(name, {**_array({"type": "integer", "format": "int64", "minimum": 0, "maximum": INT64_MAX}),
                        "maxItems": cfg.max_list_values}, what)
          for name, what in (("hide", "repeatable MAL ids the viewer is not interested in: left out"),
                             ("seen", "repeatable MAL ids the viewer has seen: left out, and watched for the "
                                      "series order"))),
        _query("popularity_discount", {"type": "string", "pattern": _up_to(cfg.max_popularity_discount)},
               f"favour lesser-known titles: 0 (none) to {cfg.max_popularity_discount:g} "
               f"(default: {cfg.popularity_discount:g}; {cfg.picks_popularity_discount:g} for liked titles)"),
    ]


def _up_to(high: float) -> str:
    """A decimal with up to three places from 0 to `high` (a whole number below 10), as web/params reads it."""
    top = int(high)
    below = f"[0-{top - 1}]" if top > 1 else "0"
    return rf"^(0?{below}(\.[0-9]{{1,3}})?|{top}(\.0{{1,3}})?)$"


def _text(name: str, cfg: ServingConfig, description: str) -> dict:
    return _query(name, {"type": "string", "minLength": 1, "maxLength": cfg.max_text_length}, description, True)


def _titles(name: str, cfg: ServingConfig, required: bool) -> dict:
    items = {"type": "string", "minLength": 1, "maxLength": cfg.max_text_length}
    return _query(name, {**_array(items), "maxItems": cfg.max_list_values, "minItems": 1 if required else 0},
                  f"MAL ids or titles, repeatable; at most {cfg.max_titles} titles per request", required)


def _operation(summary: str, body: str, parameters: list[dict], codes: tuple[int, ...]) -> dict:
    responses = {"200": {"description": "OK", "content": {JSON: {"schema": _ref(body)}}}}
    for code in codes:
        responses[str(code)] = {"description": "error", "content": {JSON: {"schema": _ref("Error")}}}
    return {"get": {"summary": summary, "parameters": parameters, "responses": responses}}


def _import_operation(cfg: ServingConfig, filters: list[dict]) -> dict:
    """POST of a MyAnimeList export (web/imports.py): multipart field `file`, filters in the query string."""
    planned = _query("include_planned", {"type": "string", "enum": ["1", "0"]}, "let Plan to Watch titles back")
    dropped = _query("dropped_dislikes", {"type": "string", "enum": sorted(TRUE | FALSE)},
                     "Dropped titles count as dislikes (default: on; off, only their score speaks)")
    operation = _operation("Recommendations for an uploaded MyAnimeList export (.xml or .xml.gz)",
                           "ListRecommendations", [planned, dropped, *filters], (400, 413, 503))["get"]
    body = {"type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary", "maxLength": cfg.import_max_bytes}}}
    operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": body}}}
    return {"post": operation}


def document(cfg: ServingConfig, genres: list[str], types: list[str]) -> dict[str, Any]:
    """The whole document for a model with these genres and types (errors: 400 input, 404 unknown, 503 no model)."""
    filters = filter_parameters(cfg, genres, types)
    mode = _query("mode", {"type": "string", "enum": list(MODES)}, "recommendation source")
    errors = (400, 404, 503)
    paths = {
        "/users/{user_id}/recommendations": _operation("Recommendations for a known user", "UserRecommendations",
                                                       [_id_path("user_id"), mode, *filters], errors),
        "/users/{user_id}/profile": _operation("A user's genre profile and similar users", "UserProfile",
                                               [_id_path("user_id")], errors),
        "/anime/{anime_id}": _operation("One anime", "Anime", [_id_path("anime_id")], errors),
        "/anime/{anime_id}/similar": _operation("Anime similar to one anime", "SimilarAnime",
                                                [_id_path("anime_id"), *filters], errors),
        "/similar": _operation("Anime similar to the surely read title (404 with the alternatives otherwise)",
                               "SimilarAnime", [_text("title", cfg, "a title or a fan's short form"), *filters],
                               errors),
        "/search": _operation("Title search", "SearchResults",
                              [_text("q", cfg, "romaji, English or Japanese name, or a fan's short form"),
                               _query("n", {"type": "integer", "minimum": 1, "maximum": cfg.max_n}, "how many"),
                               _query("adult", {"type": "string", "enum": sorted(TRUE | FALSE)},
                                      "include adult titles (default: serving.show_adult)")],
                              (400, 503)),
        "/recommendations/new-user": _operation(
            "Recommendations from liked anime and/or genres, no account", "NewUserRecommendations",
            [_titles("liked", cfg, False), _titles("disliked", cfg, False), *filters], (400, 503)),
        "/recommendations/import": _import_operation(cfg, filters),
    }
    return {"openapi": "3.0.3",
            "info": {"title": "Anime recommender API", "version": "1",
                     "description": "GET, and POST for a list import; errors are JSON {error: {code, title, message}}. "
                                    "See docs/web.md."},
            "servers": [{"url": "/api/v1"}], "paths": paths, "components": {"schemas": schemas()}}
