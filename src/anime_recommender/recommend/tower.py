"""The model's user tower in numpy: any list (a trained user's history, an import, a few picks) becomes a
user vector exactly the way the Keras model pools a user's history in training (model/ncf.HistoryPooling,
then the user's UnitScale when scores are cosines), so every path ranks with the one model."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


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

    def list_vectors(self, indptr: np.ndarray, rows: np.ndarray, ratings: np.ndarray) -> np.ndarray:
        """User vectors of lists as the site reads them (ratings 0 = unscored): the one function the import,
        the new-user picks, users training left out and the cold-user evaluation all call, so they agree.
        Today every entry counts once, as training pools a history (how ratings and dislikes should weigh
        is measured in docs/benchmarks.md)."""
        del ratings  # every entry counts once, as in training
        return self.vectors(indptr, rows)
