"""The taste map on the user and import pages: the viewer's titles and the recommendations marked on a
server-side SVG when the run has a map; a run published before maps renders the same pages without one."""
from __future__ import annotations

import gzip
import html
import re

import pytest

from anime_recommender.config import load_config
from anime_recommender.web import create_app
from tests.recommend.exports import FIXTURE_IDS, fixture_bytes
from tests.recommend.tiny_run import LISTED_USERS, N_ANIME, build_tiny_run, seen_lists, user_id
from tests.web.test_import import _file, post

ON_MODEL = [a for a in FIXTURE_IDS if 100 <= a < 100 + N_ANIME]  # the export's titles the map has


@pytest.fixture(scope="module")
def map_client(tmp_path_factory):
    root = tmp_path_factory.mktemp("map-artifacts")
    build_tiny_run(root, with_map=True)
    return create_app(load_config(env={}), {"ARTIFACTS_DIR": str(root), "TESTING": True}).test_client()


def marks(page: str, kind: str) -> list[str]:
    """The titles of the marks of one kind ("mine" or "rec") on the page's map."""
    return re.findall(rf'<circle class="mark {kind}"[^>]*><title>([^<]*)</title>', page)


def test_user_page_marks_their_titles_and_the_recommendations(map_client):
    page = map_client.get(f"/user/{user_id(0)}?n=5").get_data(as_text=True)
    assert 'id="taste-map"' in page and 'role="img"' in page
    assert '<title id="taste-map-title">Where user 10&#39;s list sits among the anime</title>' in page
    assert len(marks(page, "mine")) == len(set(seen_lists()[0][0])) == 6
    recs = re.findall(r'<li class="result"', page)
    assert len(marks(page, "rec")) == len(recs) == 5
    assert all(t.endswith("(recommended)") for t in marks(page, "rec"))
    desc = " ".join(re.search(r'<desc id="taste-map-desc">(.*?)</desc>', page, re.S).group(1).split())
    assert desc.startswith("6 titles from user 10&#39;s list in orange and 5 recommendations in blue, among")


def test_a_user_training_left_out_is_drawn_from_their_list(map_client):
    page = map_client.get("/user/5").get_data(as_text=True)
    assert len(marks(page, "mine")) == len(LISTED_USERS[5])


def test_import_page_marks_the_uploaded_list_and_the_recommendations(map_client):
    page = post(map_client, "/import", {**_file(gzip.compress(fixture_bytes())), "n": "4"}).get_data(as_text=True)
    assert '<title id="taste-map-title">Where your list sits among the anime</title>' in page
    assert len(marks(page, "mine")) == len(ON_MODEL)
    assert len(marks(page, "rec")) == 4
    assert "embedding" not in page.lower()


def test_a_run_without_a_map_renders_its_pages_without_one(client):
    assert 'id="taste-map"' not in client.get(f"/user/{user_id(0)}").get_data(as_text=True)
    page = post(client, "/import", _file(gzip.compress(fixture_bytes()))).get_data(as_text=True)
    assert "For you" in page and 'id="taste-map"' not in page


def test_the_api_gives_the_pictures_points(map_client):
    """GET /api/v1/users/<id>/taste-map: the same titles and recommendations as the page's marks."""
    body = map_client.get(f"/api/v1/users/{user_id(0)}/taste-map?n=5").get_json()
    page = map_client.get(f"/user/{user_id(0)}?n=5").get_data(as_text=True)
    assert body["user_id"] == user_id(0) and body["mine_on_map"] == len(body["mine"]) == 6
    assert [f"{p['title']} (on the list)" for p in body["mine"]] == [html.unescape(t) for t in marks(page, "mine")]
    shown = map_client.get(f"/api/v1/users/{user_id(0)}/recommendations?n=5").get_json()["results"]
    assert [p["anime_id"] for p in body["recommended"]] == [r["anime_id"] for r in shown]
    for point in body["mine"] + body["recommended"] + body["landmarks"]:
        assert 0 <= point["x"] <= body["width"] and 0 <= point["y"] <= body["height"]


def test_the_api_says_when_a_model_has_no_map_or_the_user_is_unknown(client, map_client):
    missing = client.get(f"/api/v1/users/{user_id(0)}/taste-map")
    assert missing.status_code == 404 and "no taste map" in missing.get_json()["error"]["message"]
    assert map_client.get("/api/v1/users/424242/taste-map").status_code == 404
    assert map_client.get("/api/v1/users/abc/taste-map").status_code == 400
