"""Watch together and continue your franchises in a real headless Chromium against a real gunicorn server (the
tiny run with its Dragon Ball titles and fans). Each step waits for its condition (tests/web/browser.py)."""
from __future__ import annotations

import gzip

import pytest

from tests.recommend.exports import entries_xml
from tests.recommend.franchise_run import FAN_STARTED
from tests.web.browser import by, click_and_wait, open_page, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_three_people_given_three_ways_get_one_list_with_a_reason_each(server, browser, tmp_path):
    """A user ID, typed titles and an uploaded export: one list, every result with each person's reason."""
    export = tmp_path / "animelist_1700000000_-_cleo.xml.gz"
    export.write_bytes(gzip.compress(entries_xml(4, 101)))
    open_page(browser, server + "/together", "#together-submit")
    fill = {"name1": "Ana", "user1": str(FAN_STARTED), "name2": "Ben", "liked2": "Toradora!\nAttack on Titan",
            "name3": "Cleo", "file3": str(export)}
    for field, value in fill.items():
        browser.find_element(by("ID"), field).send_keys(value)
    click_and_wait(browser, browser.find_element(by("ID"), "together-submit"), "/together", "#together-results")
    assert "Ana" in browser.find_element(by("ID"), "together-people").text
    results = browser.find_elements(by("CSS_SELECTOR"), "#together-results .result")
    assert results
    for result in results:
        reasons = [li.text for li in result.find_elements(by("CSS_SELECTOR"), ".together-why li")]
        assert [r.split(":")[0] for r in reasons] == ["Ana", "Ben", "Cleo"], reasons
    shot(browser, "together")


def test_a_group_of_one_is_told_what_is_missing_and_keeps_the_form(server, browser):
    open_page(browser, server + "/together", "#together-submit")
    browser.find_element(by("ID"), "user1").send_keys(str(FAN_STARTED))
    click_and_wait(browser, browser.find_element(by("ID"), "together-submit"), "/together", "#together-error")
    assert "2 to 4 people" in browser.find_element(by("ID"), "together-error").text
    assert browser.find_element(by("ID"), "together-form")


def test_the_user_page_shows_the_next_dragon_ball(server, browser):
    open_page(browser, f"{server}/user/{FAN_STARTED}", "#continue")
    section = browser.find_element(by("ID"), "continue").text
    assert "Dragon Ball Z" in section and "4 parts to go" in section
    shot(browser, "continue")
