"""training.strategy: tf.distribute over two logical CPU devices, in a subprocess (logical devices must be
configured before TensorFlow initialises), and the errors of a strategy that cannot run."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from anime_recommender.config import ConfigError
from anime_recommender.model.distribute import StrategyError, make_strategy

SCRIPT = r"""
import dataclasses, json, sys
import numpy as np, scipy.sparse as sp, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
sys.path.insert(0, {root!r})
from anime_recommender.config import ModelConfig, TrainingConfig
from anime_recommender.model import batches, distribute, train as tr
from anime_recommender.model.export import extract_factors

rng = np.random.default_rng(0)
n_users, n_anime = 40, 25
dense = rng.random((n_users, n_anime)) < rng.uniform(0.1, 0.6, (n_users, 1))
dense[:, 0] = True  # everyone has anime 0: no empty user
users, items = np.nonzero(dense)
ratings = rng.integers(1, 11, len(users)).astype(np.int8)
matrix = sp.csr_matrix(dense.astype(np.float32))
valid = sp.csr_matrix((rng.random((n_users, n_anime)) < 0.1) & ~dense, dtype=np.float32)
data = tr.TrainInput(users.astype(np.int32), items.astype(np.int32), ratings, n_users, n_anime, matrix, valid)
model_cfg = dataclasses.replace(ModelConfig(), embedding_dim=8)
cfg = dataclasses.replace(TrainingConfig(), strategy="mirrored", epochs=3, batch_size=64, l2=0.0,
                          validation_users=n_users, lr_rampup_epochs=0)
out = {{}}

# 1. one step under the mirrored strategy = the mean of the two replicas' gradients (SGD, lr 1)
strategy = distribute.make_strategy("mirrored")
out["replicas"] = strategy.num_replicas_in_sync
feed = tr.epoch_input(data, cfg, "ranking", strategy=strategy)
plain = tr.epoch_input(data, cfg, "ranking", strategy=tf.distribute.get_strategy())
steps = list(plain.make(0, 1).take(2))
tf.keras.utils.set_random_seed(1)
scoring, trainer = tr.compile_trainer(data, model_cfg, cfg, rows=plain.rows)
start = [w.numpy() for w in trainer.trainable_weights]
grads = []
for x, y in steps:
    with tf.GradientTape() as tape:
        loss = trainer.compute_loss(x, y, trainer(x))
    grads.append([tf.convert_to_tensor(g).numpy() for g in tape.gradient(loss, trainer.trainable_weights)])
expected = [w - (g0 + g1) / 2 for w, g0, g1 in zip(start, *grads)]
with strategy.scope():
    tf.keras.utils.set_random_seed(1)
    _, mirrored = tr.compile_trainer(data, model_cfg, cfg, rows=feed.rows)
    mirrored.compile(optimizer=keras.optimizers.SGD(1.0), loss=mirrored.loss)
out["same_start"] = all(np.allclose(a, b.numpy()) for a, b in zip(start, mirrored.trainable_weights))
mirrored.fit(feed.make(0, 1), epochs=1, steps_per_epoch=1, verbose=0)
out["mean_of_replica_gradients"] = max(float(np.abs(w.numpy() - e).max())
                                       for w, e in zip(mirrored.trainable_weights, expected))

# 2. the whole training function under the strategy: it learns and exports what the model scores
outcome = tr.train(data, model_cfg, cfg, options=tr.FitOptions(verbose=0))
factors = extract_factors(outcome.model)
pairs = np.stack(np.meshgrid(np.arange(n_users), np.arange(n_anime), indexing="ij"), -1).reshape(-1, 2)
scores = outcome.model.predict({{"user": pairs[:, 0], "anime": pairs[:, 1]}}, verbose=0).reshape(n_users, n_anime)
out["factor_error"] = float(np.abs(factors.user_factors @ factors.anime_factors.T + factors.anime_bias - scores).max())
out["loss"] = outcome.history["loss"]
out["steps_per_epoch"] = feed.steps_per_epoch
out["steps"] = feed.size.steps
print("RESULT " + json.dumps(out))
"""


@pytest.mark.slow
def test_mirrored_strategy_over_two_logical_cpus_averages_whole_steps_and_trains(project_root):
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(root=str(project_root))], cwd=project_root,
                          capture_output=True, text=True, timeout=600, check=False,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""})
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    result = json.loads(lines[0][len("RESULT "):])
    assert result["replicas"] == 2 and result["same_start"]
    assert result["mean_of_replica_gradients"] < 1e-5  # each replica took one whole step, gradients averaged
    assert result["steps"] == 2 * result["steps_per_epoch"]
    assert result["loss"][-1] < result["loss"][0]
    assert result["factor_error"] < 1e-4


def test_multi_worker_without_tf_config_is_a_config_error():
    with pytest.raises(StrategyError, match="TF_CONFIG") as caught:
        make_strategy("multi_worker", env={})
    assert isinstance(caught.value, ConfigError)  # the training command turns it into exit 2


def test_a_tf_config_without_workers_is_named():
    with pytest.raises(StrategyError, match="not a cluster"):
        make_strategy("multi_worker", env={"TF_CONFIG": json.dumps({"task": {"type": "worker", "index": 0}})})


def test_default_strategy_is_one_replica():
    assert make_strategy("default", env={}).num_replicas_in_sync == 1
