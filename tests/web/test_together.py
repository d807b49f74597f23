"""Watch together (/together, /api/v1/recommendations/together) and continue your franchises
(/api/v1/users/<id>/continue, the user and import pages) on the tiny runs: answers, and a clear 4xx for bad input."""
from __future__ import annotations

import gzip
import html
import re

import pytest

from anime_recommender.config import load_config
from anime_recommender.web import create_app
from tests.recommend import franchise_run, tiny_run
from tests.recommend.exports import entries_xml, fixture_bytes
from tests.web.test_import import _file, post

API = "/api/v1/recommendations/together"
EVEN_A, EVEN_B, ODD = tiny_run.user_id(0), tiny_run.user_id(2), tiny_run.user_id(1)


@pytest.fixture(scope="module")
def fr_client(franchise_artifacts):
    """A client of the app on the tiny run with the Dragon Ball titles and fans."""
    app = create_app(load_config(env={}), {"ARTIFACTS_DIR": str(franchise_artifacts), "TESTING": True})
    return app.test_client()


def _files(**named: bytes) -> dict:
    return {name: _file(content)["file"] for name, content in named.items()}


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _listed(app, user_id: int) -> set[int]:
    from anime_recommender.web import service

    with app.app_context():
        return set(service.get_recommender().m.listed_ids(user_id).tolist())


def test_the_page_is_one_form_with_four_people_and_works_without_javascript(client):
    page = _text(client.get("/together"))
    form = re.search(r'<form[^>]*id="together-form"[^>]*>', page).group(0)
    assert 'method="post"' in form and 'enctype="multipart/form-data"' in form
    for i in (1, 2, 3, 4):
        assert f'name="user{i}"' in page and f'name="liked{i}"' in page and f'name="file{i}"' in page
    assert "<script" not in page


def test_a_shareable_address_gives_the_list_with_each_persons_reason(client, app):
    page = _text(client.get(f"/together?name1=Ana&user1={EVEN_A}&name2=Ben&user2={EVEN_B}&n=5"))
    assert page.count('class="result"') == 5
    assert page.count("<li>Ana: close to ") == 5 and page.count("<li>Ben: close to ") == 5
    shown = {int(a) for a in re.findall(r'class="title" href="/anime/(\d+)"', page)}
    assert len(shown) == 5 and not shown & (_listed(app, EVEN_A) | _listed(app, EVEN_B))


def test_the_api_takes_user_ids_and_names_people_by_default(client, app):
    body = client.get(f"{API}?user_id={EVEN_A}&user_id={ODD}&n=6").get_json()
    assert [p["name"] for p in body["people"]] == ["Person 1", "Person 2"]
    assert len(body["results"]) == 6 and body["aggregation"] == "probability_mean"
    for item in body["results"]:
        assert [p["name"] for p in item["people"]] == ["Person 1", "Person 2"]
        assert item["anime_id"] not in _listed(app, EVEN_A) | _listed(app, ODD)
    assert body["results"][0]["explanation"].startswith("Person 1: close to ")


def test_titles_make_a_person_and_titles_not_read_are_said(client):
    body = client.get(f"{API}?name1=Cleo&liked1=Attack on Titan&liked1=Toradora!&user2={ODD}"
                      "&name3=Dan&liked3=qqqzzzxx&liked3=101").get_json()
    assert [(p["name"], p["given_as"]) for p in body["people"]] == [("Cleo", "titles"), ("Person 2", "user"),
                                                                    ("Dan", "titles")]
    assert any(n.startswith("Dan: “qqqzzzxx” was not used") for n in body["notes"])
    assert not {r["anime_id"] for r in body["results"]} & {106, 103, 101}


@pytest.mark.parametrize("query,code,message", [
    (f"user_id={EVEN_A}", 400, "watch together is for 2 to 4 people"),
    ("&".join(f"user_id={u}" for u in (10, 11, 12, 13, 14)), 400, "too many user_id values: at most 4"),
    (f"user1={EVEN_A}&user2={ODD}&user3=12&user4=14&user_id=16", 400, "watch together is for 2 to 4 people"),
    (f"user_id={EVEN_A}&user_id=424242", 404, "Person 2: User 424242 is not in our data"),
    (f"user1={EVEN_A}&name2=Ben&user2=abc", 400, "user2 must be a whole number"),
    (f"user1={EVEN_A}&user2={ODD}&liked2=Toradora!", 400, "give one of a user ID, a list file or a few titles"),
    (f"user1={EVEN_A}&liked2=900", 400, "Person 2: none of the anime given is known well enough"),
    (f"user1={EVEN_A}&user2={ODD}&name1={'x' * 121}", 400, "name1 is too long: at most 120 characters"),
    (f"user1={EVEN_A}&user2={ODD}&year_min=2000&year_max=1990", 400, "year range is empty"),
])
def test_bad_groups_get_a_clear_4xx_on_the_api_and_the_page(client, query, code, message):
    response = client.get(f"{API}?{query}")
    assert response.status_code == code and message in response.get_json()["error"]["message"]
    page = client.get(f"/together?{query}")
    assert page.status_code == code and 'id="together-error"' in _text(page)
    assert 'id="together-form"' in _text(page)  # the form is there to fix it


def test_uploaded_lists_through_the_api_and_the_page(client):
    body = post(client, f"{API}?n=5", {**_files(file1=gzip.compress(fixture_bytes()), file2=entries_xml(4, 101)),
                                       "name1": "Fan"}).get_json()
    assert [(p["name"], p["given_as"]) for p in body["people"]] == [("Fan", "list"), ("Person 2", "list")]
    assert len(body["results"]) == 5 and not {r["anime_id"] for r in body["results"]} & {101, 103, 105, 104, 106}
    page = post(client, "/together", {**_files(file1=entries_xml(3, 100)), "user2": str(ODD), "n": "3"})
    assert page.status_code == 200 and _text(page).count('class="result"') == 3
    assert 'id="together-share"' not in _text(page)  # a list with a file in it has no address to share


