"""Training of the NCF model: tf.data input with sampled negatives, LR schedule, checkpoints, early stopping.

Ranking preset: every train interaction is a positive; each epoch draws `negatives_per_positive` anime per
positive that the user has not interacted with (He et al. 2017, NCF §3.1), uniformly or in proportion to
popularity^exponent (word2vec-style, Mikolov et al. 2013). Sampling is vectorised per batch inside the
tf.data graph with stateless seeds derived from (seed, epoch, batch), so a run is reproducible and every
epoch sees fresh negatives. Loss: pointwise BCE (NCF), pairwise BPR (Rendle et al. 2009), or sampled
softmax with logQ correction (Yi et al. 2019).
Reference preset: the seed notebook — BCE on min-max scaled ratings of rated pairs only.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import scipy.sparse as sp
import tensorflow as tf

from anime_recommender.config import TrainingConfig
from anime_recommender.model import callbacks as cb
from anime_recommender.model import losses
from anime_recommender.model.ncf import build_ncf, build_pair_trainer

log = logging.getLogger(__name__)

# The seed notebook's settings, applied when preset == "reference" (whatever the training section says).
REFERENCE_TRAINING = {"batch_size": 10000, "learning_rate": 5e-5, "min_learning_rate": 1e-5,
                      "lr_rampup_epochs": 5, "lr_sustain_epochs": 0, "lr_decay": 0.8, "l2": 0.0}
REFERENCE_START_LR = 1e-5


@dataclass
class TrainInput:
    """What training needs from ProcessedData: train pairs, sizes, and validation targets."""

    users: np.ndarray          # int32 user_idx of each train interaction
    items: np.ndarray          # int32 anime_idx
    ratings: np.ndarray        # int8 rating (0 = unrated)
    n_users: int
    n_anime: int
    train_matrix: sp.csr_matrix
    valid_matrix: sp.csr_matrix | None = None


@dataclass
class TrainOutcome:
    """The trained scoring model and what happened while training it."""

    model: keras.Model
    history: dict[str, list[float]] = field(default_factory=dict)
    epochs_run: int = 0
    initial_epoch: int = 0
    best_epoch: int | None = None
    seconds: float = 0.0


def lr_schedule(start: float, peak: float, floor: float, rampup: int, sustain: int, decay: float):
    """Ramp-up / sustain / exponential decay per epoch, as in the seed notebook's `lrfn`."""
    def rate(epoch: int, _current: float | None = None) -> float:
        if epoch < rampup:
            return float(start + (peak - start) * epoch / rampup)
        if epoch < rampup + sustain:
            return float(peak)
        return float((peak - floor) * decay ** (epoch - rampup - sustain) + floor)
    return rate


def positive_weights(ratings: np.ndarray, rating_weighted: bool) -> np.ndarray:
    """Weight of each positive: rating / mean rating (unrated → 1), or 1 everywhere."""
    if not rating_weighted or not np.any(ratings > 0):
        return np.ones(len(ratings), np.float32)
    ratings = ratings.astype(np.float32)
    mean = ratings[ratings > 0].mean()
    return np.where(ratings > 0, ratings / mean, 1.0).astype(np.float32)


def negative_log_probs(items: np.ndarray, n_anime: int, sampling: str, exponent: float) -> np.ndarray:
    """log q(a) of the negative sampler: uniform, or ∝ (train count + 1)^exponent."""
    if sampling == "uniform":
        return np.full(n_anime, -np.log(n_anime), np.float32)
    weights = (np.bincount(items, minlength=n_anime) + 1.0) ** exponent
    return np.log(weights / weights.sum()).astype(np.float32)


def _epoch_batches(n: int, batch_size: int, seed: int, epoch: tf.Tensor) -> tf.data.Dataset:
    """Row indices of one epoch, shuffled with a stateless seed (seed, epoch), batched."""
    order = tf.random.experimental.stateless_shuffle(tf.range(n, dtype=tf.int64),
                                                      seed=tf.stack([tf.constant(seed, tf.int64), epoch]))
    return tf.data.Dataset.from_tensor_slices(order).batch(batch_size).enumerate()


def ranking_dataset(data: TrainInput, cfg: TrainingConfig, log_q: np.ndarray, first_epoch: int,
                    epochs: int) -> tf.data.Dataset:
    """Batches ({user, items=[pos, neg...]}, [weights | logQ]) for epochs first_epoch..epochs-1."""
    users = tf.constant(data.users, tf.int32)
    items = tf.constant(data.items, tf.int32)
    weights = tf.constant(positive_weights(data.ratings, cfg.rating_weighted))
    known = tf.constant(np.unique(data.users.astype(np.int64) * data.n_anime + data.items), tf.int64)
    log_q_t = tf.constant(log_q)
    n_neg, n_anime, popular = cfg.negatives_per_positive, data.n_anime, cfg.negative_sampling == "popularity"
    correct = cfg.loss == "softmax"

    def sample(epoch, step, rows):
        seed = tf.stack([epoch * 1_000_003 + step, tf.constant(cfg.seed, tf.int64)])
        u, pos, w = tf.gather(users, rows), tf.gather(items, rows), tf.gather(weights, rows)
        b = tf.shape(rows)[0]
        if popular:
            negs = tf.random.stateless_categorical(log_q_t[None, :], b * n_neg, seed, dtype=tf.int32)
            negs = tf.reshape(negs, (b, n_neg))
        else:
            negs = tf.random.stateless_uniform((b, n_neg), seed, 0, n_anime, dtype=tf.int32)
        keys = tf.reshape(tf.cast(u, tf.int64)[:, None] * n_anime + tf.cast(negs, tf.int64), (-1,))
        at = tf.minimum(tf.searchsorted(known, keys, out_type=tf.int64), tf.size(known, out_type=tf.int64) - 1)
        valid = tf.reshape(tf.cast(tf.gather(known, at) != keys, tf.float32), (b, n_neg))
        cand = tf.concat([pos[:, None], negs], axis=1)
        logq = tf.gather(log_q_t, cand) if correct else tf.zeros(tf.shape(cand), tf.float32)
        return {"user": u, "items": cand}, tf.concat([w[:, None], valid, logq], axis=1)

    def epoch_data(epoch):
        return _epoch_batches(len(data.users), cfg.batch_size, cfg.seed, epoch).map(
            lambda step, rows: sample(epoch, step, rows))

    return (tf.data.Dataset.range(first_epoch, epochs).flat_map(epoch_data)
            .prefetch(tf.data.AUTOTUNE))


