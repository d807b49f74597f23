"""Baselines measured in the same run, on the same split, as the NCF model.

Protocol (every model, NCF included): fit on `train`; choose hyper-parameters (EASE λ, NCF early
stopping) on `valid` with train items excluded; report `test` with train + valid items excluded, scoring
from the train history. No model sees valid or test interactions when fitted.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import threadpoolctl

from anime_recommender.evaluation import ranking

log = logging.getLogger(__name__)


@dataclass
class Fitted:
    """A fitted baseline: its scorer, its fit time and the hyper-parameters it ended with."""

    name: str
    scorer: ranking.Scorer
    train_seconds: float
    params: dict = field(default_factory=dict)


def popularity(train: sp.csr_matrix) -> Fitted:
    """Most popular: every user gets the anime with the most train interactions."""
    start = time.perf_counter()
    counts = np.asarray((train > 0).sum(axis=0), dtype=np.float32).ravel()
    def scorer(users):
        return np.broadcast_to(counts, (len(users), counts.size))
    return Fitted("popularity", scorer, time.perf_counter() - start)


def ease_weights(train: sp.csr_matrix, lam: float) -> np.ndarray:
    """EASE item-item weights, Steck 2019 closed form: B = I - P / diag(P), P = (XᵀX + λI)⁻¹."""
    x = (train > 0).astype(np.float64)
    gram = (x.T @ x).toarray()
    gram[np.diag_indices_from(gram)] += lam
    p = np.linalg.inv(gram)
    b = -p / np.diag(p)
    b[np.diag_indices_from(b)] = 0.0
    return b.astype(np.float32)


def ease(train: sp.csr_matrix, valid: sp.csr_matrix, lambdas: tuple[float, ...], k: int) -> Fitted:
    """EASE with λ chosen by validation nDCG@k (train items excluded)."""
    start = time.perf_counter()
    x = (train > 0).astype(np.float32).tocsr()
    best = (-1.0, None, None)
    for lam in lambdas:
        weights = ease_weights(train, lam)
        scorer = _ease_scorer(x, weights)
        score = ranking.evaluate(scorer, train, valid, k)[f"ndcg@{k}"] if valid.nnz else 0.0
        log.info("EASE λ=%g: validation nDCG@%d %.4f", lam, k, score)
        if score > best[0]:
            best = (score, lam, scorer)
        if not valid.nnz:
            break
    return Fitted("ease", best[2], time.perf_counter() - start, {"lambda": best[1]})


def _ease_scorer(x: sp.csr_matrix, weights: np.ndarray) -> ranking.Scorer:
    """Scores of EASE: the user's train row times the item-item weights."""
    return lambda users: np.asarray(x[users] @ weights)


def als(train: sp.csr_matrix, factors: int, iterations: int, regularization: float,
        alpha: float, seed: int) -> Fitted:
    """Implicit ALS (Hu, Koren & Volinsky 2008): confidence c = 1 + α·r on binary train interactions."""
    from implicit.cpu.als import AlternatingLeastSquares  # heavy import, only when used

    start = time.perf_counter()
    # implicit parallelises itself; a multi-threaded BLAS inside it slows it down (implicit's own advice)
    with threadpoolctl.threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(factors=factors, regularization=regularization, alpha=alpha,
                                        iterations=iterations, random_state=seed,
                                        num_threads=os.cpu_count() or 1)
        model.fit((train > 0).astype(np.float32).tocsr(), show_progress=False)
    users, items = np.asarray(model.user_factors), np.asarray(model.item_factors)
    params = {"factors": factors, "iterations": iterations, "regularization": regularization,
              "alpha": alpha}
    return Fitted("als", ranking.factor_scorer(users, items), time.perf_counter() - start, params)
