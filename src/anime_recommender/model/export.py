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

from anime_recommender.model.ncf import ANIME_BIAS, ANIME_EMBEDDING, USER_EMBEDDING, USER_HISTORY

log = logging.getLogger(__name__)


@dataclass
class Factors:
    """The served form of a model: raw factors plus a per-anime bias."""

    user_factors: np.ndarray
    anime_factors: np.ndarray
    anime_bias: np.ndarray

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


def extract_factors(model: keras.Model) -> Factors:
    """Factors of either preset, chosen by the model's layers."""
    users, anime = _table(model, USER_EMBEDDING), _table(model, ANIME_EMBEDDING)
    names = {layer.name for layer in model.layers}
    if USER_HISTORY in names:
        users = users + _history_vectors(model.get_layer(USER_HISTORY))
    if ANIME_BIAS in names:
        return Factors(users, anime, _table(model, ANIME_BIAS)[:, 0].copy())
    # reference: sigmoid(BN(w·cos + c)) is monotone in cos with the sign of w·γ/√(var+ε)
    return Factors(l2_normalise(users), l2_normalise(anime) * _reference_sign(model),
                   np.zeros(anime.shape[0], np.float32))


def _history_vectors(layer) -> np.ndarray:
    """|N(u)|^-1/2 Σ y_j for every user, in numpy (what HistoryPooling computes per batch)."""
    indptr = np.asarray(layer.row_splits.numpy(), np.int64)
    items = np.asarray(layer.items.numpy())[: indptr[-1]]
    context = np.asarray(layer.context.numpy(), np.float32)
    counts = np.diff(indptr)
    matrix = sp.csr_matrix((np.repeat(1.0 / np.sqrt(np.maximum(counts, 1)), counts).astype(np.float32),
                            items, indptr), shape=(len(counts), context.shape[0]))
    return np.asarray(matrix @ context, np.float32)


def _reference_sign(model: keras.Model) -> np.float32:
    """+1 when the reference head is increasing in the cosine, -1 when training flipped it."""
    kernel = float(model.get_layer("dense").get_weights()[0].ravel()[0])
    norm = model.get_layer("batch_norm")
    gamma, _beta, _mean, var = norm.get_weights()
    slope = kernel * float(gamma[0]) / float(np.sqrt(var[0] + norm.epsilon))
    return np.float32(1.0 if slope >= 0 else -1.0)
