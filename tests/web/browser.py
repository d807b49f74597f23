"""Browser-test plumbing: a real gunicorn, a real headless Chromium, and waits on conditions (never luck).

Every navigation waits for the new page (URL and a marker element) with WebDriverWait, so a busy machine
only makes a test slower, never red.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import IN_CI, PROJECT_ROOT

SHOTS = PROJECT_ROOT / "test-output" / "screenshots"
WAIT_SECONDS = float(os.environ.get("BROWSER_WAIT_SECONDS", "60"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen, seconds: float = 120) -> None:
    """Poll /readyz until 200 (the model is loaded) or the server dies."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not become ready")


def start_gunicorn(artifacts: str, log_dir: Path, **env: str):
    """gunicorn -c gunicorn.conf.py application:app on a free loopback port (2 workers, as in the pods; `env`
    adds variables); returns (proc, url, log)."""
    port = free_port()
    env = {**os.environ, "ARTIFACTS_DIR": artifacts, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2", **env}
    log = open(log_dir / "server.log", "wb")  # noqa: SIM115 - closed by the caller
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py", "application:app"], cwd=PROJECT_ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc)
    except Exception:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        raise
    return proc, url, log


@contextmanager
def serving(artifacts: str, log_dir: Path):
    """The site's URL while gunicorn serves `artifacts` (start_gunicorn), stopped afterwards."""
    proc, url, log = start_gunicorn(artifacts, log_dir)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()


def chromium_driver():
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
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console: CSP violations are reported there
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(WAIT_SECONDS)
    return driver


def by(kind: str):
    from selenium.webdriver.common.by import By

    return getattr(By, kind)


def waiter(driver):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.1,
                         ignored_exceptions=(StaleElementReferenceException,))


def _left_document(element):
    """A condition: `element` no longer belongs to the shown document (the browser navigated away).

    Chromedriver reports a node of an unloaded page either as stale or, mid-navigation, with an "unknown
    error ... does not belong to the document": both mean the same here.
    """
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    def check(_driver) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc) or "no such element" in str(exc):
                return True
            raise
        return False
    return check


def _loaded(driver) -> bool:
    return driver.execute_script("return document.readyState") == "complete"


def wait_for(driver, css: str):
    """The first element matching `css`, once it is in the page."""
    from selenium.webdriver.support import expected_conditions as ec

    return waiter(driver).until(ec.presence_of_element_located((by("CSS_SELECTOR"), css)))


def open_page(driver, url: str, marker: str = "main"):
    """Load `url` and wait until the page's `marker` element is there."""
    driver.get(url)
    waiter(driver).until(_loaded)
    return wait_for(driver, marker)


def click_and_wait(driver, element, url_part: str, marker: str = "main") -> None:
    """Click (a submit button or link) and wait for the next page: URL containing `url_part`, then `marker`.

    The old page's <main> is remembered so the wait cannot be satisfied by the page we are leaving.
    """
    from selenium.webdriver.support import expected_conditions as ec

    old_main = driver.find_element(by("TAG_NAME"), "main")
    element.click()
    wait = waiter(driver)
    wait.until(_left_document(old_main))
    wait.until(ec.url_contains(url_part))
    wait.until(_loaded)
    wait_for(driver, marker)


def shot(driver, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1280, min(max(height, 800), 2400))
    driver.save_screenshot(str(SHOTS / f"{name}.png"))
    driver.set_window_size(1280, 1000)
