"""Redirects built from request input: no url_for keyword injection, and never to another host."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

EVIL = {"Host": "evil.example"}


@pytest.mark.parametrize("name", ["_anchor", "_scheme", "_method", "_external"])
def test_url_for_keywords_in_the_query_are_plain_parameters(client, name):
    response = client.get(f"/user?user_id=10&{name}=x&{name}=y&n=5")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/user/10?{name}=x&{name}=y&n=5"


def test_user_form_keeps_repeated_and_escaped_values(client):
    response = client.get("/user?genre=Action&user_id=10&genre=Shounen&q=a%26b%3Dc")
    assert response.headers["Location"] == "/user/10?genre=Action&genre=Shounen&q=a%26b%3Dc"


def test_user_form_without_other_parameters_has_no_query(client):
    assert client.get("/user?user_id=10").headers["Location"] == "/user/10"


def _same_site(location: str) -> bool:
    parts = urlsplit(location)
    return not parts.scheme and not parts.netloc and location.startswith("/") and not location.startswith("//")


@pytest.mark.parametrize("url", [
    "/user?user_id=10&_external=1", "/user//evil.example", "/anime//evil.example", "/static//evil.example",
    "/user//evil.example?x=1", "//evil.example", "/similar?title=Toradora", "/api/v1//users/10/profile",
])
def test_redirects_stay_on_this_site_whatever_the_host_header(client, url):
    response = client.get(url, headers=EVIL)
    assert 300 <= response.status_code < 400, response.status_code
    assert _same_site(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize("location,expected", [
    ("http://evil.example/user/10?n=1#x", "/user/10?n=1#x"), ("//evil.example/x", "/x"),
    ("https://h", "/"), ("/anime/1#similar", "/anime/1#similar"), ("///a//b", "/a//b"),
])
def test_same_site_drops_scheme_and_host(location, expected):
    from anime_recommender.web.security import same_site

    assert same_site(location) == expected
