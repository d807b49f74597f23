"""Every page on the tiny run: status codes, content, shareable GET URLs."""
from __future__ import annotations

import io

import pytest


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_home_has_the_three_forms(client):
    page = _text(client.get("/"))
    assert 'name="user_id"' in page and 'name="liked"' in page and 'name="q"' in page


def test_user_form_redirects_to_a_shareable_url(client):
    response = client.get("/user?user_id=10&n=5&genre=Action")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/user/10?") and "genre=Action" in response.headers["Location"]


def test_user_page_shows_recommendations_chart_and_similar_users(client):
    page = _text(client.get("/user/10"))
    assert "Recommendations for user 10" in page and "<svg" in page and 'class="bar"' in page
    assert "user 12" in page and "Series 36 English" in page and "→" not in page.split("<main>")[0]


def test_user_page_filters_apply(client):
    page = _text(client.get("/user/10?type=Movie&n=3"))
    assert page.count('class="result"') == 3 and "Series 1" not in page.split("For you")[1].split("Taste")[0]


def test_short_history_user_sees_the_fallback_note(client):
    assert "top-rated popular anime" in _text(client.get("/user/29"))


def test_unknown_user_is_a_friendly_404(client):
    response = client.get("/user/424242")
    assert response.status_code == 404 and "User 424242 is not in our data." in _text(response)
    assert "Import your MyAnimeList list" in _text(response) and "Search for its title" not in _text(response)


def test_anime_page_shows_details_and_method(client):
    page = _text(client.get("/anime/106"))
    assert "Attack on Titan" in page and "進撃の巨人" in page and "what the same viewers watch" in page


def test_anime_unseen_by_model_uses_synopsis_and_genres(client):
    page = _text(client.get("/anime/900"))
    assert "Similarity by synopsis and genres" in page and "Comet Swap" in page


def test_unknown_anime_is_404(client):
    assert client.get("/anime/5").status_code == 404


def test_similar_by_title_redirects_to_the_anime(client):
    response = client.get("/similar?title=aot")
    assert response.status_code == 302 and response.headers["Location"] == "/anime/106#similar"


def test_similar_by_a_misspelt_title_offers_links_not_a_guess(client):
    response = client.get("/similar?title=Atack+on+Titn")
    assert response.status_code == 200 and 'href="/anime/106#similar"' in response.get_data(as_text=True)


def test_search_reads_short_forms_and_says_where_the_catalogue_ends(client):
    page = _text(client.get("/search?q=aot"))
    assert page.split('class="title"')[1].split("</a>")[0].endswith("Attack on Titan")
    assert "The catalogue ends in" in _text(client.get("/search?q=qqqqzzzzxx"))


def test_search_results_and_typos(client):
    page = _text(client.get("/search?q=atack+on+titan"))
    assert "Attack on Titan" in page and "close spelling" in page


def test_search_without_hits_suggests(client):
    page = _text(client.get("/search?q=qqqzzzxx"))
    assert "No title matches" in page and "Did you mean" in page


def test_new_user_from_titles_and_genres(client):
    response = client.get("/new?liked=Toradora&liked=103&liked=qqqzzz&genre=Drama")
    page = _text(response)
    assert response.status_code == 200 and "Toradora!" in page and "Nothing matched" in page
    assert page.count('class="result"') >= 5


def test_empty_new_user_form_is_a_400(client):
    response = client.get("/new?liked=&liked=")
    assert response.status_code == 400 and "Name at least one anime" in _text(response)


def test_empty_user_form_is_a_400(client):
    response = client.get("/user?user_id=")
    assert response.status_code == 400 and "Please enter a user ID." in _text(response)


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/nowhere")
    assert response.status_code == 404 and "<!doctype html>" in _text(response)


def test_post_is_not_allowed(client):
    assert client.post("/user/10").status_code == 405


def test_static_css_is_served(client):
    response = client.get("/static/style.css")
    response.close()
    assert response.status_code == 200


def test_text_inputs_stop_where_the_server_does(app, client):
    """The browser refuses what the server would refuse (serving.max_text_length), not a different length."""
    import re

    limit = app.config["APP_CONFIG"].serving.max_text_length
    lengths = re.findall(r'<input[^>]*name="(?:liked|disliked|q)"[^>]*maxlength="(\d+)"', _text(client.get("/")))
    assert len(lengths) >= 4 and set(lengths) == {str(limit)}


def _result_ids(page: str) -> list[int]:
    return [int(x.split('"')[0]) for x in page.split('class="title" href="/anime/')[1:]]


@pytest.mark.parametrize("path", ["/user/10?n=3", "/new?liked=106&n=3", "/anime/106?n=3"])
def test_not_interested_hides_a_result_and_the_list_refills(client, path):
    first = _result_ids(_text(client.get(path)))
    page = _text(client.get(f"{path}&hide={first[0]}"))
    again = _result_ids(page)
    assert first[0] not in again and len(again) == len(first) and again[:2] == first[1:3]
    assert f"hide={first[0]}" in page and "1 title hidden" in page  # a shareable address, and an undo


def test_seen_it_links_keep_every_parameter(client):
    page = _text(client.get("/user/10?n=3&genre=Action&hide=104"))
    assert "/user/10?n=3&amp;genre=Action&amp;hide=104&amp;seen=" in page


def test_hides_are_bounded_by_the_request_limits(client, app):
    limit = app.config["APP_CONFIG"].serving.max_list_values
    query = "&".join(f"hide={i}" for i in range(limit + 1))
    assert client.get(f"/user/10?{query}").status_code == 400


def test_unknown_anime_gets_its_own_404_with_a_search_box(client):
    page = _text(client.get("/anime/999999"))
    assert "There is no anime with ID 999999 in the catalogue." in page and 'id="q404"' in page
    assert "Import your MyAnimeList list" not in page


def test_a_title_not_surely_read_keeps_the_page_the_form_and_clickable_alternatives(client):
    response = client.get("/new?liked=atack+on+titn")
    page = _text(response)
    assert response.status_code == 200 and "Which anime did you mean?" in page
    assert 'name="liked" value="atack on titn"' in page and 'href="/new?liked=106"' in page


def test_picks_are_editable_on_the_results_page(client):
    page = _text(client.get("/new?liked=106&disliked=toradora"))
    assert 'name="liked" value="106"' in page and 'name="disliked" value="toradora"' in page
    assert 'id="add-liked"' in page and 'id="add-disliked"' in page
    assert _text(client.get("/new?liked=106&liked=&disliked=")).count('class="result"') > 0  # emptied boxes drop


def test_error_pages_speak_in_sentences(client):
    assert "Please enter a user ID." in _text(client.get("/user?user_id="))
    assert "n must be a whole number" in _text(client.get("/user/10?n=abc"))  # a parameter name stays as typed


def test_no_page_speaks_jargon(client):
    """Reasons and methods in plain words: no "fold-in", "TF-IDF" or "embeddings" on any page (issue #15)."""
    from tests.recommend.exports import fixture_bytes

    pages = [client.get(url) for url in ("/user/10", "/user/15", "/user/5", "/anime/106", "/anime/900",
                                         "/new?liked=101&liked=103", "/new?liked=900", "/new?genre=Drama")]
    pages.append(client.post("/import", data={"file": (io.BytesIO(fixture_bytes()), "list.xml")},
                             content_type="multipart/form-data"))
    for response in pages:
        page = _text(response).lower()
        assert response.status_code == 200
        assert not any(word in page for word in ("fold-in", "folded in", "tf-idf", "tfidf", "embedding")), \
            response.request.path
