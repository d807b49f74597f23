"""`make run`'s first step, `anime-recommender ensure-model`: sample data and a model when none is current."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from anime_recommender import artifacts
from anime_recommender.pipeline.run import config_dict
from tests.model.conftest import tiny_config

pytestmark = pytest.mark.slow


def _ensure_model(config_file, cwd):
    return subprocess.run([sys.executable, "-m", "anime_recommender.cli", "--config", str(config_file),
                           "ensure-model"], cwd=cwd, capture_output=True, text=True, timeout=900, check=False,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


def test_fresh_checkout_generates_data_trains_then_reuses_the_model(tmp_path, project_root):
    data_dir, artifacts_dir = tmp_path / "data" / "sample", tmp_path / "artifacts"
    cfg = tiny_config(data_dir, artifacts_dir, training={"epochs": 2})
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(config_dict(cfg)), encoding="utf-8")

    first = _ensure_model(config_file, project_root)
    assert first.returncode == 0, first.stderr[-3000:]
    assert (data_dir / "anime.csv").is_file() and (data_dir / "rating_complete.csv").is_file()
    run = artifacts.load_run(artifacts_dir)
    assert "no trained model" in first.stdout and "(current)" in first.stdout

    second = _ensure_model(config_file, project_root)
    assert second.returncode == 0 and "model found" in second.stdout
    assert artifacts.load_run(artifacts_dir).run_id == run.run_id
