"""A corpus of nasty inputs against every route: never a 500, never unescaped markup."""
from __future__ import annotations

from urllib.parse import quote

import pytest

MARKUP = '<script>alert("x")</script>'
NASTY = [
    "", " ", "abc", "-1", "1.5", "1e9", "0x1F", "9223372036854775807", "9223372036854775808",
    "99999999999999999999999999999999", "１２３", "٣", "NaN", "inf", "null", "%00", "\x00", "../../etc/passwd",
    "' OR 1=1 --", MARKUP, '"><img src=x onerror=alert(1)>', "進撃の巨人", "🙂" * 50, "a" * 5000,
    "{{7*7}}", "${7*7}", "\u202e", "Pokémon",
]
ROUTES = [
    "/user?user_id={v}", "/user/{v}", "/user/10?n={v}", "/user/10?mode={v}", "/user/10?genre={v}",
    "/user/10?type={v}", "/user/10?year_min={v}", "/user/10?min_score={v}", "/user/10?adult={v}",
    "/anime/{v}", "/anime/100?n={v}", "/search?q={v}", "/search?q=x&n={v}", "/new?liked={v}",
    "/new?genre={v}", "/new?liked=101&disliked={v}", "/similar?title={v}", "/api/v1/similar?title={v}",
    "/api/v1/users/{v}/recommendations", "/api/v1/users/10/recommendations?n={v}",
    "/api/v1/users/{v}/profile", "/api/v1/anime/{v}", "/api/v1/anime/{v}/similar", "/api/v1/search?q={v}",
    "/api/v1/recommendations/new-user?liked={v}", "/api/v1/recommendations/new-user?genre={v}",
]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("value", NASTY, ids=range(len(NASTY)))
def test_nasty_input_never_500_and_never_unescaped(client, route, value):
    response = client.get(route.format(v=quote(value, safe="")))
    body = response.get_data(as_text=True)
    assert response.status_code < 500, body[:500]
    assert MARKUP not in body and "<img src=x" not in body
    assert "Traceback" not in body


def test_oversized_query_string_is_refused(client):
    response = client.get("/search?q=" + "a" * 10_000)
    assert response.status_code == 400 and "too long" in response.get_data(as_text=True)


def test_many_repeated_values_are_capped(client):
    response = client.get("/new?" + "&".join(f"liked={i}" for i in range(30)))
    assert response.status_code == 400 and "Too many" in response.get_data(as_text=True)


OTHER_DIGITS = ["%D9%A3", "%EF%BC%91%EF%BC%90", "%E0%A5%A7%E0%A5%A6", "1%D9%A0"]  # ٣, １０ (fullwidth), १०, 1٠


@pytest.mark.parametrize("digits", OTHER_DIGITS)
@pytest.mark.parametrize("route", ["/api/v1/users/{v}/profile", "/api/v1/users/{v}/recommendations", "/user/{v}",
                                   "/user?user_id={v}", "/api/v1/anime/{v}", "/anime/{v}"])
def test_ids_are_ascii_digits_only(client, route, digits):
    response = client.get(route.format(v=digits))
    assert response.status_code == 400 and "whole number" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["n=%D9%A3", "year_min=%D9%A1%D9%A9%D9%A9%D9%A0", "min_score=%D9%A7"])
def test_numbers_in_parameters_are_ascii_digits_only(client, query):
    response = client.get(f"/api/v1/users/10/recommendations?{query}")
    assert response.status_code == 400, response.get_json()


def test_other_digits_in_a_new_user_list_are_text_not_ids(client):
    body = client.get("/api/v1/recommendations/new-user?liked=101&liked=%D9%A1%D9%A0%D9%A3").get_json()
    assert [a["anime_id"] for a in body["liked"]] == [101] and body["unmatched"][0]["input"] == "١٠٣"


KNOWN_TITLES = ["Toradora", "Pokemon", "Attack on Titan", "Demon Slayer", "Kimi no na wa", "Shingeki"]


@pytest.mark.parametrize("route", ["/new", "/api/v1/recommendations/new-user"])
def test_typed_titles_per_request_are_limited(client, route):
    """Each typed title costs a fuzzy search of the catalog: at most serving.max_titles (5) per request."""
    response = client.get(route + "?" + "&".join(f"liked={quote(t)}" for t in KNOWN_TITLES))
    assert response.status_code == 400 and "at most 5 typed titles" in response.get_data(as_text=True)
    split = "&".join(f"liked={quote(t)}" for t in KNOWN_TITLES[:3]) + "&disliked=Shingeki&disliked=zzqq&disliked=x"
    assert client.get(f"{route}?{split}").status_code == 400  # liked and disliked count together


def test_ids_do_not_count_as_titles(client):
    ids = "&".join(f"liked={100 + 2 * i}" for i in range(10))
    response = client.get(f"/api/v1/recommendations/new-user?{ids}&" + "&".join(
        f"liked={quote(t)}" for t in KNOWN_TITLES[:5]))
    assert response.status_code == 200 and len(response.get_json()["liked"]) >= 10


@pytest.mark.parametrize("route", ["/new?liked={v}", "/api/v1/recommendations/new-user?disliked={v}&liked=101",
                                   "/search?q={v}", "/api/v1/search?q={v}", "/similar?title={v}",
                                   "/api/v1/similar?title={v}"])
def test_text_longer_than_any_title_is_refused(client, route):
    """serving.max_text_length (120): the longest title of the 2020 catalog has 114 characters."""
    assert "too long" not in client.get(route.format(v="a" * 120)).get_data(as_text=True)
    response = client.get(route.format(v="a" * 121))
    assert response.status_code == 400 and "at most 120 characters (got 121)" in response.get_data(as_text=True)
