"""Training of the NCF model: tf.data input with sampled negatives, LR schedule, checkpoints, early stopping.

Ranking preset: every train interaction is a positive once per epoch. `training.batching: users` (default)
feeds steps of whole users (model/batches.py: each history pooled once, cost ∝ interactions);
`pairs` feeds rows of (user, [positive, negatives]) as before (cost ∝ interactions × history length).
Negatives are anime the user has not interacted with (He et al. 2017, NCF §3.1), uniform or in proportion
to popularity^exponent (word2vec-style, Mikolov et al. 2013), sampled inside the tf.data graph with
stateless seeds derived from (seed, epoch, step), so a run is reproducible and every epoch sees fresh
negatives. Loss: pointwise BCE (NCF), pairwise BPR (Rendle et al. 2009), or softmax (with batching users,
over negatives shared by the step's users, by default every anime; sampled ones logQ-corrected, Yi et al.
2019). Training runs under the tf.distribute strategy of `training.strategy` (model/distribute.py).
Reference preset: the seed notebook — BCE on min-max scaled ratings of rated pairs only.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import scipy.sparse as sp
import tensorflow as tf

from anime_recommender.config import ModelConfig, TrainingConfig
from anime_recommender.model import batches, distribute, losses
from anime_recommender.model import callbacks as cb
from anime_recommender.model.ncf import NcfSpec, build_ncf
from anime_recommender.model.optimizer import RowAdam
from anime_recommender.model.progress import EpochProgress, EpochSize
from anime_recommender.model.trainers import build_pair_trainer, build_user_trainer

log = logging.getLogger(__name__)

# The seed notebook's settings, applied when preset == "reference" (whatever the training section says).
REFERENCE_TRAINING = {"batch_size": 10000, "learning_rate": 5e-5, "min_learning_rate": 1e-5,
                      "lr_rampup_epochs": 5, "lr_sustain_epochs": 0, "lr_decay": 0.8, "l2": 0.0,
                      "l2_per_anime_per_user": 0.0}
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
    rows: int = 0                                  # interactions it was fitted on
    refit: dict | None = None                      # {epochs, rows} of a refit on train + valid (pipeline/run.py)


@dataclass(frozen=True)
class LrSchedule:
    """Ramp-up / sustain / exponential decay per epoch, as in the seed notebook's `lrfn` (a Keras schedule)."""

    start: float
    peak: float
    floor: float
    rampup: int
    sustain: int
    decay: float

    def __call__(self, epoch: int, _current: float | None = None) -> float:
        if epoch < self.rampup:
            return float(self.start + (self.peak - self.start) * epoch / self.rampup)
        if epoch < self.rampup + self.sustain:
            return float(self.peak)
        return float((self.peak - self.floor) * self.decay ** (epoch - self.rampup - self.sustain) + self.floor)


def positive_weights(ratings: np.ndarray, rating_weighted: bool) -> np.ndarray:
    """Weight of each positive: rating / mean rating (unrated → 1), or 1 everywhere."""
    if not rating_weighted or not np.any(ratings > 0):
        return np.ones(len(ratings), np.float32)
    ratings = ratings.astype(np.float32)
    mean = ratings[ratings > 0].mean()
    return np.where(ratings > 0, ratings / mean, 1.0).astype(np.float32)


def negative_log_probs(items: np.ndarray, n_anime: int, sampling: str, *, exponent: float) -> np.ndarray:
    """log q(a) of the negative sampler: uniform, or ∝ (train count + 1)^exponent."""
    if sampling == "uniform":
        return np.full(n_anime, -np.log(n_anime), np.float32)
    weights = (np.bincount(items, minlength=n_anime) + 1.0) ** exponent
    return np.log(weights / weights.sum()).astype(np.float32)


def _epoch_batches(n: int, batch_size: int, seed: int, *, epoch: tf.Tensor) -> tf.data.Dataset:
    """Row indices of one epoch, shuffled with a stateless seed (seed, epoch), batched."""
    order = tf.random.experimental.stateless_shuffle(tf.range(n, dtype=tf.int64),
                                                      seed=tf.stack([tf.constant(seed, tf.int64), epoch]))
    return tf.data.Dataset.from_tensor_slices(order).batch(batch_size).enumerate()


