"""Baselines measured in the same run, on the same split, as the NCF model.

Protocol (every model, NCF included): choose hyper-parameters on `valid` with train items excluded (EASE
λ, NCF epochs), then fit on train + valid (`known`) and report `test` with those items excluded, scoring
from the known history. No model sees test interactions when fitted. Each baseline also reads a list it
never trained on (`fold_in`, the cold protocol of compare.py): popularity as is, EASE x·B, ALS by
implicit's recalculate_user against its anime factors.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import threadpoolctl

from anime_recommender.evaluation import ranking

log = logging.getLogger(__name__)


@dataclass
class Fitted:
    """A fitted baseline: its scorer, its fit time, its hyper-parameters and how it serves a list it never saw."""

    name: str
    scorer: ranking.Scorer
    train_seconds: float
    params: dict = field(default_factory=dict)
    fold_in: ranking.ListScorer | None = None  # lists (CSR rows, ratings as data) -> scores: the cold protocol


def popularity(train: sp.csr_matrix) -> Fitted:
    """Most popular: every user gets the anime with the most train interactions."""
    start = time.perf_counter()
    counts = np.asarray((train > 0).sum(axis=0), dtype=np.float32).ravel()
    def scorer(users):
        return np.broadcast_to(counts, (len(users), counts.size))
    return Fitted("popularity", scorer, time.perf_counter() - start,
                  fold_in=lambda lists: np.broadcast_to(counts, (lists.shape[0], counts.size)))


def gram_matrix(x: sp.csr_matrix, block: int = 2048) -> np.ndarray:
    """Dense float32 XᵀX, a block of columns at a time (no n x n sparse product held at once)."""
    n = x.shape[1]
    xt, columns = x.T.tocsr(), x.tocsc()
    gram = np.empty((n, n), np.float32)
    for start in range(0, n, block):
        gram[:, start:start + block] = (xt @ columns[:, start:start + block]).toarray()
    return gram


def ease_weights(train: sp.csr_matrix, lam: float, gram: np.ndarray | None = None) -> np.ndarray:
    """EASE item-item weights, Steck 2019 closed form: B = I - P / diag(P), P = (XᵀX + λI)⁻¹.

    float32 and in place: one n x n array (a copy of `gram` when given, kept for the next λ) is factorised
    (Cholesky), inverted and turned into B where it lies, so a 17.5k catalogue needs ~1.2 GiB per array.
    """
    a = gram_matrix((train > 0).astype(np.float32).tocsr()) if gram is None else gram.copy()
    a[np.diag_indices_from(a)] += np.float32(lam)
    lower = a.T  # Fortran-ordered view of the same memory: LAPACK works on it in place
    _, info = scipy.linalg.lapack.spotrf(lower, lower=1, overwrite_a=1, clean=0)
    if info == 0:
        _, info = scipy.linalg.lapack.spotri(lower, lower=1, overwrite_c=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"EASE: XᵀX + {lam}·I is not positive definite (LAPACK info {info})")
    _mirror_lower(lower)
    diagonal = np.diag(a).copy()
    a /= -diagonal[None, :]  # b_ij = -p_ij / p_jj
    a[np.diag_indices_from(a)] = 0.0
    return a


def _mirror_lower(fortran: np.ndarray, block: int = 1024) -> None:
    """Copy the lower triangle of a Fortran-ordered square matrix onto its upper one, a block at a time."""
    n = fortran.shape[0]
    for start in range(0, n, block):
        stop = min(start + block, n)
        fortran[start:stop, stop:] = fortran[stop:, start:stop].T
        tile = fortran[start:stop, start:stop]
        upper = np.triu_indices(stop - start, 1)
        tile[upper] = tile.T[upper]


def ease(train: sp.csr_matrix, valid: sp.csr_matrix, lambdas: tuple[float, ...], *, k: int,
         refit: sp.csr_matrix | None = None) -> Fitted:
    """EASE with λ chosen by validation nDCG@k (train items excluded); with `refit` (train + valid) the weights
    are fitted again on those rows with the chosen λ and score from them (every model learns from every row)."""
    start = time.perf_counter()
    x = (train > 0).astype(np.float32).tocsr()
    tried = lambdas if valid.nnz else lambdas[:1]
    gram = gram_matrix(x) if len(tried) > 1 else None  # kept for the next λ (each fit works on a copy)
    best_score, best_lambda, weights = -1.0, tried[0], None
    for lam in tried:
        candidate = ease_weights(train, lam, gram)
        score = ranking.evaluate(_ease_scorer(x, candidate), train, valid, k=k)[f"ndcg@{k}"] if valid.nnz else 0.0
        log.info("EASE λ=%g: validation nDCG@%d %.4f", lam, k, score)
        if score > best_score:  # with a refit only λ is kept: at most two n x n arrays live at once
            best_score, best_lambda, weights = score, lam, (candidate if refit is None else None)
        del candidate
    del gram
    if refit is not None:
        x = (refit > 0).astype(np.float32).tocsr()
        weights = ease_weights(refit, best_lambda)
    return Fitted("ease", _ease_scorer(x, weights), time.perf_counter() - start, {"lambda": best_lambda},
                  fold_in=lambda lists: np.asarray((lists > 0).astype(np.float32) @ weights))


def _ease_scorer(x: sp.csr_matrix, weights: np.ndarray) -> ranking.Scorer:
    """Scores of EASE: the user's train row times the item-item weights."""
    return lambda users: np.asarray(x[users] @ weights)


@dataclass(frozen=True)
class AlsSettings:
    """implicit ALS's settings (evaluation.als_* in the config)."""

    factors: int
    iterations: int
    regularization: float
    alpha: float


def als(train: sp.csr_matrix, settings: AlsSettings, seed: int) -> Fitted:
    """Implicit ALS (Hu, Koren & Volinsky 2008): confidence c = 1 + α·r on binary train interactions."""
    from implicit.cpu.als import AlternatingLeastSquares  # heavy import, only when used

    start = time.perf_counter()
    # implicit parallelises itself; a multi-threaded BLAS inside it slows it down (implicit's own advice)
    with threadpoolctl.threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(factors=settings.factors, regularization=settings.regularization,
                                        alpha=settings.alpha, iterations=settings.iterations, random_state=seed,
                                        num_threads=os.cpu_count() or 1)
        model.fit((train > 0).astype(np.float32).tocsr(), show_progress=False)
    users, items = np.asarray(model.user_factors), np.asarray(model.item_factors)
    params = asdict(settings)

    def fold_in(lists: sp.csr_matrix) -> np.ndarray:
        """A list's factors solved against the fitted anime factors (implicit's recalculate_user), scored."""
        binary = (lists > 0).astype(np.float32).tocsr()
        with threadpoolctl.threadpool_limits(1, "blas"):
            vectors = np.asarray(model.recalculate_user(np.arange(binary.shape[0]), binary))
        return vectors @ items.T

    return Fitted("als", ranking.factor_scorer(users, items), time.perf_counter() - start, params, fold_in)