def test_a_group_without_files_posted_from_the_page_gets_a_shareable_link(client):
    page = _text(post(client, "/together", {"user1": str(EVEN_A), "user2": str(EVEN_B), "name1": "Ana"}))
    link = html.unescape(re.search(r'id="together-share" href="([^"]+)"', page).group(1))
    assert link.startswith("/together?") and "name1=Ana" in link
    assert client.get(link).status_code == 200


def test_a_bad_file_names_its_person_and_an_oversized_body_is_refused(client, app):
    response = post(client, API, {**_files(file1=entries_xml(3), file2=b"not a list"), "name2": "Ben"})
    assert response.status_code == 400 and response.get_json()["error"]["message"].startswith("Ben's file:")
    limit = app.config["APP_CONFIG"].serving.import_max_bytes
    big = post(client, API, _files(file1=b"x" * (limit + 1), file2=entries_xml(3)))
    assert big.status_code == 413 and "at most" in big.get_json()["error"]["message"]


def test_continue_api_user_page_and_errors(fr_client):
    body = fr_client.get(f"/api/v1/users/{franchise_run.FAN_STARTED}/continue").get_json()
    assert [(e["franchise"], e["title"], e["remaining"]) for e in body["continue"]] == [
        ("Dragon Ball", "Dragon Ball Z", 4)]
    page = _text(fr_client.get(f"/user/{franchise_run.FAN_STARTED}"))
    section = page.split('id="continue"')[1]
    assert "Dragon Ball Z" in section and "next in Dragon Ball (1 watched, 4 parts to go)" in section
    assert fr_client.get(f"/api/v1/users/{franchise_run.FAN_NEW}/continue").get_json()["continue"] == []
    assert fr_client.get("/api/v1/users/424242/continue").status_code == 404
    assert fr_client.get("/api/v1/users/abc/continue").status_code == 400


def test_continue_api_honours_not_interested_and_seen_it(fr_client):
    """`hide` leaves the franchise of a next entry out, `seen` moves the series on; bad ids are a clear 400."""
    url = f"/api/v1/users/{franchise_run.FAN_STARTED}/continue"
    assert fr_client.get(f"{url}?hide=813").get_json()["continue"] == []
    moved = fr_client.get(f"{url}?seen=813").get_json()["continue"]
    assert [(e["title"], e["watched"], e["remaining"]) for e in moved] == [("Dragon Ball Z:Dead Zone", 2, 3)]
    bad = fr_client.get(f"{url}?hide=abc")
    assert bad.status_code == 400 and "hide" in bad.get_json()["error"]["message"]


def test_the_user_pages_continue_list_keeps_its_next_entry_under_other_filters_and_marks_it(fr_client):
    """Genre and year filters narrow the recommendations, not the next part of a series; its "Seen it" link
    moves the series on, its "Not interested" link leaves it out."""
    page = _text(fr_client.get(f"/user/{franchise_run.FAN_STARTED}?genre=Shounen&year_min=2010"))
    section = page.split('id="continue"')[1]
    assert "next in Dragon Ball (1 watched, 4 parts to go)" in section
    seen = re.search(r'class="seen-it" rel="nofollow" href="([^"]+)"', section).group(1)
    hide = re.search(r'class="hide-it" rel="nofollow" href="([^"]+)"', section).group(1)
    assert "seen=813" in seen and "hide=813" in hide
    assert "next in Dragon Ball (2 watched, 3 parts to go)" in _text(fr_client.get(seen)).split('id="continue"')[1]
    assert "No series to continue" in _text(fr_client.get(hide)).split('id="continue"')[1]


def test_the_import_answer_and_page_carry_the_next_entries(fr_client):
    export = (b'<?xml version="1.0" encoding="UTF-8" ?><myanimelist><myinfo/><anime><series_animedb_id>813'
              b'</series_animedb_id><my_score>9</my_score><my_status>Completed</my_status></anime><anime>'
              b'<series_animedb_id>223</series_animedb_id><my_score>8</my_score><my_status>Completed</my_status>'
              b'</anime></myanimelist>')
    body = post(fr_client, "/api/v1/recommendations/import", _file(export)).get_json()
    assert [(e["title"], e["remaining"]) for e in body["continue"]] == [("Dragon Ball Z:Dead Zone", 3)]
    page = _text(post(fr_client, "/import", _file(export)))
    assert "Continue your series" in page and "Dragon Ball Z:Dead Zone" in page.split('id="continue"')[1]
    assert 'form="rerun" name="seen" value="894"' in page.split('id="continue"')[1]  # "Seen it" reruns the list
    moved = post(fr_client, "/api/v1/recommendations/import?seen=894", _file(export)).get_json()["continue"]
    assert [e["title"] for e in moved] == ["Dragon Ball GT"]
    assert post(fr_client, "/api/v1/recommendations/import?hide=894", _file(export)).get_json()["continue"] == []


def test_not_interested_on_a_shared_list_hides_the_title_and_the_list_refills(client):
    url = f"/together?user1={EVEN_A}&user2={EVEN_B}&n=5"
    page = _text(client.get(url))
    first = re.search(r'class="title" href="/anime/(\d+)"', page).group(1)
    hide = re.search(r'class="hide-it" rel="nofollow" href="([^"]+)"', page).group(1)
    again = _text(client.get(hide))
    shown = re.findall(r'class="title" href="/anime/(\d+)"', again)
    assert first not in shown and len(shown) == 5 and 'id="hidden-note"' in again
