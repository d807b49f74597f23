"""Full-ranking evaluation of any scorer over ALL anime, with the user's known items excluded.

A scorer is a callable `users (int array) -> scores (len(users), n_anime)`. For each evaluated user the
items in `exclude` (train, plus valid when evaluating test) are masked to -inf, the top k are taken with
argpartition, and the metrics of `metrics.py` (`batch_metrics`) are computed per user, then averaged
over users who have at least one held-out item. This is the "full ranking" protocol, not sampled
negatives, which overstates quality (Krichene & Rendle 2020).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
import scipy.sparse as sp

from anime_recommender.evaluation import franchise_metrics
from anime_recommender.evaluation.metrics import METRIC_NAMES, batch_metrics

log = logging.getLogger(__name__)

Scorer = Callable[[np.ndarray], np.ndarray]
ListScorer = Callable[[sp.csr_matrix], np.ndarray]  # lists (CSR rows over anime, ratings as data) -> scores


class Reranker(Protocol):
    """The served list's post-processing of a batch's scores: each user's top `k` rows."""

    def __call__(self, users: np.ndarray, scores: np.ndarray, known: sp.csr_matrix, *, k: int) -> np.ndarray: ...


def interaction_matrix(frames: pd.DataFrame | list[pd.DataFrame], n_users: int, n_anime: int,
                       *, weights: str = "binary") -> sp.csr_matrix:
    """User × anime CSR from canonical frames: 1.0 per pair ("binary") or the rating ("rating")."""
    frames = frames if isinstance(frames, list) else [frames]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    users = frame["user_idx"].to_numpy(np.int64)
    items = frame["anime_idx"].to_numpy(np.int64)
    values = np.ones(len(frame), np.float32) if weights == "binary" else frame["rating"].to_numpy(np.float32)
    matrix = sp.csr_matrix((values, (users, items)), shape=(n_users, n_anime), dtype=np.float32)
    matrix.sum_duplicates()
    if weights == "binary":
        matrix.data[:] = 1.0
    return matrix


def list_matrix(frame: pd.DataFrame, n_rows: int, n_anime: int) -> sp.csr_matrix:
    """Lists as CSR rows over anime with their ratings as data, unrated entries kept (explicit 0)."""
    frame = frame.sort_values(["user_idx", "anime_idx"])
    indptr = np.concatenate([[0], np.cumsum(np.bincount(frame["user_idx"].to_numpy(), minlength=n_rows))])
    return sp.csr_matrix((frame["rating"].to_numpy(np.float32), frame["anime_idx"].to_numpy(np.int32),
                          indptr.astype(np.int64)), shape=(n_rows, n_anime))


def binary(lists: sp.csr_matrix) -> sp.csr_matrix:
    """1.0 at every stored entry of `lists` (explicit zeros, i.e. unrated entries, included)."""
    return sp.csr_matrix((np.ones(lists.nnz, np.float32), lists.indices, lists.indptr), shape=lists.shape)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best scores per row, best first (argpartition, then sort only k)."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def mask_known(scores: np.ndarray, exclude_rows: sp.csr_matrix) -> np.ndarray:
    """Set the already-known items of each row to -inf, in place."""
    rows = np.repeat(np.arange(exclude_rows.shape[0]), np.diff(exclude_rows.indptr))
    scores[rows, exclude_rows.indices] = -np.inf
    return scores


@dataclass(frozen=True)
class Scope:
    """Which users an evaluation measures and how their lists are made and read.

    `users`: a subset (None: every user with held-out items). `rerank(users, scores, known, k=k)` replaces the
    plain top k (the served list's post-processing); `scores` already have the known items at -inf. With
    `franchises`: the share of lists repeating a franchise and the number of sequels shown before their
    prequel (franchise_metrics.py). `batch_size` users are scored at a time.
    """

    users: np.ndarray | None = None
    franchises: franchise_metrics.FranchiseRows | None = None
    rerank: Reranker | None = None
    batch_size: int = 1024


EVERY_USER = Scope()


def evaluate(scorer: Scorer, exclude: sp.csr_matrix, target: sp.csr_matrix, *, k: int = 10,
             scope: Scope = EVERY_USER) -> dict[str, float]:
    """Mean top-k metrics over users with held-out items (in `scope`); also catalog coverage of the lists."""
    users, batch_size, franchises, rerank = scope.users, scope.batch_size, scope.franchises, scope.rerank
    candidates = np.flatnonzero(np.diff(target.indptr) > 0)
    users = candidates if users is None else np.intersect1d(users, candidates)
    names = METRIC_NAMES + (franchise_metrics.NAMES if franchises is not None else ())
    per_user = {name: [] for name in names}
    recommended = np.zeros(target.shape[1], dtype=bool)
    for start in range(0, len(users), batch_size):
        batch = users[start:start + batch_size]
        scores = mask_known(np.array(scorer(batch), dtype=np.float32, copy=True), exclude[batch])
        top = top_k(scores, k) if rerank is None else rerank(batch, scores, exclude[batch], k=k)
        recommended[top.ravel()] = True
        measures = batch_metrics(top, target[batch], k)
        if franchises is not None:
            measures.update(franchise_metrics.list_metrics(top, exclude[batch], franchises))
        for name, values in measures.items():
            per_user[name].append(values)
    result = {f"{name}@{k}": float(np.mean(np.concatenate(v))) if len(users) else 0.0
              for name, v in per_user.items()}
    if franchises is not None:  # a count over every list, not a mean
        result[f"sequels_before_prequel@{k}"] = float(sum(v.sum() for v in per_user["sequels_before_prequel"]))
    result["coverage"] = float(recommended.mean()) if len(users) else 0.0
    result["users"] = len(users)
    return result


def factor_scorer(user_factors: np.ndarray, anime_factors: np.ndarray,
                  anime_bias: np.ndarray | None = None) -> Scorer:
    """Scorer for a factor model: score(u, a) = user_factors[u] · anime_factors[a] + anime_bias[a]."""
    def score(users: np.ndarray) -> np.ndarray:
        scores = user_factors[users] @ anime_factors.T
        return scores + anime_bias if anime_bias is not None else scores
    return score
