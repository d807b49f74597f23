"""The Keras NCF models: a GMF-style ranking model and the seed notebook's RecommenderNet.

Both score a (user, anime) pair so that the exported factors reproduce the ranking exactly:
- `ranking` (default): logit(u, a) = e_u · e_a + b_a — the GMF branch of NCF (He et al. 2017,
  "Neural Collaborative Filtering") with an item bias, trained on sampled negatives. With
  `user_history`, e_u = p_u + |N(u)|^-1/2 Σ_{j ∈ N(u)} y_j: the implicit-feedback user of SVD++
  (Koren 2008) / FISM (Kabbur et al. 2013), which generalises far better for users with short lists.
  With a `temperature` T both vectors are L2-normalised first: logit = cos(e_u, e_a) / T + b_a (the
  cosine scores of SimpleX, Mao et al. 2021), measured better on the real slice (docs/benchmarks.md).
  Keeping it a dot product of per-user and per-anime vectors is what makes user_factors · anime_factors
  + anime_bias exact.
- `reference`: RecommenderNet — 128-d embeddings, Dot(normalize=True), Dense(1), BatchNormalization,
  sigmoid; monotone in the cosine, so normalised factors rank like it (bias 0).

The trainers (model/trainers.py) compute the same logits from the same layers, through `RankingParts`.
"""
from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from keras import layers

USER_EMBEDDING = "user_embedding"
ANIME_EMBEDDING = "anime_embedding"
ANIME_BIAS = "anime_bias"
USER_HISTORY = "user_history"
USER_NORM = "user_norm"
ANIME_NORM = "anime_norm"
REFERENCE_DIM = 128


@dataclass(frozen=True)
class NcfSpec:
    """The scoring model's make: its preset, vector size, L2 on the anime side, the seed of its initialisers,
    the cosine temperature (None: a dot product; ranking only) and whether a user has a free vector p_u
    (False: FISM, a user is their history)."""

    preset: str = "ranking"
    dim: int = 64
    l2: float = 0.0
    seed: int = 42
    temperature: float | None = None
    user_embedding: bool = True


def build_ncf(n_users: int, n_anime: int, spec: NcfSpec,
              *, history: tuple[np.ndarray, np.ndarray] | None = None) -> keras.Model:
    """The scoring model: inputs `user`, `anime` (int32 indices, shape (batch,)) → score (batch, 1).

    `history` = (indptr, indices) of each user's train anime switches on the history tower (ranking only).
    Initialisers get explicit seeds: Keras' global seed generator keeps its state across models in one
    process, so seeding it again would not make a second run start from the same weights.
    """
    if spec.preset == "reference":
        return _reference(n_users, n_anime, spec.seed)
    if spec.preset == "ranking":
        if history is None and not spec.user_embedding:
            raise ValueError("the ranking model needs a user embedding, a user history or both")
        return _ranking(n_users, n_anime, spec, history=history)
    raise ValueError(f"unknown model preset {spec.preset!r} (expected 'ranking' or 'reference')")


def _inputs() -> tuple[keras.KerasTensor, keras.KerasTensor]:
    return (keras.Input(shape=(), dtype="int32", name="user"),
            keras.Input(shape=(), dtype="int32", name="anime"))


def _ranking(n_users: int, n_anime: int, spec: NcfSpec, *, history) -> keras.Model:
    """GMF with an anime bias; outputs the logit (sigmoid of it = interaction probability)."""
    dim, l2, seed, temperature = spec.dim, spec.l2, spec.seed, spec.temperature
    user, anime = _inputs()
    reg = keras.regularizers.L2(l2) if l2 > 0 else None
    parts = []
    if spec.user_embedding:
        # no regularizer on the user table: the trainers put L2 on the rows a step uses (model/trainers.py),
        # so its gradient stays sparse and a step does not touch every user's row
        init = keras.initializers.RandomNormal(stddev=0.1, seed=seed)
        parts.append(layers.Embedding(n_users, dim, embeddings_initializer=init, name=USER_EMBEDDING)(user))
    if history is not None:
        pooling = HistoryPooling(n_users, n_anime, len(history[1]), dim=dim, l2=l2, seed=seed + 2, name=USER_HISTORY)
        parts.append(pooling(user))
        pooling.set_history(*history)
    u = layers.Add(name="user_vector")(parts) if len(parts) > 1 else parts[0]
    a = layers.Embedding(n_anime, dim, embeddings_initializer=keras.initializers.RandomNormal(
        stddev=0.1, seed=seed + 1), embeddings_regularizer=reg, name=ANIME_EMBEDDING)(anime)
    if temperature is not None:
        u = UnitScale(1.0, name=USER_NORM)(u)
        a = UnitScale(1.0 / temperature, name=ANIME_NORM)(a)
    b = layers.Embedding(n_anime, 1, embeddings_initializer="zeros", name=ANIME_BIAS)(anime)
    score = layers.Add(name="logit")([layers.Dot(axes=-1, name="dot")([u, a]), b])
    return keras.Model([user, anime], score, name="ncf_ranking")


def _reference(n_users: int, n_anime: int, seed: int) -> keras.Model:
    """RecommenderNet of the seed notebook, layer for layer (Keras' default initialisers, seeded)."""
    user, anime = _inputs()
    init = keras.initializers.RandomUniform(-0.05, 0.05, seed=seed)
    u = layers.Embedding(n_users, REFERENCE_DIM, embeddings_initializer=init,
                         name=USER_EMBEDDING)(layers.Reshape((1,))(user))
    init = keras.initializers.RandomUniform(-0.05, 0.05, seed=seed + 1)
    a = layers.Embedding(n_anime, REFERENCE_DIM, embeddings_initializer=init,
                         name=ANIME_EMBEDDING)(layers.Reshape((1,))(anime))
    x = layers.Dot(axes=2, normalize=True, name="dot_product")([u, a])
    x = layers.Flatten()(x)
    x = layers.Dense(1, kernel_initializer=keras.initializers.HeNormal(seed=seed + 2), name="dense")(x)
    x = layers.BatchNormalization(name="batch_norm")(x)
    out = layers.Activation("sigmoid")(x)
    return keras.Model([user, anime], out, name="ncf_reference")


