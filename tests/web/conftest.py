"""Fixtures: the Flask app on the tiny run, and one started without any model."""
from __future__ import annotations

import pytest

from anime_recommender.config import load_config
from anime_recommender.web import create_app


@pytest.fixture(scope="session")
def app(tiny_artifacts):
    return create_app(load_config(env={}), {"ARTIFACTS_DIR": str(tiny_artifacts), "TESTING": True})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def empty_app(tmp_path_factory):
    """An app whose artifacts dir holds no run: it must start and say so."""
    empty = tmp_path_factory.mktemp("no-artifacts")
    return create_app(load_config(env={}), {"ARTIFACTS_DIR": str(empty), "TESTING": True})


@pytest.fixture(scope="session")
def server(franchise_artifacts, tmp_path_factory):
    """gunicorn application:app on a free loopback port, on BROWSER_ARTIFACTS_DIR or the tiny run (with its
    Dragon Ball titles and fans, tests/recommend/franchise_run.py)."""
    import os

    from tests.web.browser import serving

    artifacts = os.environ.get("BROWSER_ARTIFACTS_DIR") or str(franchise_artifacts)
    with serving(artifacts, tmp_path_factory.mktemp("gunicorn")) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the browser tests (see tests/web/browser.py)."""
    from tests.web.browser import chromium_driver

    driver = chromium_driver()
    yield driver
    driver.quit()
