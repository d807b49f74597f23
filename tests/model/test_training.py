"""End to end on generated data: a published run, its files, gate, atomicity, resume, determinism."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
import yaml

from anime_recommender import artifacts
from anime_recommender.data.franchise import build_franchises
from anime_recommender.model.taste_map import anime_map
from anime_recommender.pipeline.command import summary
from anime_recommender.pipeline.run import RunHooks, config_dict, run_training, validation_epochs
from anime_recommender.pipeline.stages import STAGE_LINE
from anime_recommender.recommend.franchise_store import check_franchises
from tests.model.conftest import tiny_config

pytestmark = pytest.mark.slow
QUICK = {"epochs": 2}  # for tests about the pipeline's plumbing, not about quality
RUN_FILES = {
    "model.keras", "user_factors.npy", "anime_factors.npy", "anime_bias.npy", "user_embeddings.npy",
    "anime_embeddings.npy", "user_ids.npy", "anime_ids.npy", "seen_indptr.npy", "seen_indices.npy",
    "seen_ratings.npy", "anime_popularity.npy", "catalog.parquet", "metrics.json", "history.json",
    "data_report.json", "training_curves.png", "franchises.parquet", "franchise_report.json",
    "extra_user_ids.npy", "extra_indptr.npy", "extra_anime_ids.npy", "extra_ratings.npy", "extra_statuses.npy",
    "outside_user_ids.npy", "outside_indptr.npy", "outside_anime_ids.npy", "outside_ratings.npy",
    "outside_statuses.npy",
    "anime_context.npy", "user_tower.json", "taste_map.npy",
}


def previous_run(artifacts_dir: Path) -> str:
    """A cheap published run to be `current` before the run under test."""
    with artifacts.RunWriter(artifacts_dir) as writer:
        writer.save_json("metrics", {"note": "previous"})
        writer.publish({"note": "previous"})
    return writer.run_id


def current_id(artifacts_dir: Path) -> str:
    return artifacts.load_run(artifacts_dir).run_id


def test_run_is_published_as_current_with_every_file(trained):
    cfg, result = trained
    run = artifacts.load_run(cfg.paths.artifacts_dir)
    assert run.run_id == result.run_id and result.made_current
    assert set(run.manifest["files"]) == RUN_FILES
    assert {"code_version", "config", "data_fingerprint", "row_counts", "created_at"} <= set(run.manifest)
    n_users, n_anime = len(run.array("user_ids")), len(run.array("anime_ids"))
    assert run.array("user_factors").shape[0] == n_users and run.array("anime_bias").shape == (n_anime,)
    indptr = run.array("seen_indptr")
    assert indptr.shape == (n_users + 1,) and indptr[-1] == len(run.array("seen_indices"))
    assert run.array("seen_ratings").dtype == np.int8


def test_the_run_maps_its_anime_for_the_pages_checksummed(trained):
    cfg, _ = trained
    run = artifacts.load_run(cfg.paths.artifacts_dir)
    coords = run.array("taste_map")
    assert coords.shape == (len(run.array("anime_ids")), 2) and coords.dtype == np.float32
    assert np.array_equal(coords, anime_map(run.array("anime_factors"), cfg.training.seed))
    assert run.manifest["files"]["taste_map.npy"]["sha256"] == artifacts.sha256_file(run.file("taste_map.npy"))


def test_model_beats_popularity_on_generated_data(trained):
    _, result = trained
    assert result.metrics["ncf"]["ndcg@10"] > result.metrics["popularity"]["ndcg@10"]
    assert {"popularity", "als", "ease", "gate"} <= set(result.metrics)


def test_cold_users_are_scored_by_every_model_on_the_same_users_and_gated(trained):
    """The cold protocol: users training never saw, served from 75 % of their list, scored on the rest."""
    cfg, result = trained
    cold = {name: row for name, row in result.metrics.items() if name.endswith(" cold")}
    assert set(cold) == {"ncf cold", "popularity cold", "als cold", "ease cold"}
    assert len({row["users"] for row in cold.values()}) == 1 and cold["ncf cold"]["users"] > 20
    assert result.counts["cold_users"] >= cold["ncf cold"]["users"]  # users with a scored part
    assert cold["ncf cold"]["ndcg@10"] > cold["popularity cold"]["ndcg@10"]
    assert [c["protocol"] for c in result.metrics["gate"]["checks"]] == ["warm", "cold"]


def test_the_evaluated_model_was_fitted_on_train_and_valid(trained):
    cfg, result = trained
    run = artifacts.load_run(cfg.paths.artifacts_dir)
    counts = run.manifest["row_counts"]
    assert run.manifest["fit"]["rows"] == counts["train_rows"] + counts["valid_rows"]
    assert run.manifest["fit"]["epochs"] == validation_epochs(result.history, cfg.evaluation.k)


def test_the_run_publishes_its_franchises_and_their_report(trained):
    cfg, result = trained
    run = artifacts.load_run(cfg.paths.artifacts_dir)
    catalog, franchises = run.frame("catalog"), run.frame("franchises")
    pd.testing.assert_frame_equal(franchises, build_franchises(catalog))
    check_franchises(franchises, catalog["anime_id"].to_numpy())  # what serving checks at load
    report = run.json("franchise_report")
    assert report == result.franchises and report["anime"] == len(catalog)
    sizes = [group["size"] for group in report["largest"]]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > 1
    assert "franchises:" in summary(result) and report["largest"][0]["first_titles"][0] in summary(result)


def test_every_model_is_measured_on_franchises_and_the_served_list_follows_the_rules(trained):
    _, result = trained
    rows = {name: row for name, row in result.metrics.items() if name != "gate"}
    assert all({"franchise_repeat@10", "sequels_before_prequel@10"} <= set(row) for row in rows.values())
    served, plain = rows["ncf_served"], rows["ncf"]
    assert served["franchise_repeat@10"] == 0 and served["sequels_before_prequel@10"] == 0
    assert plain["franchise_repeat@10"] > 0  # the generated sample has franchises ('X', 'X Season 2', 'X Movie 1')


def test_exported_factors_rank_like_the_saved_model(trained):
    cfg, _ = trained
    run = artifacts.load_run(cfg.paths.artifacts_dir)
    model = keras.models.load_model(run.file("model.keras"))
    anime = np.arange(len(run.array("anime_ids")), dtype=np.int32)
    scores = model.predict({"user": np.zeros_like(anime), "anime": anime}, verbose=0).ravel()
    factors = run.array("user_factors")[0] @ run.array("anime_factors").T + run.array("anime_bias")
    assert scores == pytest.approx(factors, abs=1e-4)


def test_tampered_file_fails_verification(trained, tmp_path):
    _, result = trained
    copy = tmp_path / "run"
    shutil.copytree(result.run_dir, copy)
    artifacts.load_run(copy)  # intact copy verifies
    factors = np.load(copy / "anime_factors.npy")
    factors[0, 0] += 1.0
    np.save(copy / "anime_factors.npy", factors)
    with pytest.raises(artifacts.ArtifactIntegrityError):
        artifacts.load_run(copy)


def test_comet_offline_archive_holds_params_metrics_and_curves(trained):
    cfg, result = trained
    archives = list((Path(cfg.paths.artifacts_dir) / "comet-offline").glob("*.zip"))
    assert len(archives) == 1
    with zipfile.ZipFile(archives[0]) as archive:
        messages = [json.loads(line) for line in archive.read("messages.json").decode().splitlines()]
    params = {m["payload"]["param"]["paramName"]: m["payload"]["param"]["paramValue"]
              for m in messages if m["type"] == "parameter_msg"}
    metrics = {m["payload"]["metric"]["metricName"]: m["payload"]["metric"]["metricValue"]
               for m in messages if m["type"] == "metric_msg"}
    uploads = [m["payload"] for m in messages if m["type"] == "file_upload"]
    assert params["training.learning_rate"] == cfg.training.learning_rate
    assert params["model.preset"] == "ranking"
    assert "loss" in metrics and "val_ndcg@10" in metrics
    assert metrics["ncf_ndcg@10"] == pytest.approx(result.metrics["ncf"]["ndcg@10"])
    assert any(m["type"] == "graph" for m in messages)
    assert any(u["upload_type"] == "visualization" for u in uploads)
    assert any(m["type"] == "log_other" and m["payload"]["key"] == "data_fingerprint" for m in messages)


def test_same_seed_gives_the_same_embeddings(trained, tiny_data_dir, tmp_path):
    _, result = trained
    again = run_training(tiny_config(tiny_data_dir, tmp_path), verbose=0)
    first = np.load(result.run_dir / "user_factors.npy")
    assert np.load(again.run_dir / "user_factors.npy") == pytest.approx(first, abs=1e-5)


def test_failed_gate_exits_non_zero_and_keeps_current(tiny_data_dir, tmp_path):
    from pipeline.training_pipeline import main

    artifacts_dir = tmp_path / "artifacts"
    before = previous_run(artifacts_dir)
    cfg = tiny_config(tiny_data_dir, artifacts_dir, evaluation={"gate_margin": -1.0}, training=QUICK)
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(config_dict(cfg)), encoding="utf-8")
    assert main(["--config", str(config_file), "--quiet"]) == 1
    assert current_id(artifacts_dir) == before
    assert len(artifacts.list_runs(artifacts_dir)) == 2  # the failed run is kept for inspection


def test_bad_data_dir_is_one_line_error(tmp_path, capsys):
    from pipeline.training_pipeline import main

    (tmp_path / "empty").mkdir()
    config_file = tmp_path / "config.yaml"
    cfg = tiny_config(tmp_path / "empty", tmp_path / "artifacts", data={"generate_if_missing": False})
    config_file.write_text(yaml.safe_dump(config_dict(cfg)), encoding="utf-8")
    assert main(["--config", str(config_file), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err


def test_crash_before_publish_leaves_current_and_no_temporary_dir(tiny_data_dir, tmp_path):
    artifacts_dir = tmp_path / "artifacts"
    before = previous_run(artifacts_dir)

    def boom(_writer):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        run_training(tiny_config(tiny_data_dir, artifacts_dir, training=QUICK), verbose=0,
                     hooks=RunHooks(before_publish=boom))
    assert current_id(artifacts_dir) == before
    assert not [p for p in (artifacts_dir / "runs").iterdir() if p.name.startswith(".tmp-")]


KILL_SCRIPT = """
import os, signal, sys
sys.path.insert(0, {root!r})
from tests.model.conftest import tiny_config
from anime_recommender.pipeline.run import RunHooks, run_training
cfg = tiny_config({data!r}, {artifacts!r}, training={{"epochs": 2}})
run_training(cfg, verbose=0, hooks=RunHooks(before_publish=lambda w: os.kill(os.getpid(), signal.SIGKILL)))
"""


def test_run_killed_mid_write_leaves_current_untouched(tiny_data_dir, tmp_path, project_root):
    artifacts_dir = tmp_path / "artifacts"
    before = previous_run(artifacts_dir)
    script = KILL_SCRIPT.format(root=str(project_root), data=str(tiny_data_dir), artifacts=str(artifacts_dir))
    proc = subprocess.run([sys.executable, "-c", script], cwd=project_root, capture_output=True, timeout=300,
                          check=False,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    assert current_id(artifacts_dir) == before
    leftovers = [p for p in (artifacts_dir / "runs").iterdir() if p.name.startswith(".tmp-")]
    assert leftovers and (leftovers[0] / "model.keras").exists()  # killed with its files written...
    with pytest.raises(artifacts.ArtifactsNotFound):
        artifacts.load_run(leftovers[0])  # ...but never loadable
    assert artifacts.list_runs(artifacts_dir) == [before]


class StopAfter(keras.callbacks.Callback):
    """Simulates a crash right after epoch `epoch` (0-based) was checkpointed."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt("simulated interruption")


