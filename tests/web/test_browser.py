"""A real headless Chromium against a real gunicorn server: the forms work end to end.

Each step waits for its condition (tests/web/browser.py), so the file is green on a busy machine too.
"""
from __future__ import annotations

import os

import pytest

from tests.recommend.franchise_run import FAN_NEW
from tests.web.browser import by, click_and_wait, open_page, shot, waiter

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _user_id() -> str:
    return os.environ.get("BROWSER_USER_ID", "10")


def test_user_id_form_shows_recommendations(server, browser):
    open_page(browser, server + "/", "#user-submit")
    shot(browser, "home")
    browser.find_element(by("ID"), "user_id").send_keys(_user_id())
    click_and_wait(browser, browser.find_element(by("ID"), "user-submit"), f"/user/{_user_id()}", ".result")
    results = browser.find_elements(by("CSS_SELECTOR"), ".result")
    assert results and browser.find_element(by("CSS_SELECTOR"), "svg.chart")
    assert all(r.find_element(by("CSS_SELECTOR"), ".why").text for r in results)
    shot(browser, "user")


def test_title_search_then_anime_page(server, browser):
    open_page(browser, server + "/", "#search-submit")
    browser.find_element(by("ID"), "q").send_keys(os.environ.get("BROWSER_SEARCH", "atack on titan"))
    click_and_wait(browser, browser.find_element(by("ID"), "search-submit"), "/search?", ".result .title")
    hits = browser.find_elements(by("CSS_SELECTOR"), ".result .title")
    assert hits
    shot(browser, "search")
    click_and_wait(browser, hits[0], "/anime/", "#similar")
    assert browser.find_element(by("ID"), "similar").text
    shot(browser, "anime")


def test_new_user_flow(server, browser):
    open_page(browser, server + "/", "#new-submit")
    liked = os.environ.get("BROWSER_LIKED", "Toradora|Your Name").split("|")
    for i, title in enumerate(liked[:3]):
        browser.find_element(by("ID"), f"liked{i}").send_keys(title)
    click_and_wait(browser, browser.find_element(by("ID"), "new-submit"), "/new?", ".result")
    assert browser.find_elements(by("CSS_SELECTOR"), ".result")
    shot(browser, "new-user")


def test_a_dragon_ball_fan_sees_one_dragon_ball_entry(server, browser):
    """Issue #9: one entry per franchise, its first season, and the rest of the series one click away."""
    fan = os.environ.get("BROWSER_FAN_ID", str(FAN_NEW))
    open_page(browser, f"{server}/user/{fan}", ".result")
    titles = [e.text for e in browser.find_elements(by("CSS_SELECTOR"), ".result .title")]
    assert sum("Dragon Ball" in t for t in titles) == 1, titles
    entry = next(r for r in browser.find_elements(by("CSS_SELECTOR"), ".result") if "Dragon Ball" in r.text)
    shot(browser, "franchise-user")
    click_and_wait(browser, entry.find_element(by("CSS_SELECTOR"), ".more-series"), "/anime/", "#series")
    series = [e.text for e in browser.find_elements(by("CSS_SELECTOR"), "#series li")]
    assert len(series) > 1 and all("Dragon Ball" in t for t in series)


def test_bad_input_is_a_friendly_page(server, browser):
    main = open_page(browser, server + "/user/%3Cb%3Ebold")
    text = main.text
    assert "whole number" in text and "<b>bold" in text
    assert not browser.find_elements(by("CSS_SELECTOR"), "main b")
    shot(browser, "bad-input")


def test_import_a_list_export(server, browser, tmp_path):
    """Home → "Import my list" → upload an .xml.gz export → the recommendations with the summary and the chart."""
    import gzip

    from tests.recommend.exports import FIXTURE

    export = tmp_path / "animelist_1700000000_-_test_fan.xml.gz"
    export.write_bytes(gzip.compress(FIXTURE.read_bytes()))
    open_page(browser, server + "/", "#import-card")
    click_and_wait(browser, browser.find_element(by("ID"), "import-card"), "/import", "#import-submit")
    browser.find_element(by("ID"), "file").send_keys(os.environ.get("BROWSER_IMPORT_FILE", str(export)))
    click_and_wait(browser, browser.find_element(by("ID"), "import-submit"), "/import", ".result")
    assert "entries read" in browser.find_element(by("ID"), "import-summary").text
    results = browser.find_elements(by("CSS_SELECTOR"), ".result")
    assert results and all(r.find_element(by("CSS_SELECTOR"), ".why").text for r in results)
    assert browser.find_element(by("CSS_SELECTOR"), "svg.chart")
    shot(browser, "import")


