"""The README's real-data command: a trained sample run switched to the Kaggle files with
`make train serve DATA_DIR=../shared/data/anime-2020/kaggle-layout`, served by gunicorn on loopback.

The shrink guard compares runs of the same dataset only: the sample's run has ten times the rows of the
real slice, and the switch must publish (the log says why the counts were not compared).
"""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml

from anime_recommender.artifacts import RunWriter
from anime_recommender.config import load_config
from anime_recommender.data.report import DataReport
from anime_recommender.pipeline.command import NATIVE_LOG_PREFIX
from anime_recommender.pipeline.run import DataShrunk, check_shrink
from tests.conftest import PROJECT_ROOT
from tests.delivery.test_runtime import get
from tests.web.browser import free_port
from tests.web.test_server import until


def published(artifacts_dir: Path, data_dir: Path, rows: int) -> None:
    """A current run that read `rows` rows of rating_complete.csv from `data_dir`."""
    with RunWriter(artifacts_dir) as writer:
        writer.save_json("data_report", {"rows_kept": {"rating_complete.csv": rows, "anime.csv": 50}})
        writer.publish({"config": {"paths": {"data_dir": str(data_dir)}}})


@pytest.mark.parametrize("same_folder", [True, False])
def test_the_shrink_guard_compares_runs_of_the_same_dataset_only(tmp_path, caplog, same_folder):
    """The issue's case: the sample's run read 160,057 rows, the Kaggle slice feeds 99,584 (-38 %)."""
    sample, kaggle = tmp_path / "sample", tmp_path / "kaggle"
    published(tmp_path / "artifacts", sample, 160_057)
    cfg = load_config(env={}).replace("paths", data_dir=sample if same_folder else kaggle,
                                      artifacts_dir=tmp_path / "artifacts")
    report = DataReport(rows_kept={"rating_complete.csv": 99_584, "anime.csv": 50})
    with caplog.at_level(logging.INFO, logger="anime_recommender.pipeline.run"):
        if same_folder:
            with pytest.raises(DataShrunk, match="99584 rows kept vs 160057 .*make train ARGS=--allow-shrink"):
                check_shrink(cfg, report)
        else:
            check_shrink(cfg, report)
    skipped = [r.getMessage() for r in caplog.records if "not compared" in r.getMessage()]
    assert bool(skipped) is not same_folder, skipped
    if skipped:
        assert str(kaggle) in skipped[0] and str(sample) in skipped[0]


def current(artifacts_dir: Path) -> dict:
    return json.loads((artifacts_dir / "current" / "manifest.json").read_text())


def serving(url: str, proc: subprocess.Popen) -> bool:
    """/readyz answers 200; fails the test at once if make (training or gunicorn) has exited."""
    if proc.poll() is not None:
        pytest.fail(f"make exited {proc.returncode} before serving")
    try:
        return get(url + "/readyz", timeout=2)[0] == 200
    except OSError:
        return False


@pytest.mark.delivery
@pytest.mark.slow
@pytest.mark.realdata
def test_make_train_switches_a_sample_run_to_the_kaggle_files_and_serves_them(trained_artifacts, real_anime_dir,
                                                                                tmp_path):
    artifacts_dir = tmp_path / "artifacts"
    shutil.copytree(trained_artifacts, artifacts_dir, symlinks=True)  # the fixture's run stays as other tests see it
    sample_run = current(artifacts_dir)
    sample_report = json.loads((artifacts_dir / "current" / "data_report.json").read_text())
    assert sample_report["counts"].get("generated_sample") == 1, "the fixture's run is a generated sample"

    config = yaml.safe_load((PROJECT_ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    config["evaluation"]["gate_margin"] = 1.0  # this test is about the switch, not the model's quality
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {**os.environ, "ARTIFACTS_DIR": str(artifacts_dir), "APP_CONFIG": str(tmp_path / "config.yaml")}
    env.pop("COMET_API_KEY", None)
    data_dir = real_anime_dir / "kaggle-layout"
    # the README's command; -o: the running interpreter's venv is installed already, make must not reinstall it
    port, log_path = free_port(), tmp_path / "make.log"
    with open(log_path, "w") as out:
        proc = subprocess.Popen(["make", "-o", ".venv/.installed", "train", "serve", f"DATA_DIR={data_dir}",
                                 f"PORT={port}", "ARGS=--epochs 2"], cwd=PROJECT_ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        until(lambda: serving(url, proc), "make train serve to serve the new run", 900)
        status, home = get(url + "/")
        assert status == 200 and 'id="demo-notice"' not in home
        user = int(np.load(artifacts_dir / "current" / "user_ids.npy")[0])
        assert get(f"{url}/user/{user}")[0] == 200
        status, body = get(f"{url}/api/v1/users/{user}/recommendations?n=5")
        assert status == 200 and len(json.loads(body)["results"]) == 5
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # this test's own session: make and the gunicorn it started
        proc.wait(timeout=60)
    log = log_path.read_text()
    assert "not compared with the current run's row counts (another dataset" in log, log[-4000:]
    # quiet, honest logs: TensorFlow's native start-up lines at most once, counts in the table as integers
    startup = [NATIVE_LOG_PREFIX.sub("", line) for line in log.splitlines()
               if "absl::InitializeLog" in line or "port.cc" in line]
    assert len(startup) == len(set(startup)), startup
    table = [line for line in log.splitlines() if line.startswith("| ")]
    assert table and not re.search(r"\| ([2-9]|\d{2,})\.0000 ", "\n".join(table)), table  # a count above 1

    real_run = current(artifacts_dir)
    assert real_run["run_id"] != sample_run["run_id"]
    assert os.path.realpath(real_run["config"]["paths"]["data_dir"]) == os.path.realpath(data_dir)
    assert real_run["row_counts"]["catalog"] > 10_000, "the real catalogue (17,562 anime) is served"
