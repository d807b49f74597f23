"""The API is declared once (web/declare.py): the OpenAPI document is generated from the models the routes
parse with, every bound it documents is the one the route enforces, and the answers are the models' shapes."""
from __future__ import annotations

import io
import json
import re

import pytest

from anime_recommender.recommend.filters import Filters
from anime_recommender.web import openapi, service
from anime_recommender.web.declare import PathIds, bounds
from tests.recommend.exports import fixture_bytes

IMPORT = "/api/v1/recommendations/import"
KNOWN_IDS = {"user_id": "10", "anime_id": "106"}
# the catch-all 404, the document itself, and the import's GET twin (a 405 naming POST)
NOT_DECLARED = {"api.not_found", "api.openapi_document", "imports.api_needs_post"}


@pytest.fixture(scope="module")
def document(app):
    with app.test_client() as client:
        return client.get("/api/v1/openapi.json").get_json()


@pytest.fixture(scope="module")
def limits(app):
    with app.app_context():
        return bounds(service.get_recommender())


def test_every_api_route_is_declared(app):
    undeclared = [rule.rule for rule in app.url_map.iter_rules()
                  if rule.rule.startswith("/api/v1/") and rule.endpoint not in NOT_DECLARED
                  and not hasattr(app.view_functions[rule.endpoint], "operation")]
    assert undeclared == []


def test_each_documented_parameter_is_a_field_of_the_model_the_route_parses_with(app, document, limits):
    for key, (path_names, op) in openapi.operations(app).items():
        method, path = key.split(" ", 1)
        documented = [p["name"] for p in document["paths"][path][method.lower()]["parameters"]]
        query = list(op.query(limits).model_fields) if op.query else []
        assert documented == path_names + query, key
        assert set(path_names) <= set(PathIds.model_fields), key


def _url(path: str, query: str, operation: dict) -> str:
    """The operation's address with known ids, its required parameters given, and `query`."""
    for name, value in KNOWN_IDS.items():
        path = path.replace("{" + name + "}", value)
    required = [f"{p['name']}=pokemon" for p in operation["parameters"]
                if p["in"] == "query" and p["required"] and not query.startswith(p["name"] + "=")]
    return f"/api/v1{path}?" + "&".join([*required, query])


def _too_much(parameter: dict) -> tuple[str, str] | None:
    """A query string one past the documented bound of `parameter`, and the words the 400 must say."""
    name, schema = parameter["name"], parameter["schema"]
    if "maximum" in schema:
        return f"{name}={schema['maximum'] + 1}", f"{name} must be a whole number between"
    if "maxItems" in schema:
        item = "1" if schema["items"].get("type") == "integer" else (schema["items"].get("enum") or ["x"])[0]
        return "&".join([f"{name}={i}" if item == "1" else f"{name}={item}{i}" for i in range(schema["maxItems"] + 1)]
                        ), f"too many {name} values: at most {schema['maxItems']}"
    if "maxLength" in schema:
        return f"{name}={'a' * (schema['maxLength'] + 1)}", f"at most {schema['maxLength']} characters"
    return None


def _documented_bounds(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation["parameters"]:
                if parameter["in"] == "query" and _too_much(parameter):
                    yield method, path, operation, parameter


def test_every_documented_bound_is_the_one_the_route_enforces(client, document):
    checked = 0
    for method, path, operation, parameter in _documented_bounds(document):
        query, words = _too_much(parameter)
        if method == "post":
            upload = {"file": (io.BytesIO(fixture_bytes()), "list.xml.gz")}
            response = client.post(_url(path, query, operation), data=upload, content_type="multipart/form-data")
        else:
            response = client.get(_url(path, query, operation))
        assert response.status_code == 400, (path, parameter["name"], response.get_json())
        assert words in response.get_json()["error"]["message"], (path, parameter["name"])
        checked += 1
    assert checked >= 40  # n, genre, type, years, hide, seen, texts, ... on each of the 7 routes with a query


def test_the_enums_are_the_models_genres_and_types(document, limits):
    parameters = document["paths"]["/anime/{anime_id}/similar"]["get"]["parameters"]
    genre = next(p for p in parameters if p["name"] == "genre")
    assert genre["schema"]["items"]["enum"] == list(limits.genres) and limits.genres


def test_the_year_range_has_one_message(client):
    response = client.get("/api/v1/users/10/recommendations?year_min=2010&year_max=2000")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "year range is empty: from 2010 to 2000"


@pytest.mark.parametrize("url,call", [
    ("/api/v1/users/10/recommendations?n=3", lambda rec: rec.recommend(10, 3)),
    ("/api/v1/users/10/profile", lambda rec: rec.user_profile(10)),
    ("/api/v1/anime/106", lambda rec: rec.anime(106)),
    ("/api/v1/anime/900/similar?n=2", lambda rec: rec.similar_anime(900, 2)),
    ("/api/v1/search?q=pokemon&n=5", lambda rec: rec.search("pokemon", 5)),
    ("/api/v1/recommendations/new-user?liked=101&n=4", lambda rec: rec.recommend_new_user([101], n=4)),
    ("/api/v1/recommendations/together?user_id=10&user_id=12&n=3", lambda rec: rec.watch_together(
        [rec.person_from_user(10, "Person 1"), rec.person_from_user(12, "Person 2")], 3, filters=Filters())),
])
def test_the_answer_models_send_every_key_the_engine_gives(app, client, url, call):
    """Nothing the engine's to_dict gives is dropped by the answer model (a new key must be declared)."""
    with app.app_context():
        expected = json.loads(json.dumps(call(service.get_recommender()).to_dict()))
    body = client.get(url).get_json()
    assert {k: v for k, v in body.items() if k not in ("read", "unmatched")} == expected


def _input_bounds(page: str, name: str) -> tuple[int, int]:
    tag = re.search(rf'<input type="number" name="{name}" min="([0-9]+)" max="([0-9]+)"', page)
    assert tag, name
    return int(tag[1]), int(tag[2])


def test_the_pages_filter_form_has_the_apis_bounds(client, document):
    """The page's number inputs are bounded by what the API documents (one declaration behind both)."""
    page = client.get("/user/10").get_data(as_text=True)
    parameters = {p["name"]: p["schema"] for p in
                  document["paths"]["/users/{user_id}/recommendations"]["get"]["parameters"]}
    for name in ("n", "year_min", "year_max"):
        assert _input_bounds(page, name) == (parameters[name]["minimum"], parameters[name]["maximum"]), name
