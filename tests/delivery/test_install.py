"""The package installed for real, non-editable, into a fresh venv from requirements-serve.txt only: gunicorn
serves the site from a directory that is not the checkout, and TensorFlow is not there.

pip may use its cache (or /opt/wheels); the first run downloads the serving wheels (about 150 MB).
The site-packages size it measures is the README's figure ("Install and serve without a checkout");
it is written to test-output/delivery/serve-install.json.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from tests.delivery.conftest import request_lines
from tests.recommend.tiny_run import user_id
from tests.web.browser import free_port, wait_ready

pytestmark = [pytest.mark.delivery, pytest.mark.slow]

PACKAGE_FILES = ("setup.py", "MANIFEST.in", "requirements.txt", "requirements-serve.txt", "src", "templates",
                 "static", "config")
SITE_PACKAGES_LIMIT = 600 * 10 ** 6  # issue 12: the image's site-packages at most 600 MB


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that would point Python at the checkout or the project venv."""
    drop = {"PYTHONPATH", "VIRTUAL_ENV", "APP_CONFIG", "DATA_DIR", "ARTIFACTS_DIR", "PYTHONHOME"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    return {**env, "PIP_DISABLE_PIP_VERSION_CHECK": "1", **extra}


def run(args: list[str | Path], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=clean_env(), capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert done.returncode == 0, f"{args} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def tree_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


@pytest.fixture(scope="module")
def serve_venv(tmp_path_factory) -> Path:
    """A fresh venv: `pip install -r requirements-serve.txt`, then `pip install --no-deps .` from a copy, then
    the installers removed (the image's serve_venv stage)."""
    base = tmp_path_factory.mktemp("install")
    source = base / "source"  # a copy, so the build leaves nothing (build/, *.egg-info) in the checkout
    for name in PACKAGE_FILES:
        if (PROJECT_ROOT / name).is_dir():
            shutil.copytree(PROJECT_ROOT / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(PROJECT_ROOT / name, source / name)
    venv = base / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=base, timeout=300)
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", "-r", source / "requirements-serve.txt"], cwd=base)
    run([python, "-m", "pip", "install", "-q", "--no-deps", source], cwd=base)
    # as the Dockerfile's serve_venv stage: the running app carries no installers
    run([python, "-m", "pip", "uninstall", "-y", "-q", "pip", "setuptools", "wheel"], cwd=base)
    return venv


def test_installed_package_is_not_the_checkout_and_has_no_tensorflow(serve_venv, tmp_path):
    python = serve_venv / "bin" / "python"
    where = run([python, "-c", "import anime_recommender; print(anime_recommender.__file__)"], cwd=tmp_path)
    assert "site-packages" in where.stdout and str(PROJECT_ROOT) not in where.stdout, where.stdout
    for module in ("tensorflow", "keras", "comet_ml", "implicit", "matplotlib"):
        done = subprocess.run([str(python), "-c", f"import {module}"], cwd=tmp_path, env=clean_env(),
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode != 0 and "ModuleNotFoundError" in done.stderr, f"{module} is installed"


def test_site_packages_fits_the_image_budget(serve_venv):
    site = next((serve_venv / "lib").glob("python3.*/site-packages"))
    size = tree_bytes(site)
    report = {"site_packages_bytes": size, "site_packages_mb": round(size / 10 ** 6, 1),
              "site_packages_mib": round(size / 2 ** 20, 1), "requirements": "requirements-serve.txt"}
    out = PROJECT_ROOT / "test-output" / "delivery"
    out.mkdir(parents=True, exist_ok=True)
    (out / "serve-install.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print("serving install:", json.dumps(report))
    assert size <= SITE_PACKAGES_LIMIT, report


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read().decode("utf-8", "replace")


def test_gunicorn_serves_the_site_from_any_directory(serve_venv, tiny_artifacts, tmp_path):
    """The issue's command, as written: no -c file, no checkout on the path, cwd an empty temp dir."""
    port = free_port()
    env = clean_env(ARTIFACTS_DIR=str(tiny_artifacts))
    log_path = tmp_path / "gunicorn.log"
    command = [str(serve_venv / "bin" / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
               "anime_recommender.web:create_app()"]
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_ready(url, server)
        except RuntimeError as exc:
            pytest.fail(f"{exc}:\n{log_path.read_text()[-4000:]}")
        user = user_id(0)
        status, kind, body = get(url + "/")
        assert status == 200 and "text/html" in kind and "<form" in body
        status, kind, body = get(f"{url}/user/{user}")
        assert status == 200 and "text/html" in kind and str(user) in body
        status, kind, body = get(url + "/static/style.css")
        assert status == 200 and "text/css" in kind
        assert body == (PROJECT_ROOT / "static" / "style.css").read_text(encoding="utf-8")
        status, kind, body = get(f"{url}/api/v1/users/{user}/recommendations?n=3")
        assert status == 200 and kind.startswith("application/json")
        assert len(json.loads(body)["results"]) == 3
        status, _, body = get(url + "/api/v1/users/not-a-number/recommendations")
        assert 400 <= status < 500 and "error" in json.loads(body)
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert {p.name for p in tmp_path.iterdir()} == {"gunicorn.log"}, "the app wrote into its working directory"
    lines = request_lines(log_path, f"/user/{user}")
    assert len(lines) == 1 and " 200 " in lines[0], f"one log line per request, got {lines}"
