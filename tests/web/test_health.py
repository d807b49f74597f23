"""Probes, metrics, and an app started without a model."""
from __future__ import annotations

import pytest


def test_healthz_and_readyz(client):
    assert client.get("/healthz").status_code == 200
    body = client.get("/readyz").get_json()
    assert body["status"] == "ready" and body["run_id"]


def test_metrics_count_requests_by_endpoint(client):
    client.get("/user/10")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'http_requests_total{endpoint="pages.user",method="GET",status="200"}' in text
    assert "http_request_duration_seconds_bucket" in text


def test_without_a_model_the_app_starts_and_says_why(empty_app):
    client = empty_app.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "no trained model" in ready.get_json()["reason"].lower()
    assert "make train" in ready.get_json()["hint"] and "/" not in ready.get_json()["reason"]
    home = client.get("/")
    assert home.status_code == 503 and "Model not available yet" in home.get_data(as_text=True)
    page = client.get("/user/10")
    assert page.status_code == 503 and "make train" in page.get_data(as_text=True)
    api = client.get("/api/v1/users/10/recommendations")
    assert api.status_code == 503 and api.get_json()["error"]["code"] == 503


def test_unexpected_errors_are_a_500_page_without_traceback(app, monkeypatch):
    from anime_recommender.recommend.engine import Recommender

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(Recommender, "recommend", boom)
    response = app.test_client().get("/user/10")
    body = response.get_data(as_text=True)
    assert response.status_code == 500 and "secret internals" not in body and "Traceback" not in body


@pytest.fixture()
def tampered_client(tiny_artifacts, tmp_path):
    """An app on a copy of the tiny run with one file changed after publishing."""
    import shutil

    from anime_recommender.config import load_config
    from anime_recommender.web import create_app

    copy = tmp_path / "artifacts"
    shutil.copytree(tiny_artifacts, copy, symlinks=True)
    with open((copy / "current").resolve() / "anime_bias.npy", "ab") as handle:
        handle.write(b"tampered")
    return create_app(load_config(env={}), {"ARTIFACTS_DIR": str(copy)}).test_client()


def test_tampered_model_is_refused_but_the_app_starts(tampered_client):
    ready = tampered_client.get("/readyz")
    assert ready.status_code == 503 and "checksum" in ready.get_json()["reason"]
    assert tampered_client.get("/healthz").status_code == 200 and tampered_client.get("/user/10").status_code == 503


def test_unavailable_reasons_name_no_paths_and_say_what_happened(tampered_client, tmp_path):
    """A tampered file: the probe and the page say so (no `make train` advice), and show no paths."""
    client = tampered_client
    ready, page, api = client.get("/readyz"), client.get("/user/10"), client.get("/api/v1/users/10/profile")
    for response in (ready, page, api):
        text = response.get_data(as_text=True)
        assert response.status_code == 503 and str(tmp_path) not in text and "/runs/" not in text
        assert "integrity check" in text and "anime_bias.npy" in text and "make train" not in text


@pytest.mark.parametrize("message,expected", [
    ("/tmp/a/runs/x/anime_bias.npy does not match its manifest checksum",
     "anime_bias.npy does not match its manifest checksum"),
    ("unreadable manifest in /srv/art/runs/r1: Expecting value", "unreadable manifest in r1: Expecting value"),
    ("no file a/b.npy in run 1/2", "no file a/b.npy in run 1/2"),
])
def test_without_paths_keeps_the_file_name(message, expected):
    from anime_recommender.web.service import without_paths

    assert without_paths(message) == expected


def test_metrics_labels_are_bounded_whatever_the_client_sends(client):
    for i in range(30):
        client.open(f"/made-up-{i}", method=f"BREW{i}")
        client.open("/user/10", method=f"X{i}")
    text = client.get("/metrics").get_data(as_text=True)
    assert "BREW" not in text and 'method="X' not in text and "made-up" not in text
    assert 'http_requests_total{endpoint="unmatched",method="other",status="405"}' in text
    assert 'http_requests_total{endpoint="unmatched",method="other",status="404"}' in text
    series = [line for line in text.splitlines() if line.startswith("http_requests_total{")]
    methods = {line.split('method="')[1].split('"')[0] for line in series}
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}