def reference_dataset(data: TrainInput, cfg: TrainingConfig, first_epoch: int, epochs: int) -> tf.data.Dataset:
    """Batches ({user, anime}, min-max scaled rating) of rated pairs only (the seed notebook's input)."""
    rated = data.ratings > 0
    ratings = data.ratings[rated].astype(np.float32)
    low, high = ratings.min(), ratings.max()
    scaled = tf.constant((ratings - low) / max(high - low, 1.0))
    users, items = tf.constant(data.users[rated], tf.int32), tf.constant(data.items[rated], tf.int32)

    def epoch_data(epoch):
        return _epoch_batches(int(rated.sum()), cfg.batch_size, cfg.seed, epoch).map(
            lambda _step, rows: ({"user": tf.gather(users, rows), "anime": tf.gather(items, rows)},
                                 tf.gather(scaled, rows)[:, None]))

    return tf.data.Dataset.range(first_epoch, epochs).flat_map(epoch_data).prefetch(tf.data.AUTOTUNE)


def effective_config(cfg: TrainingConfig, preset: str) -> TrainingConfig:
    """The training settings actually used: the reference preset pins the notebook's values."""
    if preset != "reference":
        return cfg
    from dataclasses import replace
    return replace(cfg, **REFERENCE_TRAINING)


def compile_trainer(data: TrainInput, preset: str, dim: int, cfg: TrainingConfig, user_history: bool = False):
    """(scoring model, model to fit) for a preset, compiled with Adam and the preset's loss."""
    history = None
    if user_history and preset == "ranking":
        history = (data.train_matrix.indptr.astype(np.int64), data.train_matrix.indices.astype(np.int32))
    scoring = build_ncf(data.n_users, data.n_anime, preset, dim, cfg.l2, history, cfg.seed)
    if preset == "reference":
        scoring.compile(optimizer=keras.optimizers.Adam(REFERENCE_START_LR), loss="binary_crossentropy",
                        metrics=["mae", "mse"])
        return scoring, scoring
    trainer = build_pair_trainer(scoring, 1 + cfg.negatives_per_positive)
    trainer.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate),
                    loss=losses.get(cfg.loss, cfg.negatives_per_positive))
    return scoring, trainer


def train(data: TrainInput, preset: str, dim: int, cfg: TrainingConfig, k: int = 10,
          checkpoint_dir: Path | None = None, extra_callbacks: list | None = None,
          verbose: int = 1, user_history: bool = False) -> TrainOutcome:
    """Fit the model; resume from `checkpoint_dir` when it holds an unfinished run of the same setup."""
    cfg = effective_config(cfg, preset)
    scoring, trainer = compile_trainer(data, preset, dim, cfg, user_history)
    state = cb.load_state(checkpoint_dir, trainer) if checkpoint_dir else None
    first = state.next_epoch if state else 0
    if first >= cfg.epochs:
        log.info("checkpoint already covers %d epochs; nothing left to train", first)
    start_lr = REFERENCE_START_LR if preset == "reference" else cfg.min_learning_rate
    schedule = lr_schedule(start_lr, cfg.learning_rate, cfg.min_learning_rate, cfg.lr_rampup_epochs,
                           cfg.lr_sustain_epochs, cfg.lr_decay)
    callbacks = cb.standard(scoring, data, cfg, k, schedule, checkpoint_dir, state, verbose)
    dataset = (reference_dataset(data, cfg, first, cfg.epochs) if preset == "reference" else
               ranking_dataset(data, cfg, negative_log_probs(data.items, data.n_anime,
                                                             cfg.negative_sampling, cfg.popularity_exponent),
                               first, cfg.epochs))
    started = time.perf_counter()
    if first < cfg.epochs:
        trainer.fit(dataset, epochs=cfg.epochs, initial_epoch=first,
                    steps_per_epoch=steps_per_epoch(data, cfg, preset),
                    callbacks=callbacks + list(extra_callbacks or []), verbose=verbose,
                    shuffle=False)  # the dataset shuffles itself, seeded per epoch
    elif state and state.best_weights is not None:
        trainer.set_weights(state.best_weights)
    history = cb.merged_history(callbacks)
    stopper = next((c for c in callbacks if isinstance(c, cb.ResumableEarlyStopping)), None)
    return TrainOutcome(scoring, history, len(history.get("loss", [])), first,
                        stopper.best_epoch if stopper else None, time.perf_counter() - started)


def steps_per_epoch(data: TrainInput, cfg: TrainingConfig, preset: str) -> int:
    """Batches per epoch: every (rated, for the reference) train interaction once."""
    n = int((data.ratings > 0).sum()) if preset == "reference" else len(data.users)
    return max(1, -(-n // cfg.batch_size))