@keras.saving.register_keras_serializable(package="anime_recommender")
class HistoryPooling(layers.Layer):
    """|N(u)|^-1/2 Σ_{j ∈ N(u)} y_j over each user's train anime (SVD++'s implicit user part).

    The history itself is stored as non-trainable weights, so model.keras is self-contained.
    """

    # the arguments are get_config's keys: Keras rebuilds the layer from them when model.keras is loaded
    def __init__(self, n_users: int, n_anime: int, nnz: int, *, dim: int, l2: float = 0.0,  # noqa: PLR0913
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.n_users, self.n_anime, self.nnz, self.dim, self.l2 = n_users, n_anime, nnz, dim, l2
        reg = keras.regularizers.L2(l2) if l2 > 0 else None
        self.context = self.add_weight(shape=(n_anime, dim), name="anime_context", regularizer=reg,
                                       initializer=keras.initializers.RandomNormal(stddev=0.01, seed=seed))
        self.row_splits = self.add_weight(shape=(n_users + 1,), dtype="int64", name="row_splits",
                                          initializer="zeros", trainable=False)
        self.items = self.add_weight(shape=(max(nnz, 1),), dtype="int32", name="items",
                                     initializer="zeros", trainable=False)

    def set_history(self, indptr: np.ndarray, indices: np.ndarray) -> None:
        self.row_splits.assign(indptr.astype(np.int64))
        self.items.assign(np.resize(indices.astype(np.int32), max(self.nnz, 1)))

    def sums(self, user):
        """(Σ y_j, |N(u)|) per user of the batch, computed once per distinct user (batches repeat users)."""
        distinct, where = tf.unique(tf.cast(tf.reshape(user, (-1,)), tf.int64))
        starts, ends = tf.gather(self.row_splits, distinct), tf.gather(self.row_splits, distinct + 1)
        items = tf.gather(self.items, tf.ragged.range(starts, ends))
        total = tf.reduce_sum(tf.gather(tf.convert_to_tensor(self.context), items), axis=1)
        count = tf.cast(ends - starts, self.context.dtype)
        return tf.gather(total, where), tf.gather(count, where)

    def call(self, user):
        total, count = self.sums(user)
        return total * tf.math.rsqrt(tf.maximum(count, 1.0))[:, None]

    def get_config(self):
        return {**super().get_config(), "n_users": self.n_users, "n_anime": self.n_anime, "nnz": self.nnz,
                "dim": self.dim, "l2": self.l2}


@keras.saving.register_keras_serializable(package="anime_recommender")
class UnitScale(layers.Layer):
    """x / |x| · scale along the last axis: cosine scores at temperature 1 / scale (zero vectors stay zero)."""

    def __init__(self, scale: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = float(scale)

    def call(self, x):
        squared = tf.reduce_sum(tf.square(x), axis=-1, keepdims=True)
        return x * (tf.math.rsqrt(tf.maximum(squared, 1e-12)) * self.scale)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


@dataclass
class RankingParts:
    """The ranking model's layers, so the scoring model and every trainer compute the same logits."""

    anime_embedding: layers.Embedding
    anime_bias: layers.Embedding
    user_embedding: layers.Embedding | None = None
    history: HistoryPooling | None = None
    user_norm: UnitScale | None = None
    anime_norm: UnitScale | None = None

    @classmethod
    def of(cls, scoring: keras.Model) -> RankingParts:
        names = {layer.name: layer for layer in scoring.layers}
        return cls(names[ANIME_EMBEDDING], names[ANIME_BIAS], names.get(USER_EMBEDDING), names.get(USER_HISTORY),
                   names.get(USER_NORM), names.get(ANIME_NORM))

    def all_layers(self) -> list[layers.Layer]:
        return [layer for layer in (self.user_embedding, self.anime_embedding, self.anime_bias, self.history,
                                    self.user_norm, self.anime_norm) if layer is not None]

    def user_vector(self, own, total=None, count=None):
        """e_u from the user's own vector (None without one) and, with the history tower, a history's sum and size."""
        if self.history is not None:
            pooled = total * tf.math.rsqrt(tf.maximum(count, 1.0))[..., None]
            own = pooled if own is None else own + pooled
        return own if self.user_norm is None else self.user_norm(own)

    def anime_side(self, items):
        """(e_a, b_a) of anime indices of any shape: (..., d) and (...)."""
        vectors = self.anime_embedding(items)
        if self.anime_norm is not None:
            vectors = self.anime_norm(vectors)
        return vectors, tf.squeeze(self.anime_bias(items), axis=-1)

    def anime_table(self):
        """(e_a, b_a) of every anime, from the tables themselves (dense gradients, no gather)."""
        vectors = tf.convert_to_tensor(self.anime_embedding.embeddings)
        if self.anime_norm is not None:
            vectors = self.anime_norm(vectors)
        return vectors, tf.convert_to_tensor(self.anime_bias.embeddings)[:, 0]

    def context(self, items):
        """The history tower's context vectors y_j of anime indices."""
        return tf.gather(tf.convert_to_tensor(self.history.context), items)
