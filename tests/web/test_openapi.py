"""The API against its OpenAPI document, by schemathesis (property-based) on the real app and the tiny run.

8 operations x 40 examples (derandomized: the same examples every run): no 5xx, and every status code,
content type and body as the document says. Half the examples use ids the tiny run knows, so the 200
bodies are checked as often as the 404s that random ids give.
"""
from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from anime_recommender.web import openapi
from anime_recommender.web.app import register_blueprints
from tests.recommend.tiny_run import N_ANIME, N_USERS, UNSEEN_BY_MODEL, anime_id, user_id

EXAMPLES_PER_OPERATION = 40
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _declared_operations() -> list[tuple[str, str]]:
    """(path, METHOD) of every declared route, from the blueprints alone (no model needed to collect)."""
    bare = Flask(__name__)
    register_blueprints(bare)
    return sorted(tuple(reversed(key.split(" ", 1))) for key in openapi.operations(bare))


OPERATIONS = _declared_operations()
USERS = [user_id(row) for row in range(N_USERS)]
ANIME = [anime_id(row) for row in range(N_ANIME)] + list(UNSEEN_BY_MODEL)


def with_known_ids(case, user: int, anime: int):
    """The generated case, its path ids replaced by ones the tiny run has."""
    known = {"user_id": user, "anime_id": anime}
    case.path_parameters = {name: known.get(name, value) for name, value in (case.path_parameters or {}).items()}
    return case


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.mark.parametrize("path,method", OPERATIONS)
def test_api_answers_as_documented(api_schema, path, method):
    operation = api_schema[path][method]

    @given(case=st.one_of(operation.as_strategy(), st.builds(with_known_ids, operation.as_strategy(),
                                                             st.sampled_from(USERS), st.sampled_from(ANIME))))
    @settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    def answers_as_documented(case):
        case.call_and_validate(checks=CHECKS)

    answers_as_documented()


def test_document_lists_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    routes = {r.rule.removeprefix("/api/v1").replace("<", "{").replace(">", "}") for r in app.url_map.iter_rules()
              if r.rule.startswith("/api/v1/") and r.endpoint not in {"api.not_found", "api.openapi_document"}}
    assert document["openapi"].startswith("3.") and set(document["paths"]) == routes
    query = next(p for p in document["paths"]["/search"]["get"]["parameters"] if p["name"] == "q")
    assert query["schema"]["maxLength"] == 120  # serving.max_text_length
