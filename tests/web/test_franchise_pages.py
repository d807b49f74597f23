"""Pages and the JSON API on the run with real Dragon Ball titles: one entry per franchise, '+N more',
'Same series', and group_franchises=0 (tests/recommend/franchise_run.py)."""
from __future__ import annotations

import re

import pytest

from anime_recommender.config import load_config
from anime_recommender.web import create_app
from tests.recommend.franchise_run import FAN_NEW, FAN_STARTED


@pytest.fixture(scope="module")
def client(franchise_artifacts):
    # picks at full strength: the tiny run's biases are hand-set, not learned (tests/recommend/test_engine_franchise.py)
    cfg = load_config(env={}).replace("serving", picks_strength=1.0)
    app = create_app(cfg, {"ARTIFACTS_DIR": str(franchise_artifacts), "TESTING": True})
    return app.test_client()


def titles_on(page: str) -> list[str]:
    return re.findall(r'class="title" href="[^"]*">([^<]*)</a>', page)


def test_the_user_page_shows_one_dragon_ball_with_more_from_the_series(client):
    page = client.get(f"/user/{FAN_NEW}").get_data(as_text=True)
    assert [t for t in titles_on(page) if "Dragon Ball" in t] == ["Dragon Ball"]
    assert 'href="/anime/223#series">+4 more from this series</a>' in page and "where its series starts" in page


def test_group_franchises_0_shows_every_entry(client):
    page = client.get(f"/user/{FAN_NEW}?group_franchises=0").get_data(as_text=True)
    assert len([t for t in titles_on(page) if "Dragon Ball" in t]) == 6
    assert '<option value="0" selected>every entry</option>' in page


def test_the_api_groups_by_default_and_not_with_group_franchises_0(client):
    grouped = client.get(f"/api/v1/users/{FAN_STARTED}/recommendations?n=5").get_json()["results"]
    every = client.get(f"/api/v1/users/{FAN_STARTED}/recommendations?n=5&group_franchises=0").get_json()["results"]
    assert [r["title"] for r in grouped if "Dragon Ball" in r["title"]] == ["Dragon Ball Z"]
    assert grouped[0]["series_note"] == "next in a series you have started" and grouped[0]["more_in_series"] == 3
    assert sum("Dragon Ball" in r["title"] for r in every) == 5


def test_the_anime_page_lists_the_same_series_in_airing_order(client):
    page = client.get("/anime/225").get_data(as_text=True)
    series = page.split('id="series"')[1]
    assert re.findall(r"(Dragon Ball[^<]*)</", series) == [
        "Dragon Ball", "Dragon Ball Z", "Dragon Ball Z:Dead Zone",
        "Dragon Ball Z Special 1:Bardock, The Father of Goku", "Dragon Ball GT", "Dragon Ball Super"]
    assert 'aria-current="page"' in series and "<strong>Dragon Ball GT</strong>" in series
    more_like_this = page.split('id="similar"')[1].split('id="series"')[0]
    assert titles_on(more_like_this) and not [t for t in titles_on(more_like_this) if "Dragon Ball" in t]


def test_the_new_user_api_continues_a_liked_series(client):
    body = client.get("/api/v1/recommendations/new-user?liked=223&n=5").get_json()
    assert [r["title"] for r in body["results"] if "Dragon Ball" in r["title"]] == ["Dragon Ball Z"]


@pytest.mark.parametrize("path", ["/user/31?group_franchises=maybe",
                                  "/api/v1/users/31/recommendations?group_franchises=2"])
def test_a_bad_group_franchises_value_is_a_400(client, path):
    response = client.get(path)
    assert response.status_code == 400 and "group_franchises must be 1 or 0" in response.get_data(as_text=True)


def test_seen_it_counts_as_watched_for_the_series_order(client):
    """FAN_STARTED is offered Dragon Ball Z next; saying "Seen it" to it makes the next entry the one after."""
    url = f"/api/v1/users/{FAN_STARTED}/recommendations?n=5"
    first = [r for r in client.get(url).get_json()["results"] if "Dragon Ball" in r["title"]][0]
    after = [r for r in client.get(f"{url}&seen={first['anime_id']}").get_json()["results"]
             if "Dragon Ball" in r["title"]]
    assert first["title"] == "Dragon Ball Z" and after and after[0]["title"] not in ("Dragon Ball", "Dragon Ball Z")
    assert after[0]["series_note"] == "next in a series you have started"


def test_not_interested_in_the_api(client):
    url = f"/api/v1/users/{FAN_STARTED}/recommendations?n=5"
    first = client.get(url).get_json()["results"]
    hidden = client.get(f"{url}&hide={first[0]['anime_id']}").get_json()["results"]
    assert first[0]["anime_id"] not in [r["anime_id"] for r in hidden] and len(hidden) == len(first)
