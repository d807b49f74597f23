"""Factors and embeddings out of a trained Keras NCF model, as plain float32 arrays.

The exported arrays obey the contract of docs/architecture.md: score(u, a) = user_factors[u] ·
anime_factors[a] + anime_bias[a] ranks anime exactly like the Keras model does for user u.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import keras
import numpy as np
import scipy.sparse as sp

from anime_recommender.model.ncf import ANIME_BIAS, ANIME_EMBEDDING, ANIME_NORM, USER_EMBEDDING, USER_HISTORY, USER_NORM

log = logging.getLogger(__name__)


@dataclass
class Factors:
    """The served form of a model: raw factors plus a per-anime bias."""

    user_factors: np.ndarray
    anime_factors: np.ndarray
    anime_bias: np.ndarray
    anime_context: np.ndarray | None = None  # HistoryPooling's y_j (recommend/tower.py); None without history
    user_scale: float | None = None          # the user side's UnitScale scale; None: plain dot product

    @property
    def user_embeddings(self) -> np.ndarray:
        return l2_normalise(self.user_factors)

    @property
    def anime_embeddings(self) -> np.ndarray:
        return l2_normalise(self.anime_factors)


def l2_normalise(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero) so a dot product is a cosine similarity."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def _table(model: keras.Model, name: str) -> np.ndarray:
    return np.asarray(model.get_layer(name).get_weights()[0], dtype=np.float32)


def extract_factors(model: keras.Model, users: np.ndarray | None = None) -> Factors:
    """Factors of either preset, chosen by the model's layers; `users` (sorted rows) limits the user side."""
    anime = _table(model, ANIME_EMBEDDING)
    names = {layer.name for layer in model.layers}
    n_users = model.get_layer(USER_HISTORY).n_users if USER_HISTORY in names else \
        model.get_layer(USER_EMBEDDING).input_dim
    rows = np.arange(n_users) if users is None else np.asarray(users, np.int64)
    user_vectors = _table(model, USER_EMBEDDING)[rows] if USER_EMBEDDING in names else \
        np.zeros((len(rows), anime.shape[1]), np.float32)
    if USER_HISTORY in names:
        user_vectors = user_vectors + _history_vectors(model.get_layer(USER_HISTORY), rows)
    if ANIME_BIAS not in names:
        # reference: sigmoid(BN(w·cos + c)) is monotone in cos with the sign of w·γ/√(var+ε)
        return Factors(l2_normalise(user_vectors), l2_normalise(anime) * _reference_sign(model),
                       np.zeros(anime.shape[0], np.float32))
    scale = None
    if USER_NORM in names:  # cosine scores: what the UnitScale layers compute
        scale = float(model.get_layer(USER_NORM).scale)
        user_vectors = l2_normalise(user_vectors) * np.float32(scale)
        anime = l2_normalise(anime) * np.float32(model.get_layer(ANIME_NORM).scale)
    context = _table(model, USER_HISTORY) if USER_HISTORY in names else None
    return Factors(user_vectors, anime, _table(model, ANIME_BIAS)[:, 0].copy(), context, scale)


def _history_vectors(layer, users: np.ndarray) -> np.ndarray:
    """|N(u)|^-1/2 Σ y_j for the given users, in numpy (what HistoryPooling computes per batch)."""
    indptr = np.asarray(layer.row_splits.numpy(), np.int64)
    starts, counts = indptr[users], indptr[users + 1] - indptr[users]
    items = np.asarray(layer.items.numpy())
    if len(users) == len(indptr) - 1:  # every user, in order: the stored rows as they are (no index copies)
        items = items[: indptr[-1]]
    else:
        items = items[np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
                      + np.arange(counts.sum())]
    context = np.asarray(layer.context.numpy(), np.float32)
    scale = np.repeat(1.0 / np.sqrt(np.maximum(counts, 1)), counts).astype(np.float32)
    matrix = sp.csr_matrix((scale, items, np.concatenate([[0], np.cumsum(counts)])),
                           shape=(len(users), context.shape[0]))
    return np.asarray(matrix @ context, np.float32)


def _reference_sign(model: keras.Model) -> np.float32:
    """+1 when the reference head is increasing in the cosine, -1 when training flipped it."""
    kernel = float(model.get_layer("dense").get_weights()[0].ravel()[0])
    norm = model.get_layer("batch_norm")
    gamma, _beta, _mean, var = norm.get_weights()
    slope = kernel * float(gamma[0]) / float(np.sqrt(var[0] + norm.epsilon))
    return np.float32(1.0 if slope >= 0 else -1.0)