def _computed(browser, css: str, prop: str) -> str:
    return browser.execute_script(f"return getComputedStyle(document.querySelector('{css}'))['{prop}']")


def test_pages_break_no_rule_of_the_content_security_policy(server, browser):
    """Chromium enforces the CSP: nothing on any page is refused, and the stylesheet (the only thing it
    allows) is applied, to the genre chart's SVG too."""
    browser.get_log("browser")  # drop what earlier tests logged
    for path in ["/", "/import", "/search?q=a", "/new?liked=Toradora", "/user/abc", "/nowhere", f"/user/{_user_id()}"]:
        open_page(browser, server + path)
        assert _computed(browser, ".top", "backgroundColor") == "rgb(29, 29, 43)", f"style.css not applied: {path}"
    assert _computed(browser, "svg.chart .bar", "fill") == "rgb(91, 75, 219)"  # the user page's chart
    violations = [e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]
    assert not violations, violations


# --- issue #16: saying no, editing picks, re-filtering an import, recovering a typo, all without dead ends ---
def _titles(browser) -> list[str]:
    return [e.text for e in browser.find_elements(by("CSS_SELECTOR"), ".result .title")]


def test_not_interested_hides_a_result_and_the_list_refills(server, browser):
    open_page(browser, f"{server}/user/{_user_id()}?n=5", ".result")
    before = _titles(browser)
    first = browser.find_elements(by("CSS_SELECTOR"), ".result")[0]
    click_and_wait(browser, first.find_element(by("CSS_SELECTOR"), ".hide-it"), "hide=", "#hidden-note")
    after = _titles(browser)
    assert before[0] not in after and len(after) == len(before) and after[:4] == before[1:]
    shot(browser, "not-interested")


def test_picks_are_edited_on_the_results_page(server, browser):
    open_page(browser, f"{server}/new?liked=106", ".result")
    browser.find_element(by("ID"), "add-liked").send_keys("Toradora")
    click_and_wait(browser, browser.find_element(by("ID"), "picks-submit"), "Toradora", ".result")
    liked = [e.get_attribute("value") for e in browser.find_elements(by("CSS_SELECTOR"), "input[name=liked]")]
    assert "106" in liked and "Toradora" in liked
    assert "Toradora" in browser.find_element(by("CSS_SELECTOR"), "main .sub").text


def test_an_import_is_re_filtered_without_uploading_again(server, browser, tmp_path):
    import gzip

    from selenium.webdriver.support.ui import Select

    from tests.recommend.exports import FIXTURE

    export = tmp_path / "animelist_1700000000_-_test_fan.xml.gz"
    export.write_bytes(gzip.compress(FIXTURE.read_bytes()))
    open_page(browser, server + "/import", "#import-submit")
    browser.find_element(by("ID"), "file").send_keys(str(export))
    click_and_wait(browser, browser.find_element(by("ID"), "import-submit"), "/import", ".result")
    rerun = browser.find_element(by("ID"), "rerun")
    kind = rerun.find_element(by("NAME"), "type")
    if not rerun.find_element(by("CSS_SELECTOR"), "details.filters").get_attribute("open"):
        rerun.find_element(by("CSS_SELECTOR"), "details.filters > summary").click()
    waiter(browser).until(lambda _driver: kind.is_displayed())
    Select(kind).select_by_value("Movie")
    click_and_wait(browser, browser.find_element(by("ID"), "rerun-submit"), "/import/again", ".result")
    types = [e.text.split(" ")[0] for e in browser.find_elements(by("CSS_SELECTOR"), ".result .meta")]
    assert types and set(types) == {"Movie"} and "entries read" in browser.find_element(by("ID"), "import-summary").text
    before = _titles(browser)
    first = browser.find_elements(by("CSS_SELECTOR"), ".result")[0]
    click_and_wait(browser, first.find_element(by("CSS_SELECTOR"), ".hide-it"), "/import/again", "#hidden-note")
    assert before[0] not in _titles(browser) and len(_titles(browser)) == len(before)
    shot(browser, "import-refiltered")


def test_a_misspelt_title_is_recovered_by_a_click(server, browser):
    open_page(browser, server + "/", "#new-submit")
    browser.find_element(by("ID"), "liked0").send_keys("atack on titn")
    click_and_wait(browser, browser.find_element(by("ID"), "new-submit"), "/new?", ".notice.unsure a")
    assert "Which anime did you mean?" in browser.find_element(by("TAG_NAME"), "h1").text
    shot(browser, "typo-offered")
    click_and_wait(browser, browser.find_element(by("CSS_SELECTOR"), ".notice.unsure a"), "liked=", ".result")
    assert "Attack on Titan" in browser.find_element(by("CSS_SELECTOR"), "main .sub").text