def test_interrupted_run_resumes_after_the_last_checkpoint(tiny_data_dir, tmp_path):
    cfg = tiny_config(tiny_data_dir, tmp_path, training={"epochs": 4})
    with pytest.raises(KeyboardInterrupt):
        run_training(cfg, verbose=0, hooks=RunHooks(callbacks=(StopAfter(2),)))
    assert not artifacts.list_runs(tmp_path)
    result = run_training(cfg, verbose=0)
    assert result.initial_epoch == 3
    assert len(result.history["loss"]) == cfg.training.epochs
    assert not (tmp_path / "checkpoints").exists()  # a finished run leaves nothing to resume


def test_final_model_command_publishes_with_the_comet_archive(tiny_data_dir, tmp_path, project_root):
    """README: `python pipeline/training_pipeline.py --data-dir DIR --artifacts-dir DIR --holdout-fraction 0`."""
    artifacts_dir = tmp_path / "artifacts"
    cfg = tiny_config(tiny_data_dir, artifacts_dir, training=QUICK)
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(config_dict(cfg)), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "pipeline/training_pipeline.py", "--config", str(config_file), "--data-dir",
         str(tiny_data_dir), "--artifacts-dir", str(artifacts_dir), "--holdout-fraction", "0"],
        cwd=project_root, capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "gate: skipped (no test split)" in proc.stdout and "(current)" in proc.stdout
    # stdout is not a terminal here: plain progress lines in the log, no ANSI bars
    assert "\x1b[" not in proc.stdout + proc.stderr and "\r" not in proc.stdout + proc.stderr
    stages = [m["name"] for m in STAGE_LINE.finditer(proc.stderr)]
    assert stages == ["load", "process", "franchises", "train", "export", "evaluate", "write", "publish"]
    assert "epoch 1/2: trained in" in proc.stderr and "epoch 2/2: trained in" in proc.stderr
    run = artifacts.load_run(artifacts_dir)
    assert set(run.manifest["files"]) == RUN_FILES
    assert run.manifest["row_counts"]["test_rows"] == 0
    assert run.manifest["config"]["processing"]["holdout_fraction"] == 0
    # every row: validation chose the epoch count, then the final fit used train + valid
    counts = run.manifest["row_counts"]
    assert counts["valid_rows"] > 0 and counts["cold_users"] == 0
    chosen = validation_epochs(run.json("history"), cfg.evaluation.k)
    assert run.manifest["fit"] == {"rows": counts["train_rows"] + counts["valid_rows"], "epochs": chosen,
                                   "refit_on_all": True}
    assert f"for {chosen} epochs, the count validation chose" in proc.stderr
    archives = list((artifacts_dir / "comet-offline").glob("*.zip"))
    assert len(archives) == 1
    with zipfile.ZipFile(archives[0]) as archive:
        assert "messages.json" in archive.namelist()


def test_refit_epochs_fixes_the_refit_length_and_refit_off_keeps_the_early_stopped_model(tiny_data_dir, tmp_path):
    cfg = tiny_config(tiny_data_dir, tmp_path / "fixed", training={**QUICK, "refit_epochs": 3})
    run_training(cfg, verbose=0)
    fit = artifacts.load_run(cfg.paths.artifacts_dir).manifest["fit"]
    counts = artifacts.load_run(cfg.paths.artifacts_dir).manifest["row_counts"]
    assert fit == {"rows": counts["train_rows"] + counts["valid_rows"], "epochs": 3, "refit_on_all": True}
    cfg = tiny_config(tiny_data_dir, tmp_path / "off", training={**QUICK, "refit_on_all": False})
    run_training(cfg, verbose=0)
    run = artifacts.load_run(cfg.paths.artifacts_dir)
    assert run.manifest["fit"] == {"rows": run.manifest["row_counts"]["train_rows"], "epochs": 2,
                                   "refit_on_all": False}
