"""The taste map in a real headless Chromium against gunicorn: drawn, marked and sized on the user page."""
from __future__ import annotations

import pytest

from tests.recommend.tiny_run import build_tiny_run, seen_lists, user_id
from tests.web.browser import by, open_page, serving, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def map_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("map-browser")
    build_tiny_run(root, with_map=True)
    with serving(str(root), tmp_path_factory.mktemp("gunicorn-map")) as url:
        yield url


def test_user_page_draws_the_map_with_their_titles_and_recommendations(map_server, browser):
    browser.get_log("browser")  # drop what earlier tests logged
    svg = open_page(browser, f"{map_server}/user/{user_id(0)}?n=5", "#taste-map svg")
    assert svg.size["width"] > 200 and svg.size["height"] > 100  # laid out, not collapsed
    assert len(svg.find_elements(by("CSS_SELECTOR"), "circle.mark.mine")) == len(seen_lists()[0][0])
    assert len(svg.find_elements(by("CSS_SELECTOR"), "circle.mark.rec")) == 5
    assert svg.get_attribute("role") == "img" and "user 10" in svg.find_element(by("TAG_NAME"), "title") \
        .get_attribute("textContent")
    violations = [e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]
    assert not violations, violations
    shot(browser, "taste_map")
