"""Fixtures: a tiny published run (even users love even anime) and the engine loaded on it."""
from __future__ import annotations

import pytest

from anime_recommender import Recommender


@pytest.fixture(scope="session")
def rec(tiny_artifacts) -> Recommender:
    return Recommender.load(tiny_artifacts)
