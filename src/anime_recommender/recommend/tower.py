"""The model's user tower in numpy: any list (a trained user's history, an import, a few picks) becomes a
user vector exactly the way the Keras model pools a user's history in training (model/ncf.HistoryPooling,
then the user's UnitScale when scores are cosines), so every path ranks with the one model.

How a list's entries enter the pool (measured on held-out users, docs/benchmarks.md "Cold users"): every
entry the person watched counts once, as training pools a history, whatever its score; Plan to Watch
entries (not watched) are left out. Because the pool is a weighted sum, each entry's part of a score is
exact (`contributions`): the reasons of a recommendation name the entries with the largest parts.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from anime_recommender.data.statuses import Status


def entry_weights(ratings: np.ndarray, statuses: np.ndarray | None = None) -> np.ndarray:
    """The pooling weight of each list entry: 1 as training pools it, 0 for Plan to Watch (not watched)."""
    weights = np.ones(len(ratings), np.float32)
    if statuses is not None:
        weights[np.asarray(statuses) == Status.PLAN_TO_WATCH] = 0.0
    return weights


@dataclass(frozen=True)
class UserTower:
    """The exported context table of the history pooling and the user side's scale (None: plain dot product)."""

    context: np.ndarray          # float32 (n_anime, d): y_j of HistoryPooling, by model anime row
    user_scale: float | None     # UnitScale scale of the user side; None when the model scores a dot product

    def vector(self, rows: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """The user vector of one list of model anime rows (weights 1 = what training pools)."""
        rows = np.asarray(rows, np.int64)
        indptr = np.array([0, len(rows)], np.int64)
        return self.vectors(indptr, rows, weights)[0]

    def vectors(self, indptr: np.ndarray, indices: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """User vectors of many lists given as CSR rows: Σ w_j y_j / sqrt(Σ w_j²), then unit length · scale."""
        indptr, indices = np.asarray(indptr, np.int64), np.asarray(indices, np.int64)
        w = np.ones(len(indices), np.float32) if weights is None else np.asarray(weights, np.float32)
        matrix = sp.csr_matrix((w, indices, indptr), shape=(len(indptr) - 1, self.context.shape[0]))
        pooled = np.asarray(matrix @ self.context, np.float32)
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1), np.float32))
        pooled /= np.where(norms > 0, norms, 1.0)
        if self.user_scale is None:
            return pooled
        length = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.where(length > 0, length, 1.0) * np.float32(self.user_scale)).astype(np.float32)

    def list_vectors(self, indptr: np.ndarray, rows: np.ndarray, ratings: np.ndarray,
                     *, statuses: np.ndarray | None = None) -> np.ndarray:
        """User vectors of lists as the site reads them (ratings 0 = unscored, MAL status codes): the one
        function the import, the new-user picks, users training left out and the cold-user evaluation all
        call, so they agree. Weights: `entry_weights` (the module docstring says why)."""
        return self.vectors(indptr, rows, entry_weights(ratings, statuses))

    def contributions(self, rows: np.ndarray, weights: np.ndarray, anime_factors: np.ndarray) -> np.ndarray:
        """(len(rows), len(anime_factors)): each list entry's exact part of u·a; the parts sum to u·a."""
        rows, w = np.asarray(rows, np.int64), np.asarray(weights, np.float32)
        norm = float(np.sqrt(np.sum(w * w)))
        if norm == 0:
            return np.zeros((len(rows), len(anime_factors)), np.float32)
        factor = 1.0 / norm
        if self.user_scale is not None:
            length = float(np.linalg.norm((w @ self.context[rows]) / norm))
            factor *= self.user_scale / length if length > 0 else 0.0
        return (np.float32(factor) * w[:, None] * (self.context[rows] @ anime_factors.T)).astype(np.float32)
