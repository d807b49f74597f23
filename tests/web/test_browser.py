"""A real headless Chromium against a real gunicorn server: the forms work end to end."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import IN_CI, PROJECT_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = PROJECT_ROOT / "test-output" / "screenshots"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(url: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not become ready")


@pytest.fixture(scope="module")
def server(tiny_artifacts, tmp_path_factory):
    """gunicorn application:app on a free loopback port, on BROWSER_ARTIFACTS_DIR or the tiny run."""
    port = _free_port()
    artifacts = os.environ.get("BROWSER_ARTIFACTS_DIR") or str(tiny_artifacts)
    env = {**os.environ, "ARTIFACTS_DIR": artifacts, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"}
    log = open(tmp_path_factory.mktemp("gunicorn") / "server.log", "wb")  # noqa: SIM115 - closed below
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py", "application:app"], cwd=PROJECT_ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium through chromedriver; missing tools fail in CI and skip elsewhere."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        message = "chromium and chromedriver are needed (apt-get install chromium chromium-driver)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                "--disable-gpu", "--lang=en-US"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def _shot(driver, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1280, min(max(height, 800), 2400))
    driver.save_screenshot(str(SHOTS / f"{name}.png"))
    driver.set_window_size(1280, 1000)


def _by(kind: str):
    from selenium.webdriver.common.by import By

    return getattr(By, kind)


def _user_id(server: str) -> str:
    return os.environ.get("BROWSER_USER_ID", "10")


def test_user_id_form_shows_recommendations(server, browser):
    browser.get(server + "/")
    _shot(browser, "home")
    browser.find_element(_by("ID"), "user_id").send_keys(_user_id(server))
    browser.find_element(_by("ID"), "user-submit").click()
    assert f"/user/{_user_id(server)}" in browser.current_url
    results = browser.find_elements(_by("CSS_SELECTOR"), ".result")
    assert results and browser.find_element(_by("CSS_SELECTOR"), "svg.chart")
    assert all(r.find_element(_by("CSS_SELECTOR"), ".why").text for r in results)
    _shot(browser, "user")


def test_title_search_then_anime_page(server, browser):
    browser.get(server + "/")
    box = browser.find_element(_by("ID"), "q")
    box.send_keys(os.environ.get("BROWSER_SEARCH", "atack on titan"))
    browser.find_element(_by("ID"), "search-submit").click()
    hits = browser.find_elements(_by("CSS_SELECTOR"), ".result .title")
    assert hits
    _shot(browser, "search")
    hits[0].click()
    assert "/anime/" in browser.current_url
    assert browser.find_element(_by("ID"), "similar").text
    _shot(browser, "anime")


def test_new_user_flow(server, browser):
    browser.get(server + "/")
    liked = os.environ.get("BROWSER_LIKED", "Toradora|Your Name").split("|")
    for i, title in enumerate(liked[:3]):
        browser.find_element(_by("ID"), f"liked{i}").send_keys(title)
    browser.find_element(_by("ID"), "new-submit").click()
    assert "/new?" in browser.current_url
    assert browser.find_elements(_by("CSS_SELECTOR"), ".result")
    _shot(browser, "new-user")


def test_bad_input_is_a_friendly_page(server, browser):
    browser.get(server + "/user/%3Cb%3Ebold")
    text = browser.find_element(_by("TAG_NAME"), "main").text
    assert "whole number" in text and "<b>bold" in text
    assert not browser.find_elements(_by("CSS_SELECTOR"), "main b")
    _shot(browser, "bad-input")
