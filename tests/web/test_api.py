"""The JSON API: shapes of answers and of errors."""
from __future__ import annotations

import json

import pytest

from anime_recommender.config import load_config
from anime_recommender.web import create_app


def test_user_recommendations(client):
    body = client.get("/api/v1/users/10/recommendations?n=3").get_json()
    assert body["user_id"] == 10 and body["mode"] == "hybrid" and len(body["results"]) == 3
    first = body["results"][0]
    assert {"anime_id", "title", "score", "explanation", "source", "genres", "type", "year"} <= set(first)


def test_each_result_names_the_list_entries_behind_it(client):
    body = client.get("/api/v1/users/10/recommendations?n=3&mode=model").get_json()
    on_list = {100, 102, 104, 106, 108, 101}  # user 10's list (tests/recommend/tiny_run.seen_lists)
    for result in body["results"]:
        because = result["because"]
        assert 1 <= len(because) <= 3 and {b["anime_id"] for b in because} <= on_list
        assert all(set(b) == {"anime_id", "title", "share"} and 0 < b["share"] <= 1 for b in because)
        assert because[0]["title"] in result["explanation"]


def test_the_popularity_discount_is_a_bounded_parameter(client):
    plain = client.get("/api/v1/users/10/recommendations?n=10&popularity_discount=0").get_json()["results"]
    strong = client.get("/api/v1/users/10/recommendations?n=10&popularity_discount=2").get_json()["results"]
    assert [r["anime_id"] for r in plain] != [r["anime_id"] for r in strong]
    response = client.get("/api/v1/users/10/recommendations?popularity_discount=2.5")
    assert response.status_code == 400 and "popularity_discount" in response.get_json()["error"]["message"]


def test_the_popularity_discount_takes_the_configured_shape(client, tiny_artifacts):
    cfg = load_config(env={})
    on_bias = create_app(cfg.replace("serving", popularity_shape="bias"),
                         {"ARTIFACTS_DIR": str(tiny_artifacts), "TESTING": True}).test_client()
    query = "/api/v1/users/10/recommendations?n=10&mode=model&popularity_discount="

    def ids(c, beta: str) -> list[int]:
        return [r["anime_id"] for r in c.get(query + beta).get_json()["results"]]

    assert ids(on_bias, "0") == ids(client, "0") and ids(on_bias, "2") not in (ids(on_bias, "0"), ids(client, "2"))
    response = on_bias.get("/api/v1/users/10/recommendations?popularity_discount=2.5")
    assert response.status_code == 400 and "popularity_discount" in response.get_json()["error"]["message"]


def test_user_profile(client):
    body = client.get("/api/v1/users/10/profile").get_json()
    assert body["genres"][0]["genre"] in {"Action", "Shounen"} and body["similar_users"][0]["user_id"] == 12


def test_similar(client):
    body = client.get("/api/v1/anime/900/similar?n=2").get_json()
    assert body["method"] == "tfidf" and body["results"][0]["anime_id"] == 901


def test_similar_by_title(client):
    body = client.get("/api/v1/similar?title=kimi%20no%20na%20wa&n=1").get_json()
    assert body["anime"]["anime_id"] == 900 and body["results"][0]["anime_id"] == 901


def test_similar_by_unknown_title_suggests(client):
    response = client.get("/api/v1/similar?title=qqqzzzxx")
    assert response.status_code == 404 and response.get_json()["error"]["suggestions"]


def test_anime_details(client):
    assert client.get("/api/v1/anime/106").get_json()["english_name"] == "Attack on Titan"


def test_search(client):
    body = client.get("/api/v1/search?q=pokemon").get_json()
    assert body["results"][0]["anime_id"] == 104


def test_new_user_by_ids_and_titles(client):
    body = client.get("/api/v1/recommendations/new-user?liked=101&liked=Toradora&liked=zzqqxx&n=4").get_json()
    assert [a["anime_id"] for a in body["liked"]] == [101, 103] and len(body["results"]) == 4
    assert body["unmatched"][0]["input"] == "zzqqxx"


@pytest.mark.parametrize("url,code,needle", [
    ("/api/v1/users/abc/recommendations", 400, "whole number"),
    ("/api/v1/users/424242/recommendations", 404, "is not in our data"),
    ("/api/v1/users/10/recommendations?n=0", 400, "n must be"),
    ("/api/v1/users/10/recommendations?mode=x", 400, "mode must be"),
    ("/api/v1/users/10/recommendations?genre=Cooking", 400, "unknown genre"),
    ("/api/v1/anime/5/similar", 404, "no anime with ID 5 in the catalogue"),
    ("/api/v1/search?q=", 400, "empty"),
    ("/api/v1/recommendations/new-user", 400, "at least one"),
    ("/api/v1/nothing/here", 404, "no API endpoint"),
])
def test_errors_are_json(client, url, code, needle):
    response = client.get(url)
    assert response.status_code == code and response.is_json
    assert needle in response.get_json()["error"]["message"]


def test_json_keys_keep_the_order_they_are_built_in(client):
    """Not alphabetical: an error reads code, title, message (Flask sorts unless the provider says not to)."""
    response = client.get("/api/v1/users/424242/recommendations")
    assert response.status_code == 404
    assert list(json.loads(response.get_data(as_text=True))["error"]) == ["code", "title", "message"]


def test_search_leaves_adult_titles_out_unless_asked(client):
    """Series 38 is the tiny run's adult title (tests/recommend/tiny_run.py ADULT_ROW)."""
    hidden = client.get("/api/v1/search?q=Series+38+English").get_json()
    shown = client.get("/api/v1/search?q=Series+38+English&adult=1").get_json()
    assert 138 not in [r["anime_id"] for r in hidden["results"]] and "Series 38 English" not in hidden["suggestions"]
    assert shown["results"][0]["anime_id"] == 138 and shown["note"] == ""
