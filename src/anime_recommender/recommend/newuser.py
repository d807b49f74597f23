"""A new user without retraining: fold a user vector in from fixed anime factors (implicit-ALS style)."""
from __future__ import annotations

import numpy as np


def gram(factors: np.ndarray) -> np.ndarray:
    """AᵀA over all anime, computed once at load (d x d)."""
    f = factors.astype(np.float64)
    return f.T @ f


def fold_in(factors: np.ndarray, gram_matrix: np.ndarray, liked: np.ndarray, disliked: np.ndarray,
            alpha: float = 40.0, reg: float = 0.1) -> np.ndarray:
    """User vector u minimising Σ c_i (u·a_i − p_i)² + λ|u|² (implicit ALS fold-in, Hu et al. 2008).

    Every anime counts as a weak p=0 (confidence 1); liked ones p=+1 and disliked ones p=−1 with
    confidence 1+alpha, so a dislike pushes the user away from it rather than merely not towards it.
    """
    d = factors.shape[1]
    liked_f = factors[np.asarray(liked, dtype=np.int64)].astype(np.float64)
    disliked_f = factors[np.asarray(disliked, dtype=np.int64)].astype(np.float64)
    lam = reg * np.trace(gram_matrix) / d
    system = gram_matrix + alpha * (liked_f.T @ liked_f + disliked_f.T @ disliked_f) + lam * np.eye(d)
    target = (1.0 + alpha) * (liked_f.sum(axis=0) - disliked_f.sum(axis=0))
    return np.linalg.solve(system, target).astype(np.float32)


def popularity_scores(mal_score: np.ndarray, train_count: np.ndarray) -> np.ndarray:
    """Weighted rating (IMDb formula): MAL score shrunk to the mean by how many of our users watched it."""
    count = np.asarray(train_count, dtype=np.float64)
    score = np.asarray(mal_score, dtype=np.float64)
    mean = np.nanmean(score) if np.isfinite(score).any() else 0.0
    score = np.where(np.isfinite(score), score, mean)
    prior = max(float(np.percentile(count, 75)) if len(count) else 1.0, 1.0)
    weighted = count / (count + prior) * score + prior / (count + prior) * mean
    return (weighted + 1e-3 * np.log1p(count)).astype(np.float32)