def ranking_dataset(data: TrainInput, cfg: TrainingConfig, log_q: np.ndarray, *, first_epoch: int,
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
        return _epoch_batches(len(data.users), cfg.batch_size, cfg.seed, epoch=epoch).map(
            lambda step, rows: sample(epoch, step, rows))

    return (tf.data.Dataset.range(first_epoch, epochs).flat_map(epoch_data)
            .prefetch(tf.data.AUTOTUNE))


def reference_dataset(data: TrainInput, cfg: TrainingConfig, first_epoch: int, *, epochs: int) -> tf.data.Dataset:
    """Batches ({user, anime}, min-max scaled rating) of rated pairs only (the seed notebook's input)."""
    rated = data.ratings > 0
    ratings = data.ratings[rated].astype(np.float32)
    low, high = ratings.min(), ratings.max()
    scaled = tf.constant((ratings - low) / max(high - low, 1.0))
    users, items = tf.constant(data.users[rated], tf.int32), tf.constant(data.items[rated], tf.int32)

    def epoch_data(epoch):
        return _epoch_batches(int(rated.sum()), cfg.batch_size, cfg.seed, epoch=epoch).map(
            lambda _step, rows: ({"user": tf.gather(users, rows), "anime": tf.gather(items, rows)},
                                 tf.gather(scaled, rows)[:, None]))

    return tf.data.Dataset.range(first_epoch, epochs).flat_map(epoch_data).prefetch(tf.data.AUTOTUNE)


def effective_config(cfg: TrainingConfig, preset: str) -> TrainingConfig:
    """The training settings actually used: the reference preset pins the notebook's values."""
    if preset != "reference":
        return cfg
    return dataclasses.replace(cfg, **REFERENCE_TRAINING)


@dataclass
class EpochInput:
    """How a preset's data reach the trainer: a dataset maker (first epoch, epochs) and the epoch's size."""

    make: Callable[[int, int], object]
    size: EpochSize
    steps_per_epoch: int      # optimizer steps (each takes one element per replica)
    rows: batches.UserRows | None = None


def epoch_input(data: TrainInput, cfg: TrainingConfig, preset: str,
                *, strategy: tf.distribute.Strategy) -> EpochInput:
    """The input of the configured preset and batching, spread over the strategy's replicas."""
    if preset == "reference":
        rated = int((data.ratings > 0).sum())
        steps = max(1, -(-rated // cfg.batch_size))
        return EpochInput(lambda first, n: reference_dataset(data, cfg, first, epochs=n),
                          EpochSize(steps, rated, rated), steps)
    log_q = negative_log_probs(data.items, data.n_anime, cfg.negative_sampling, exponent=cfg.popularity_exponent)
    if cfg.batching == "pairs":
        steps = max(1, -(-len(data.users) // cfg.batch_size))
        size = EpochSize(steps, len(data.users), len(data.users) * (1 + cfg.negatives_per_positive))
        return EpochInput(lambda first, n: ranking_dataset(data, cfg, log_q, first_epoch=first, epochs=n), size, steps)
    rows = batches.UserRows.from_pairs(data.users, data.items, positive_weights(data.ratings, cfg.rating_weighted),
                                       n_users=data.n_users, n_anime=data.n_anime)
    replicas = strategy.num_replicas_in_sync
    steps = batches.n_steps(rows, cfg.batch_size, cfg.max_steps_per_epoch, replicas=replicas)
    negatives = (len(rows.active_users()) * batches.shared_negative_count(cfg, data.n_anime)
                 if cfg.loss == "softmax" else rows.nnz * cfg.negatives_per_positive)

    def make(first: int, n: int):
        return distribute.per_replica_dataset(
            strategy, lambda shard: batches.user_steps(
                rows, cfg, log_q, span=batches.Span(first_epoch=first, epochs=n, steps=steps, shard=shard)))

    return EpochInput(make, EpochSize(steps, rows.nnz, rows.nnz + negatives), steps // replicas, rows)


def l2_strength(cfg: TrainingConfig, data: TrainInput) -> float:
    """L2 on the embedding tables: training.l2, or more where each anime has fewer users to learn from
    (l2_per_anime_per_user x anime / users with train rows; docs/benchmarks.md, "L2 by catalogue size")."""
    users = max(1, int(np.count_nonzero(np.bincount(data.users, minlength=data.n_users))))
    return max(cfg.l2, cfg.l2_per_anime_per_user * data.n_anime / users)


def compile_trainer(data: TrainInput, model_cfg: ModelConfig, cfg: TrainingConfig,
                    *, rows: batches.UserRows | None = None) -> tuple[keras.Model, keras.Model]:
    """(scoring model, model to fit) for a preset, compiled with Adam and the preset's loss."""
    preset = model_cfg.preset
    history = None
    if model_cfg.user_history and preset == "ranking":
        csr = rows or data.train_matrix
        history = (csr.indptr.astype(np.int64), csr.indices.astype(np.int32))
    l2 = l2_strength(cfg, data)
    spec = NcfSpec(preset=preset, dim=model_cfg.embedding_dim, l2=l2, seed=cfg.seed,
                   temperature=model_cfg.cosine_temperature if preset == "ranking" else None,
                   user_embedding=model_cfg.user_embedding)
    scoring = build_ncf(data.n_users, data.n_anime, spec, history=history)
    if preset == "reference":
        scoring.compile(optimizer=keras.optimizers.Adam(REFERENCE_START_LR), loss="binary_crossentropy",
                        metrics=["mae", "mse"])
        return scoring, scoring
    n_candidates = 1 + cfg.negatives_per_positive
    if cfg.batching == "pairs":
        trainer, shared = build_pair_trainer(scoring, n_candidates, l2), False
    else:
        negatives = batches.negative_kind(cfg, data.n_anime)
        dropout = cfg.history_keep < 1.0  # the step input has `keep`; without a history it changes nothing
        trainer = build_user_trainer(scoring, negatives, n_candidates, user_l2=l2, history_dropout=dropout)
        shared = negatives != "per_positive"
    trainer.compile(optimizer=RowAdam(cfg.learning_rate),
                    loss=losses.get(cfg.loss, cfg.negatives_per_positive, shared))
    return scoring, trainer


@dataclass(frozen=True)
class FitOptions:
    """Around one fit: the folder it checkpoints to (and resumes from when it holds an unfinished run of the
    same setup; None: neither), the caller's own callbacks (tracking), how loud it is."""

    checkpoint_dir: Path | None = None
    callbacks: tuple = ()
    verbose: int = 1


def train(data: TrainInput, model_cfg: ModelConfig, cfg: TrainingConfig, *, k: int = 10,
          options: FitOptions | None = None) -> TrainOutcome:
    """Fit the model; resume from `options.checkpoint_dir` when it holds an unfinished run of the same setup."""
    options = options or FitOptions()
    checkpoint_dir, extra_callbacks, verbose = options.checkpoint_dir, options.callbacks, options.verbose
    preset = model_cfg.preset
    cfg = effective_config(cfg, preset)
    strategy = distribute.make_strategy(cfg.strategy)
    feed = epoch_input(data, cfg, preset, strategy=strategy)
    with strategy.scope():
        scoring, trainer = compile_trainer(data, model_cfg, cfg, rows=feed.rows)
        state = cb.load_state(checkpoint_dir, trainer) if checkpoint_dir else None
    first = state.next_epoch if state else 0
    if first >= cfg.epochs:
        log.info("checkpoint already covers %d epochs; nothing left to train", first)
    start_lr = REFERENCE_START_LR if preset == "reference" else cfg.min_learning_rate
    schedule = LrSchedule(start=start_lr, peak=cfg.learning_rate, floor=cfg.min_learning_rate,
                          rampup=cfg.lr_rampup_epochs, sustain=cfg.lr_sustain_epochs, decay=cfg.lr_decay)
    callbacks = cb.standard(cb.validation(scoring, data, cfg, k=k), schedule, cfg,
                            resume=cb.Resume(directory=checkpoint_dir, state=state, verbose=verbose))
    if verbose:
        callbacks.append(EpochProgress(feed.size, cfg.epochs))
    started = time.perf_counter()
    if first < cfg.epochs:
        log.info("training %s: %d steps per epoch of %s positives (%s scored pairs), %d replica(s)", preset,
                 feed.size.steps, f"{feed.size.positives:,}", f"{feed.size.pairs:,}", strategy.num_replicas_in_sync)
        trainer.fit(feed.make(first, cfg.epochs), epochs=cfg.epochs, initial_epoch=first,
                    steps_per_epoch=feed.steps_per_epoch, callbacks=callbacks + list(extra_callbacks or []),
                    verbose=0, shuffle=False)  # the dataset shuffles itself, seeded per epoch
    elif state and state.best_weights is not None:
        trainer.set_weights(state.best_weights)
    history = cb.merged_history(callbacks)
    stopper = next((c for c in callbacks if isinstance(c, cb.ResumableEarlyStopping)), None)
    return TrainOutcome(scoring, history, len(history.get("loss", [])), first,
                        stopper.best_epoch if stopper else None, time.perf_counter() - started, len(data.users))
