"""Fixtures shared by every test folder: where the real data lives, and whether we are in CI."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SHARED_DATA_DIR", PROJECT_ROOT.parent / "shared" / "data"))
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


def _shared_dataset(name: str) -> Path:
    """A folder of ../shared/data: required in CI, skipped with the reason elsewhere."""
    path = SHARED_DATA / name
    if not path.is_dir():
        if IN_CI:
            pytest.fail(f"CI must have the real data at {path}")
        pytest.skip(f"real data not present at {path}")
    return path


@pytest.fixture(scope="session")
def real_anime_dir() -> Path:
    """The real Kaggle slice in ../shared/data/anime-2020."""
    return _shared_dataset("anime-2020")


@pytest.fixture(scope="session")
def real_movielens_dir() -> Path:
    """MovieLens 100k in ../shared/data/movielens-100k."""
    return _shared_dataset("movielens-100k")


@pytest.fixture(scope="session")
def tiny_artifacts(tmp_path_factory) -> Path:
    """An artifacts dir whose `current` run is the tiny checkerboard run (engine and web tests)."""
    from tests.recommend.tiny_run import build_tiny_run

    root = tmp_path_factory.mktemp("artifacts")
    build_tiny_run(root)
    return root


@pytest.fixture(scope="session")
def franchise_artifacts(tmp_path_factory) -> Path:
    """The tiny run plus real Dragon Ball titles and two Dragon Ball fans (tests/recommend/franchise_run.py)."""
    from tests.recommend.tiny_run import build_tiny_run

    root = tmp_path_factory.mktemp("franchise-artifacts")
    build_tiny_run(root, with_franchise=True)
    return root
