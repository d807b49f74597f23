"""Response headers: security headers on every kind of response, and Allow on a 405."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

EVERY_KIND = ["/", "/user/10", "/anime/100", "/search?q=pokemon", "/new?liked=101", "/api/v1/users/10/profile",
              "/api/v1/nothing", "/static/style.css", "/user/424242", "/user/abc", "/metrics", "/healthz", "/readyz",
              "/no-such-page", "/user?user_id=10", "/api/v1/openapi.json", "/import"]


@pytest.mark.parametrize("url", EVERY_KIND)
def test_security_headers_on_every_response(client, url):
    with client.get(url) as response:  # closes the static file's stream
        headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp and "script-src" not in csp  # no script at all: nothing to allow
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_security_headers_on_a_500_and_a_405(app, monkeypatch):
    from anime_recommender.recommend.engine import Recommender

    monkeypatch.setattr(Recommender, "recommend", lambda *a, **k: 1 / 0)
    client = app.test_client()
    for response in (client.get("/user/10"), client.post("/user/10")):
        assert response.status_code in (500, 405)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("url,allowed", [("/user/10", {"GET", "HEAD", "OPTIONS"}),
                                         ("/api/v1/users/10/profile", {"GET", "HEAD", "OPTIONS"})])
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "BREW"])
def test_method_not_allowed_names_the_allowed_methods(client, url, allowed, method):
    response = client.open(url, method=method)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed


TEMPLATES = sorted((PROJECT_ROOT / "templates").glob("*.html"))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_need_nothing_the_policy_forbids(template: Path):
    """The CSP allows only same-origin stylesheets: no inline script, handler, style or foreign resource."""
    text = template.read_text(encoding="utf-8")
    assert not re.search(r"<script|<style|\sstyle=|\son[a-z]+=|javascript:", text, re.IGNORECASE)
    assert not re.search(r"(src|href)=\"(https?:)?//", text), "resources from another origin"


def test_the_import_api_named_with_get_says_to_post(client):
    response = client.get("/api/v1/recommendations/import")
    assert response.status_code == 405 and response.headers["Allow"] == "POST"
