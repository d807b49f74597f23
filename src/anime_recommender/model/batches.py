"""Input of the per-user trainer: each step a set of whole users, their train anime as positives, negatives.

An epoch shuffles the users (stateless seed (seed, epoch)) and cuts that order into `steps` runs of about
`batch_size` positives each (larger ones when that would make more than `max_steps_per_epoch` steps), so
every train interaction is a positive once per epoch and every history is pooled once. Everything runs
inside the tf.data graph with seeds derived from (seed, epoch, step): a run is reproducible and every
epoch sees new negatives. Negatives, by loss:
- bce / bpr: `negatives_per_positive` per positive, uniform or ∝ popularity^exponent; one that hits an
  anime of the user is flagged invalid (the same packing as the per-pair input, model/losses.py);
- softmax: `softmax_negatives` anime shared by all users of the step, drawn without replacement (0 = every
  anime: the exact softmax over the catalogue); the user's own anime are left out of their softmax.
With `history_keep` < 1 each step also draws which of a user's anime their pooled history keeps (a
denoising objective, as Mult-DAE: the model learns to read a part of a list, as an import is); with
`history_keep_draw: per_user` each user's share is drawn from U(history_keep, 1), down to a few titles.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from anime_recommender.config import TrainingConfig


@dataclass
class UserRows:
    """Each user's train anime as CSR rows (anime sorted within a user) and the weight of each positive."""

    indptr: np.ndarray   # int64 (n_users + 1,)
    indices: np.ndarray  # int32 (nnz,)
    weights: np.ndarray  # float32 (nnz,)
    n_anime: int

    @classmethod
    def from_pairs(cls, users: np.ndarray, items: np.ndarray, weights: np.ndarray, *, n_users: int,
                   n_anime: int) -> UserRows:
        """Rows from parallel arrays of interactions (any order, no duplicate pairs)."""
        order = np.lexsort((items, users))
        indptr = np.zeros(n_users + 1, np.int64)
        np.cumsum(np.bincount(users, minlength=n_users), out=indptr[1:])
        return cls(indptr, items[order].astype(np.int32), weights[order].astype(np.float32), n_anime)

    @property
    def nnz(self) -> int:
        return int(self.indptr[-1])

    def active_users(self) -> np.ndarray:
        return np.flatnonzero(np.diff(self.indptr) > 0).astype(np.int64)


