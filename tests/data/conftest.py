"""Fixtures for the data layer: a tiny generated sample, the real slice's file names, CSV writers."""
from __future__ import annotations

from pathlib import Path

import pytest

from anime_recommender.config import DataConfig
from anime_recommender.data.sample import generate_sample

# the real slice ships the two big files under other names
REAL_FILES = {"rating_complete.csv": "rating_complete_prefix.csv", "animelist.csv": "animelist_prefix.csv"}


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated Kaggle-shaped dataset (generated once per session)."""
    out = tmp_path_factory.mktemp("sample")
    generate_sample(out, users=300, anime=150, seed=3)
    return out


@pytest.fixture
def data_cfg() -> DataConfig:
    """Small chunks, so chunk borders are exercised even on tiny files."""
    return DataConfig(chunk_rows=1000)


@pytest.fixture
def write_csv(tmp_path: Path):
    """Write text (or bytes) to tmp_path/name and return the path."""
    def write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return path
    return write
