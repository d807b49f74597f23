"""The Keras NCF models: a GMF-style ranking model and the seed notebook's RecommenderNet.

Both score a (user, anime) pair so that the exported factors reproduce the ranking exactly:
- `ranking` (default): logit(u, a) = e_u · e_a + b_a — the GMF branch of NCF (He et al. 2017,
  "Neural Collaborative Filtering") with an item bias, trained on sampled negatives. Keeping it linear
  in the factors is what makes user_factors · anime_factors + anime_bias rank like the model.
- `reference`: RecommenderNet — 128-d embeddings, Dot(normalize=True), Dense(1), BatchNormalization,
  sigmoid; monotone in the cosine, so normalised factors rank like it (bias 0).
"""
from __future__ import annotations

import keras
from keras import layers

USER_EMBEDDING = "user_embedding"
ANIME_EMBEDDING = "anime_embedding"
ANIME_BIAS = "anime_bias"
REFERENCE_DIM = 128


def build_ncf(n_users: int, n_anime: int, preset: str, embedding_dim: int, l2: float = 0.0) -> keras.Model:
    """The scoring model: inputs `user`, `anime` (int32 indices, shape (batch,)) → score (batch, 1)."""
    if preset == "reference":
        return _reference(n_users, n_anime)
    if preset == "ranking":
        return _ranking(n_users, n_anime, embedding_dim, l2)
    raise ValueError(f"unknown model preset {preset!r} (expected 'ranking' or 'reference')")


def _inputs() -> tuple[keras.KerasTensor, keras.KerasTensor]:
    return (keras.Input(shape=(), dtype="int32", name="user"),
            keras.Input(shape=(), dtype="int32", name="anime"))


def _ranking(n_users: int, n_anime: int, dim: int, l2: float) -> keras.Model:
    """GMF with an anime bias; outputs the logit (sigmoid of it = interaction probability)."""
    user, anime = _inputs()
    reg = keras.regularizers.L2(l2) if l2 > 0 else None
    init = keras.initializers.RandomNormal(stddev=0.1)
    u = layers.Embedding(n_users, dim, embeddings_initializer=init, embeddings_regularizer=reg,
                         name=USER_EMBEDDING)(user)
    a = layers.Embedding(n_anime, dim, embeddings_initializer=init, embeddings_regularizer=reg,
                         name=ANIME_EMBEDDING)(anime)
    b = layers.Embedding(n_anime, 1, embeddings_initializer="zeros", name=ANIME_BIAS)(anime)
    score = layers.Add(name="logit")([layers.Dot(axes=-1, name="dot")([u, a]), b])
    return keras.Model([user, anime], score, name="ncf_ranking")


def _reference(n_users: int, n_anime: int) -> keras.Model:
    """RecommenderNet of the seed notebook, layer for layer."""
    user, anime = _inputs()
    u = layers.Embedding(n_users, REFERENCE_DIM, name=USER_EMBEDDING)(layers.Reshape((1,))(user))
    a = layers.Embedding(n_anime, REFERENCE_DIM, name=ANIME_EMBEDDING)(layers.Reshape((1,))(anime))
    x = layers.Dot(axes=2, normalize=True, name="dot_product")([u, a])
    x = layers.Flatten()(x)
    x = layers.Dense(1, kernel_initializer="he_normal", name="dense")(x)
    x = layers.BatchNormalization(name="batch_norm")(x)
    out = layers.Activation("sigmoid")(x)
    return keras.Model([user, anime], out, name="ncf_reference")


class PairLogits(layers.Layer):
    """Logits of one user against several anime at once: (batch,), (batch, m) → (batch, m)."""

    def __init__(self, user_embedding, anime_embedding, anime_bias, **kwargs):
        super().__init__(**kwargs)
        self.user_embedding = user_embedding
        self.anime_embedding = anime_embedding
        self.anime_bias = anime_bias

    def call(self, user, items):
        u = self.user_embedding(user)
        a = self.anime_embedding(items)
        dots = keras.ops.einsum("bd,bmd->bm", u, a)
        return dots + keras.ops.squeeze(self.anime_bias(items), axis=-1)


def build_pair_trainer(scoring: keras.Model, n_candidates: int) -> keras.Model:
    """Training view of the ranking model: (user, [positive, negatives...]) → logits, sharing weights."""
    user = keras.Input(shape=(), dtype="int32", name="user")
    items = keras.Input(shape=(n_candidates,), dtype="int32", name="items")
    pair = PairLogits(scoring.get_layer(USER_EMBEDDING), scoring.get_layer(ANIME_EMBEDDING),
                      scoring.get_layer(ANIME_BIAS), name="pair_logits")
    return keras.Model([user, items], pair(user, items), name="ncf_pair_trainer")
