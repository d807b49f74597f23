"""training.strategy multi_worker for real: two worker processes on this machine, TF_CONFIG naming two local
ports (as the indexed Job of docs/deploy.md gives each pod), the real training command in each.

Both workers finish; the chief (worker 0) publishes one run into the artifacts dir, the other worker writes
only to its own scratch dir; the chief's per-epoch loss equals a one-worker run's on the same data.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
import yaml

from anime_recommender import artifacts
from anime_recommender.pipeline.run import config_dict
from tests.model.conftest import TINY, tiny_config

pytestmark = pytest.mark.slow

PIPELINE = "pipeline/training_pipeline.py"
DEADLINE = 600  # per training on a busy 2-core box


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def config_file(tmp_path, data_dir, strategy: str, replicas: int = 1):
    """The tiny config; `replicas` x the batch, so one replica takes the steps that many replicas take together."""
    batch = TINY["training"]["batch_size"] * replicas
    cfg = tiny_config(data_dir, tmp_path / "unused", training={"strategy": strategy, "epochs": 3, "batch_size": batch},
                      evaluation={"gate_margin": 1.0})  # the gate is not what this test is about
    path = tmp_path / f"config-{strategy}.yaml"
    path.write_text(yaml.safe_dump(config_dict(cfg)), encoding="utf-8")
    return path


def start(project_root, config, artifacts_dir, log_path, tf_config: dict | None = None) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("COMET_API_KEY", None)
    env.pop("TF_CONFIG", None)
    if tf_config:
        env["TF_CONFIG"] = json.dumps(tf_config)
    with open(log_path, "w") as log:
        return subprocess.Popen([sys.executable, PIPELINE, "--config", str(config), "--artifacts-dir",
                                 str(artifacts_dir), "--quiet"], cwd=project_root, env=env, stdout=log,
                                stderr=subprocess.STDOUT)


def finish(proc: subprocess.Popen, log_path) -> int:
    try:
        return proc.wait(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail(f"training did not finish in {DEADLINE} s:\n{log_path.read_text()[-3000:]}")


def test_two_workers_train_one_model_and_the_chief_publishes_it(project_root, tiny_data_dir, tmp_path):
    config = config_file(tmp_path, tiny_data_dir, "multi_worker")
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    chief_dir, scratch_dir = tmp_path / "artifacts", tmp_path / "worker-1-scratch"
    workers = [start(project_root, config, directory, tmp_path / f"worker-{index}.log",
                     {"cluster": cluster, "task": {"type": "worker", "index": index}})
               for index, directory in enumerate([chief_dir, scratch_dir])]
    codes = [finish(proc, tmp_path / f"worker-{index}.log") for index, proc in enumerate(workers)]
    logs = [(tmp_path / f"worker-{index}.log").read_text() for index in range(2)]
    assert codes == [0, 0], "\n".join(log[-3000:] for log in logs)
    assert all("2 replica(s)" in log for log in logs), "each worker trained as one of two replicas"

    assert len(artifacts.list_runs(chief_dir)) == 1, "the chief publishes one run"
    chief = artifacts.load_run(chief_dir)
    other = artifacts.load_run(scratch_dir)
    assert chief.json("history")["loss"] == pytest.approx(other.json("history")["loss"], rel=1e-5), (
        "the two workers hold the same model")

    single_dir = tmp_path / "one-worker"
    # one worker taking, in each step, what the two workers take together (their two steps, gradients averaged)
    one = start(project_root, config_file(tmp_path, tiny_data_dir, "default", replicas=2), single_dir,
                tmp_path / "one.log")
    assert finish(one, tmp_path / "one.log") == 0, (tmp_path / "one.log").read_text()[-3000:]
    single = artifacts.load_run(single_dir).json("history")["loss"]
    assert len(single) == 3
    assert chief.json("history")["loss"] == pytest.approx(single, rel=1e-3), "same loss as one worker"