def n_steps(rows: UserRows, batch_size: int, max_steps: int, *, replicas: int = 1) -> int:
    """Steps per epoch: about batch_size positives each, but at most max_steps (larger steps on large data),
    a multiple of the replicas (each takes a step)."""
    steps = min(-(-rows.nnz // batch_size), max_steps, len(rows.active_users()))
    return max(replicas, -(-steps // replicas) * replicas)


def shared_negative_count(cfg: TrainingConfig, n_anime: int) -> int:
    """M of the shared-negative softmax: softmax_negatives, or every anime when 0 or more than the catalogue."""
    return n_anime if cfg.softmax_negatives <= 0 else min(cfg.softmax_negatives, n_anime)


def negative_kind(cfg: TrainingConfig, n_anime: int) -> str:
    """How a per-user step meets negatives: "per_positive" (bce, bpr), "shared" or "all" (softmax)."""
    if cfg.loss != "softmax":
        return "per_positive"
    return "all" if shared_negative_count(cfg, n_anime) >= n_anime else "shared"


@dataclass(frozen=True)
class Span:
    """The steps a dataset yields: epochs first_epoch..epochs-1 of `steps` steps each; `shard` = (index,
    count) of an input pipeline (multi-worker training: each worker reads every count-th step)."""

    first_epoch: int
    epochs: int
    steps: int
    shard: tuple[int, int] = (0, 1)


def user_steps(rows: UserRows, cfg: TrainingConfig, log_q: np.ndarray, *, span: Span) -> tf.data.Dataset:
    """(inputs, packed targets) of every step of the span's epochs."""
    first_epoch, epochs, steps, shard = span.first_epoch, span.epochs, span.steps, span.shard
    make = _StepMaker(rows, cfg, log_q)
    counts = tf.constant(np.diff(rows.indptr), tf.int64)
    active = tf.constant(rows.active_users())
    nnz = max(rows.nnz, 1)

    def epoch_steps(epoch):
        order = tf.random.experimental.stateless_shuffle(active, seed=tf.stack([tf.constant(cfg.seed, tf.int64),
                                                                                 epoch]))
        starts = tf.cumsum(tf.gather(counts, order), exclusive=True)
        bounds = tf.searchsorted(starts * steps // nnz, tf.range(steps + 1, dtype=tf.int64), side="left")
        index = tf.range(shard[0], steps, shard[1], dtype=tf.int64)
        return tf.data.Dataset.from_tensor_slices(index).map(
            lambda step: make(epoch, step, order[bounds[step]:bounds[step + 1]]))

    return tf.data.Dataset.range(first_epoch, epochs).flat_map(epoch_steps).prefetch(tf.data.AUTOTUNE)


def history_mask(seed, segment, keep: float, *, per_user: bool = False):
    """1.0 for each positive its user's pooled history keeps this step, else 0.0: with probability `keep`, or
    (`per_user`) with a rate drawn for each user from U(keep, 1), so some steps read only a few of a user's
    titles, as the new-user form does."""
    draw = tf.random.stateless_uniform(tf.shape(segment), seed + tf.constant([0, 7_777_777], tf.int64))
    if not per_user:
        return tf.cast(draw < keep, tf.float32)
    rates = tf.random.stateless_uniform([tf.reduce_max(segment) + 1], seed + tf.constant([0, 5_555_555], tf.int64),
                                        keep, 1.0)
    return tf.cast(draw < tf.gather(rates, segment), tf.float32)


class _StepMaker:
    """One step's tensors from its users (a graph function of constants built once)."""

    def __init__(self, rows: UserRows, cfg: TrainingConfig, log_q: np.ndarray):
        self.indptr = tf.constant(rows.indptr)
        self.indices = tf.constant(rows.indices)
        self.weights = tf.constant(rows.weights)
        self.log_q = tf.constant(log_q, tf.float32)
        self.n_anime, self.cfg = rows.n_anime, cfg
        self.kind = negative_kind(cfg, rows.n_anime)
        self.n_shared = shared_negative_count(cfg, rows.n_anime)

    def __call__(self, epoch, step, users):
        seed = tf.stack([epoch * 1_000_003 + step, tf.constant(self.cfg.seed, tf.int64)])
        rows = tf.ragged.range(tf.gather(self.indptr, users), tf.gather(self.indptr, users + 1))
        segment = tf.cast(rows.value_rowids(), tf.int32)
        items = tf.gather(self.indices, rows.flat_values)
        weight = tf.gather(self.weights, rows.flat_values)
        inputs = {"user": tf.cast(users, tf.int32), "segment": segment}
        if self.cfg.history_keep < 1.0:
            inputs["keep"] = history_mask(seed, segment, self.cfg.history_keep,
                                          per_user=self.cfg.history_keep_draw == "per_user")
        if self.kind == "all":  # every anime: nothing sampled, no log q
            inputs["items"] = items
            return inputs, tf.stack([weight, tf.zeros_like(weight)], axis=1)
        if self.kind == "shared":
            negatives = self._shared(seed)
            inputs.update(items=items, negatives=negatives, negative_log_q=tf.gather(self.log_q, negatives))
            return inputs, tf.stack([weight, tf.gather(self.log_q, items)], axis=1)
        negatives, valid = self._per_positive(seed, segment, items)
        candidates = tf.concat([items[:, None], negatives], axis=1)
        logq = tf.gather(self.log_q, candidates)
        inputs["items"] = candidates
        return inputs, tf.concat([weight[:, None], valid, logq], axis=1)

    def _shared(self, seed):
        """M distinct anime for the step: a uniform draw, or a Gumbel top-M by popularity."""
        if self.cfg.negative_sampling == "uniform":
            return tf.random.experimental.stateless_shuffle(tf.range(self.n_anime, dtype=tf.int32), seed)[
                :self.n_shared]
        gumbel = -tf.math.log(-tf.math.log(tf.random.stateless_uniform([self.n_anime], seed, 1e-9, 1.0)))
        return tf.math.top_k(self.log_q + gumbel, self.n_shared).indices

    def _per_positive(self, seed, segment, items):
        """n negatives per positive and whether each is valid (not one of the step user's own anime)."""
        n_neg, size = self.cfg.negatives_per_positive, tf.size(items)
        if self.cfg.negative_sampling == "popularity":
            negatives = tf.reshape(tf.random.stateless_categorical(self.log_q[None, :], size * n_neg, seed,
                                                                   dtype=tf.int32), (size, n_neg))
        else:
            negatives = tf.random.stateless_uniform((size, n_neg), seed, 0, self.n_anime, dtype=tf.int32)
        # keys of the step's own pairs are sorted (users in segment order, anime sorted within a user); the
        # -1 at the end is what a key past the last one finds
        own = tf.concat([tf.cast(segment, tf.int64) * self.n_anime + tf.cast(items, tf.int64), [-1]], axis=0)
        keys = tf.reshape(tf.cast(segment, tf.int64)[:, None] * self.n_anime + tf.cast(negatives, tf.int64), [-1])
        hit = tf.gather(own, tf.searchsorted(own[:-1], keys)) == keys
        return negatives, tf.reshape(1.0 - tf.cast(hit, tf.float32), (size, n_neg))
