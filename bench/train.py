"""Training throughput on CPU: our tf.data pipeline vs a plain `model.fit` on in-memory numpy arrays.

    python bench/train.py [--real-dir ../shared/data/anime-2020] [--epochs 3]

Same model (ranking preset, config dims), same data (the real slice), same pairs per step. Throughput is
(user, anime) pairs per second over timed epochs after one warm-up epoch. The tf.data pipeline samples
fresh negatives every epoch inside the graph; the plain fit gets negatives pre-sampled once in numpy
(the seed notebook's way of feeding arrays), so it does strictly less work per epoch.
"""
from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from quality import link_real_slice

from anime_recommender.config import load_config
from anime_recommender.data import prepare, process
from anime_recommender.evaluation import compare
from anime_recommender.model import train as tr
from anime_recommender.model.ncf import build_ncf
from anime_recommender.training import _seed_everything

PROJECT_ROOT = Path(__file__).resolve().parents[1]  # the source checkout bench/ lives in


class EpochTimer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.times: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.start)


def timed_fit(fit, epochs: int) -> float:
    """Seconds per epoch, mean over the epochs after the first (graph tracing, warm-up)."""
    timer = EpochTimer()
    fit(epochs + 1, timer)
    return float(np.mean(timer.times[1:]))


def tf_data_rate(inputs: tr.TrainInput, cfg, dim: int, history: bool, epochs: int) -> tuple[float, int]:
    _seed_everything(cfg.seed)
    _, trainer = tr.compile_trainer(inputs, "ranking", dim, cfg, history)
    log_q = tr.negative_log_probs(inputs.items, inputs.n_anime, cfg.negative_sampling, cfg.popularity_exponent)
    steps = tr.steps_per_epoch(inputs, cfg, "ranking")
    seconds = timed_fit(lambda n, timer: trainer.fit(tr.ranking_dataset(inputs, cfg, log_q, 0, n), epochs=n,
                                                     steps_per_epoch=steps, callbacks=[timer], verbose=0,
                                                     shuffle=False), epochs)
    pairs = len(inputs.users) * (1 + cfg.negatives_per_positive)
    return pairs / seconds, cfg.batch_size * (1 + cfg.negatives_per_positive)


def numpy_rate(inputs: tr.TrainInput, cfg, dim: int, history: bool, epochs: int) -> float:
    _seed_everything(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    n_neg = cfg.negatives_per_positive
    users = np.concatenate([inputs.users, np.repeat(inputs.users, n_neg)])
    items = np.concatenate([inputs.items, rng.integers(0, inputs.n_anime, len(inputs.users) * n_neg)])
    labels = np.concatenate([np.ones(len(inputs.users)), np.zeros(len(inputs.users) * n_neg)]).astype("float32")
    csr = inputs.train_matrix
    model = build_ncf(inputs.n_users, inputs.n_anime, "ranking", dim, cfg.l2,
                      (csr.indptr.astype("int64"), csr.indices.astype("int32")) if history else None, cfg.seed)
    model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True))
    batch = cfg.batch_size * (1 + n_neg)
    seconds = timed_fit(lambda n, timer: model.fit({"user": users.astype("int32"), "anime": items.astype("int32")},
                                                   labels, batch_size=batch, epochs=n, callbacks=[timer],
                                                   verbose=0), epochs)
    return len(labels) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--real-dir", type=Path, default=PROJECT_ROOT.parent / "shared" / "data" / "anime-2020")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    cfg = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = cfg.replace("paths", data_dir=link_real_slice(args.real_dir, Path(tmp)))
        catalog, interactions, seen, report = prepare.load_dataset(cfg)
        data = process.process(interactions, catalog, cfg.processing, report, seen)
    m = compare.matrices(data)
    inputs = tr.TrainInput(data.train["user_idx"].to_numpy("int32"), data.train["anime_idx"].to_numpy("int32"),
                           data.train["rating"].to_numpy("int8"), data.n_users, data.n_anime, m["train"], None)
    model = (cfg.training, cfg.model.embedding_dim, cfg.model.user_history, args.epochs)
    fast, batch = tf_data_rate(inputs, *model)
    plain = numpy_rate(inputs, *model)
    print(f"{len(inputs.users)} train positives x (1 + {cfg.training.negatives_per_positive} negatives), "
          f"{batch} pairs per step, embedding_dim {cfg.model.embedding_dim}, "
          f"user_history {cfg.model.user_history}, {os.cpu_count()} CPU cores\n")
    print("| input pipeline | pairs / s | relative |\n|---|---|---|")
    print(f"| tf.data, negatives sampled in-graph every epoch | {fast:,.0f} | {fast / plain:.2f}x |")
    print(f"| plain model.fit on numpy arrays (negatives pre-sampled once) | {plain:,.0f} | 1.00x |")


if __name__ == "__main__":
    main()
