"""The Keras NCF models: a GMF-style ranking model and the seed notebook's RecommenderNet.

Both score a (user, anime) pair so that the exported factors reproduce the ranking exactly:
- `ranking` (default): logit(u, a) = e_u · e_a + b_a — the GMF branch of NCF (He et al. 2017,
  "Neural Collaborative Filtering") with an item bias, trained on sampled negatives. With
  `user_history`, e_u = p_u + |N(u)|^-1/2 Σ_{j ∈ N(u)} y_j: the implicit-feedback user of SVD++
  (Koren 2008) / FISM (Kabbur et al. 2013), which generalises far better for users with short lists.
  Keeping it linear in the factors is what makes user_factors · anime_factors + anime_bias exact.
- `reference`: RecommenderNet — 128-d embeddings, Dot(normalize=True), Dense(1), BatchNormalization,
  sigmoid; monotone in the cosine, so normalised factors rank like it (bias 0).
"""
from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers

USER_EMBEDDING = "user_embedding"
ANIME_EMBEDDING = "anime_embedding"
ANIME_BIAS = "anime_bias"
USER_HISTORY = "user_history"
REFERENCE_DIM = 128


def build_ncf(n_users: int, n_anime: int, preset: str, embedding_dim: int, l2: float = 0.0,
              history: tuple[np.ndarray, np.ndarray] | None = None, seed: int = 42) -> keras.Model:
    """The scoring model: inputs `user`, `anime` (int32 indices, shape (batch,)) → score (batch, 1).

    `history` = (indptr, indices) of each user's train anime switches on the SVD++ user (ranking only).
    Initialisers get explicit seeds: Keras' global seed generator keeps its state across models in one
    process, so seeding it again would not make a second run start from the same weights.
    """
    if preset == "reference":
        return _reference(n_users, n_anime, seed)
    if preset == "ranking":
        return _ranking(n_users, n_anime, embedding_dim, l2, history, seed)
    raise ValueError(f"unknown model preset {preset!r} (expected 'ranking' or 'reference')")


def _inputs() -> tuple[keras.KerasTensor, keras.KerasTensor]:
    return (keras.Input(shape=(), dtype="int32", name="user"),
            keras.Input(shape=(), dtype="int32", name="anime"))


def _ranking(n_users: int, n_anime: int, dim: int, l2: float, history, seed: int) -> keras.Model:
    """GMF with an anime bias; outputs the logit (sigmoid of it = interaction probability)."""
    user, anime = _inputs()
    reg = keras.regularizers.L2(l2) if l2 > 0 else None
    u = layers.Embedding(n_users, dim, embeddings_initializer=keras.initializers.RandomNormal(stddev=0.1, seed=seed),
                         embeddings_regularizer=reg, name=USER_EMBEDDING)(user)
    if history is not None:
        pooling = HistoryPooling(n_users, n_anime, len(history[1]), dim, l2, seed + 2, name=USER_HISTORY)
        u = layers.Add(name="user_vector")([u, pooling(user)])
        pooling.set_history(*history)
    a = layers.Embedding(n_anime, dim, embeddings_initializer=keras.initializers.RandomNormal(
        stddev=0.1, seed=seed + 1), embeddings_regularizer=reg, name=ANIME_EMBEDDING)(anime)
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

    def __init__(self, n_users: int, n_anime: int, nnz: int, dim: int, l2: float = 0.0, seed: int | None = None,
                 **kwargs):
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


class PairLogits(layers.Layer):
    """Logits of one user against several anime at once: (batch,), (batch, m) → (batch, m).

    Column 0 is the positive, which is in the user's history: FISM (Kabbur et al. 2013) leaves it out
    of the user's own history sum so the model cannot score an item by its own context vector.
    """

    def __init__(self, user_embedding, anime_embedding, anime_bias, history=None, **kwargs):
        super().__init__(**kwargs)
        self.user_embedding = user_embedding
        self.anime_embedding = anime_embedding
        self.anime_bias = anime_bias
        self.history = history

    def call(self, user, items):
        u = self.user_embedding(user)
        a = self.anime_embedding(items)
        dots = keras.ops.einsum("bd,bmd->bm", u, a)
        if self.history is not None:
            dots = dots + self._history_dots(user, items, a)
        return dots + keras.ops.squeeze(self.anime_bias(items), axis=-1)

    def _history_dots(self, user, items, a):
        total, count = self.history.sums(user)
        pooled = total * tf.math.rsqrt(tf.maximum(count, 1.0))[:, None]
        own = tf.gather(tf.convert_to_tensor(self.history.context), items[:, 0])
        without = (total - own) * tf.math.rsqrt(tf.maximum(count - 1.0, 1.0))[:, None]
        return tf.concat([tf.einsum("bd,bd->b", without, a[:, 0])[:, None],
                          tf.einsum("bd,bmd->bm", pooled, a[:, 1:])], axis=1)


def build_pair_trainer(scoring: keras.Model, n_candidates: int) -> keras.Model:
    """Training view of the ranking model: (user, [positive, negatives...]) → logits, sharing weights."""
    user = keras.Input(shape=(), dtype="int32", name="user")
    items = keras.Input(shape=(n_candidates,), dtype="int32", name="items")
    history = next((layer for layer in scoring.layers if layer.name == USER_HISTORY), None)
    pair = PairLogits(scoring.get_layer(USER_EMBEDDING), scoring.get_layer(ANIME_EMBEDDING),
                      scoring.get_layer(ANIME_BIAS), history, name="pair_logits")
    return keras.Model([user, items], pair(user, items), name="ncf_pair_trainer")
