"""Fixtures: a tiny published run (even users love even anime) and the engine loaded on it."""
from __future__ import annotations

from pathlib import Path

import pytest

from anime_recommender import Recommender
from tests.recommend.tiny_run import build_tiny_run


@pytest.fixture(scope="session")
def tiny_artifacts(tmp_path_factory) -> Path:
    """An artifacts dir whose `current` run is the tiny checkerboard run."""
    root = tmp_path_factory.mktemp("artifacts")
    build_tiny_run(root)
    return root


@pytest.fixture(scope="session")
def rec(tiny_artifacts) -> Recommender:
    return Recommender.load(tiny_artifacts)
