"""Training views of the ranking model: Keras models that share its layers and output logits for a loss.

Two inputs, same maths (ncf.RankingParts), same losses (model/losses.py):
- per pair (`training.batching: pairs`): rows of (user, [positive, negatives...]); each row's history is
  pooled inside the batch, so a step costs (rows x history length).
- per user (`training.batching: users`, the default): a step holds whole users; each history is pooled
  once (a segment sum over the users' train anime, which are also their positives) and every positive of
  the step is scored, so an epoch costs (interactions), whatever the history lengths.

L2 on the user table applies to the rows a step uses (`user_l2` x their squared norms), so its gradient is
sparse (model/optimizer.py updates only those rows); the anime tables keep their layer regularizers.
The positive is in its user's history: FISM (Kabbur et al. 2013) leaves it out of the user's own history
sum, so the model cannot score an item by its own context vector. Negatives see the whole history.
Per-user steps may also take `keep` (P,): which positives the step's pooled histories keep (history
dropout, training.history_keep); every positive is still scored, against the kept part of its history.
"""
from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers, tree

from anime_recommender.model.ncf import RankingParts

BLOCKED = -1e9  # logit of a shared negative the user already has: out of the softmax


class _Trainer(layers.Layer):
    """A layer that computes the ranking model's logits from its layers (tracked: same weights)."""

    def __init__(self, parts: RankingParts, user_l2: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.parts, self.user_l2 = parts, user_l2
        self.shared = parts.all_layers()

    def own_vectors(self, users):
        """The own vectors p_u of distinct users (None without a user table), their L2 penalty added to the
        model's losses."""
        if self.parts.user_embedding is None:
            return None
        own = self.parts.user_embedding(users)
        if self.user_l2 > 0:
            self.add_loss(self.user_l2 * tf.reduce_sum(tf.square(own)))
        return own


class PairLogits(_Trainer):
    """Logits of one user against several anime at once: (batch,), (batch, m) → (batch, m), column 0 positive."""

    def call(self, user, items):
        parts = self.parts
        distinct, where = tf.unique(user)
        own = self.own_vectors(distinct)
        own = None if own is None else tf.gather(own, where)
        total = count = without = None
        if parts.history is not None:
            total, count = parts.history.sums(user)
            without = total - parts.context(items[:, 0])
        vectors, bias = parts.anime_side(items)
        pos_user = parts.user_vector(own, without, None if count is None else count - 1.0)
        user_vec = parts.user_vector(own, total, count)
        return tf.concat([tf.einsum("bd,bd->b", pos_user, vectors[:, 0])[:, None],
                          tf.einsum("bd,bmd->bm", user_vec, vectors[:, 1:])], axis=1) + bias


class UserBatchLogits(_Trainer):
    """Logits of a step of whole users: `segment` (P,) maps each positive `items[p]` to its user in `user` (U,).

    Three ways to meet negatives:
    - per positive: `items` is (P, 1 + n) ([positive, negatives]); output the same (P, 1 + n) logits as
      PairLogits;
    - shared by the step: `items` (P,) positives, `negatives` (M,) and their log q; output (P, 2) =
      [positive logit, log Σ exp(logit − log q) over the shared negatives the user does not have], all a
      softmax over [positive, negatives] needs;
    - every anime (`all_anime`): as shared, against the whole anime table (log q 0: nothing is sampled).
    """

    def __init__(self, parts: RankingParts, user_l2: float = 0.0, all_anime: bool = False, **kwargs):
        super().__init__(parts, user_l2, **kwargs)
        self.all_anime = all_anime

    # one argument per input tensor of the step (build_user_trainer calls logits(**inputs)): Keras traces each
    def call(self, user, segment, items, negatives=None, negative_log_q=None, keep=None):  # noqa: PLR0913
        per_positive = negatives is None and not self.all_anime
        positives = items[:, 0] if per_positive else items
        user_vec, pos_user = self._users(user, segment, positives, keep=keep)
        vectors, bias = self.parts.anime_side(positives)
        pos_logit = tf.einsum("pd,pd->p", pos_user, vectors) + bias
        if per_positive:
            neg_vectors, neg_bias = self.parts.anime_side(items[:, 1:])
            neg_logits = tf.einsum("pd,pnd->pn", tf.gather(user_vec, segment), neg_vectors) + neg_bias
            return tf.concat([pos_logit[:, None], neg_logits], axis=1)
        if self.all_anime:  # the tables themselves, not a gather: their gradients stay dense
            neg_vectors, neg_bias = self.parts.anime_table()
            owned = _mask(tf.stack([segment, positives], axis=1), tf.shape(user)[0], tf.shape(neg_bias)[0])
        else:
            neg_vectors, neg_bias = self.parts.anime_side(negatives)
            neg_bias = neg_bias - negative_log_q
            owned = _owned(segment, positives, negatives, n_users=tf.shape(user)[0],
                           n_anime=self.parts.anime_embedding.input_dim)
        logits = tf.where(owned, BLOCKED, tf.matmul(user_vec, neg_vectors, transpose_b=True) + neg_bias)
        return tf.stack([pos_logit, tf.gather(tf.reduce_logsumexp(logits, axis=1), segment)], axis=1)

    def _users(self, user, segment, positives, *, keep=None):
        """(e_u per user (U, d), e_u without the positive per positive (P, d)): each history pooled once (its
        kept part with `keep`)."""
        parts = self.parts
        own = self.own_vectors(user)
        if parts.history is None:
            user_vec = parts.user_vector(own)
            return user_vec, tf.gather(user_vec, segment)
        own_per_positive = None if own is None else tf.gather(own, segment)
        weight = tf.ones_like(positives, tf.float32) if keep is None else keep
        context = parts.context(positives) * weight[:, None]
        n_users = tf.shape(user)[0]
        total = tf.math.unsorted_segment_sum(context, segment, n_users)
        count = tf.math.unsorted_segment_sum(weight, segment, n_users)
        without = tf.gather(total, segment) - context
        pos_user = parts.user_vector(own_per_positive, without, tf.gather(count, segment) - weight)
        return parts.user_vector(own, total, count), pos_user


def _owned(segment, positives, negatives, *, n_users, n_anime: int):
    """(U, M) bool: shared negative m is one of user u's positives (its slot found by a scatter over anime)."""
    slot = tf.scatter_nd(negatives[:, None], tf.range(1, tf.size(negatives) + 1), [n_anime]) - 1
    hit = tf.gather(slot, positives)
    found = hit >= 0
    where = tf.stack([tf.boolean_mask(segment, found), tf.boolean_mask(hit, found)], axis=1)
    return _mask(where, n_users, tf.size(negatives))


def _mask(where, rows, columns):
    """A (rows, columns) bool matrix, True at the (row, column) pairs of `where`."""
    return tf.scatter_nd(where, tf.ones(tf.shape(where)[:1], tf.int32), tf.stack([rows, columns])) > 0


class StepTrainer(keras.Model):
    """A functional Keras model whose build under a tf.distribute strategy reads one replica's batch.

    Keras (3.15) averages the first distributed batch over the replicas only to learn the input shapes
    before training; per-user steps differ in size between replicas, so that average fails. The first
    replica's part has the same structure and dtypes, which is all the build needs.
    """

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        if iterator is not None and self._distribute_strategy is not None:
            for _, _, elements in iterator:
                first = next(elements)
                data_batch = tree.map_structure(
                    lambda value: self._distribute_strategy.experimental_local_results(value)[0], first)
                break
            iterator = None
        return super()._maybe_symbolic_build(iterator, data_batch)

    def train_step(self, data):
        """Under a multi-worker strategy, each log as a shape-(1,) tensor: Keras (3.15) averages the workers'
        logs with strategy.reduce("MEAN", value, axis=0), which refuses a scalar."""
        logs = super().train_step(data)
        if not isinstance(self._distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy):
            return logs
        return {name: tf.reshape(value, [1]) for name, value in logs.items()}


def build_pair_trainer(scoring: keras.Model, n_candidates: int, user_l2: float = 0.0) -> keras.Model:
    """Per-pair view: (user, [positive, negatives...]) → logits, sharing the scoring model's weights."""
    user = keras.Input(shape=(), dtype="int32", name="user")
    items = keras.Input(shape=(n_candidates,), dtype="int32", name="items")
    pair = PairLogits(RankingParts.of(scoring), user_l2, name="pair_logits")
    return StepTrainer([user, items], pair(user, items), name="ncf_pair_trainer")


def build_user_trainer(scoring: keras.Model, negatives: str, n_candidates: int = 1,
                       *, user_l2: float = 0.0, history_dropout: bool = False) -> keras.Model:
    """Per-user view: one step of whole users → logits. `negatives`: "per_positive" (n_candidates = 1 + n
    per positive), "shared" (sampled per step) or "all" (every anime); `history_dropout`: a `keep` input."""
    inputs = {"user": keras.Input(shape=(), dtype="int32", name="user"),
              "segment": keras.Input(shape=(), dtype="int32", name="segment"),
              "items": keras.Input(shape=(n_candidates,) if negatives == "per_positive" else (), dtype="int32",
                                   name="items")}
    if negatives == "shared":
        inputs["negatives"] = keras.Input(shape=(), dtype="int32", name="negatives")
        inputs["negative_log_q"] = keras.Input(shape=(), dtype="float32", name="negative_log_q")
    if history_dropout:
        inputs["keep"] = keras.Input(shape=(), dtype="float32", name="keep")
    logits = UserBatchLogits(RankingParts.of(scoring), user_l2, negatives == "all", name="user_batch_logits")
    return StepTrainer(inputs, logits(**inputs), name="ncf_user_trainer")
