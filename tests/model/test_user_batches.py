"""The per-user input (model/batches.py, trainers.UserBatchLogits): same losses as the per-pair path, every
positive once per epoch, reproducible negatives, and the optimizer that keeps a step's cost at its rows."""
import dataclasses

import keras
import numpy as np
import pytest
import scipy.sparse as sp
import tensorflow as tf

from anime_recommender.config import TrainingConfig
from anime_recommender.model import batches, losses
from anime_recommender.model.ncf import NcfSpec, build_ncf
from anime_recommender.model.optimizer import RowAdam
from anime_recommender.model.trainers import build_pair_trainer, build_user_trainer

N_USERS, N_ANIME, DIM = 12, 30, 8


def tiny_rows(seed=0) -> batches.UserRows:
    """12 users x 30 anime, ~30% density, random weights."""
    rng = np.random.default_rng(seed)
    users, items = np.nonzero(rng.random((N_USERS, N_ANIME)) < 0.3)
    weights = rng.uniform(0.5, 1.5, len(users)).astype(np.float32)
    order = rng.permutation(len(users))  # any input order
    return batches.UserRows.from_pairs(users[order], items[order], weights[order], n_users=N_USERS, n_anime=N_ANIME)


def scoring_model(rows, temperature=0.5):
    """A history-tower model with non-trivial weights (bias, context) so every term counts."""
    model = build_ncf(N_USERS, N_ANIME, NcfSpec(dim=DIM, seed=1, temperature=temperature),
                      history=(rows.indptr, rows.indices))
    rng = np.random.default_rng(2)
    model.get_layer("anime_bias").set_weights([rng.normal(size=(N_ANIME, 1)).astype(np.float32)])
    model.get_layer("user_history").context.assign(rng.normal(size=(N_ANIME, DIM)).astype(np.float32))
    return model


def config(**changes) -> TrainingConfig:
    return dataclasses.replace(TrainingConfig(), batch_size=16, max_steps_per_epoch=1000, **changes)


def first_step(rows, cfg, log_q=None):
    log_q = np.full(N_ANIME, -np.log(N_ANIME), np.float32) if log_q is None else log_q
    steps = batches.n_steps(rows, cfg.batch_size, cfg.max_steps_per_epoch)
    return next(iter(batches.user_steps(rows, cfg, log_q, span=batches.Span(first_epoch=0, epochs=1, steps=steps))))


def pair_view(x, y, rows, negatives, log_q):
    """The same step as per-pair rows: each positive with the given negatives, known ones flagged invalid."""
    user = tf.gather(x["user"], x["segment"]).numpy()
    known = np.zeros((N_USERS, N_ANIME), bool)
    known[np.repeat(np.arange(N_USERS), np.diff(rows.indptr)), rows.indices] = True
    items = np.concatenate([x["items"].numpy()[:, None], negatives], axis=1)
    valid = (~known[user[:, None], negatives]).astype(np.float32)
    packed = np.concatenate([y.numpy()[:, :1], valid, log_q[items]], axis=1)
    return {"user": user, "items": items.astype(np.int32)}, packed


def loss_and_grads(trainer, loss_fn, x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(loss_fn(tf.constant(y, tf.float32), trainer(x)))
    grads = tape.gradient(loss, trainer.trainable_weights)
    return float(loss), [tf.convert_to_tensor(g).numpy() for g in grads]


def assert_same(a, b):
    assert a[0] == pytest.approx(b[0], rel=1e-5)
    for left, right in zip(a[1], b[1], strict=True):
        np.testing.assert_allclose(left, right, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("loss", ["bce", "bpr", "softmax"])
def test_per_positive_negatives_give_the_per_pair_loss_and_gradients(loss):
    rows = tiny_rows()
    cfg = config(loss=loss, negatives_per_positive=3)
    scoring = scoring_model(rows)
    x, y = first_step(rows, dataclasses.replace(cfg, loss="bce"))  # bce: the per-positive packing
    pair_x = {"user": tf.gather(x["user"], x["segment"]), "items": x["items"]}
    fn = losses.get(loss, 3)
    users = loss_and_grads(build_user_trainer(scoring, "per_positive", 4), fn, x, y.numpy())
    pairs = loss_and_grads(build_pair_trainer(scoring, 4), fn, pair_x, y.numpy())
    assert_same(users, pairs)


def test_softmax_over_every_anime_is_the_per_pair_softmax_with_all_anime_as_negatives():
    rows = tiny_rows()
    x, y = first_step(rows, config(loss="softmax", softmax_negatives=0))
    assert set(x) == {"user", "segment", "items"} and len(np.unique(x["user"])) >= 2
    scoring = scoring_model(rows)
    everything = np.broadcast_to(np.arange(N_ANIME), (len(x["items"]), N_ANIME))
    pair_x, packed = pair_view(x, y, rows, everything, np.zeros(N_ANIME, np.float32))
    users = loss_and_grads(build_user_trainer(scoring, "all"), losses.get("softmax", 0, shared=True), x, y.numpy())
    pairs = loss_and_grads(build_pair_trainer(scoring, 1 + N_ANIME), losses.get("softmax", N_ANIME), pair_x, packed)
    assert_same(users, pairs)


def test_shared_sampled_negatives_give_the_per_pair_softmax_with_log_q():
    rows = tiny_rows()
    counts = np.bincount(rows.indices, minlength=N_ANIME) + 1.0
    log_q = np.log(counts / counts.sum()).astype(np.float32)
    x, y = first_step(rows, config(loss="softmax", softmax_negatives=7, negative_sampling="popularity"), log_q)
    negatives = x["negatives"].numpy()
    assert len(set(negatives)) == 7
    scoring = scoring_model(rows)
    pair_x, packed = pair_view(x, y, rows, np.broadcast_to(negatives, (len(x["items"]), 7)), log_q)
    users = loss_and_grads(build_user_trainer(scoring, "shared"), losses.get("softmax", 0, shared=True), x, y.numpy())
    pairs = loss_and_grads(build_pair_trainer(scoring, 8), losses.get("softmax", 7), pair_x, packed)
    assert_same(users, pairs)


def epoch_pairs(rows, cfg, epoch=0):
    log_q = np.full(N_ANIME, -np.log(N_ANIME), np.float32)
    steps = batches.n_steps(rows, cfg.batch_size, cfg.max_steps_per_epoch)
    seen, orders = [], []
    span = batches.Span(first_epoch=epoch, epochs=epoch + 1, steps=steps)
    for x, y in batches.user_steps(rows, cfg, log_q, span=span):
        users = tf.gather(x["user"], x["segment"]).numpy()
        items = x["items"].numpy()
        items = items[:, 0] if items.ndim == 2 else items
        seen += list(zip(users.tolist(), items.tolist(), y.numpy()[:, 0].round(5).tolist(), strict=True))
        orders.append(x["user"].numpy())
    return seen, orders, steps


@pytest.mark.parametrize("loss", ["softmax", "bce"])
def test_an_epoch_scores_every_train_positive_once_with_its_weight(loss):
    rows = tiny_rows()
    seen, orders, steps = epoch_pairs(rows, config(loss=loss))
    users = np.repeat(np.arange(N_USERS), np.diff(rows.indptr))
    expected = sorted(zip(users.tolist(), rows.indices.tolist(), rows.weights.round(5).tolist(), strict=True))
    assert sorted(seen) == expected
    assert len(orders) == steps and sorted(np.concatenate(orders).tolist()) == list(range(N_USERS))


def test_epochs_are_reproducible_and_shuffled_differently():
    rows, cfg = tiny_rows(), config(loss="bce")
    first, again, other = epoch_pairs(rows, cfg, 0)[1], epoch_pairs(rows, cfg, 0)[1], epoch_pairs(rows, cfg, 1)[1]
    assert all((a == b).all() for a, b in zip(first, again, strict=True))
    assert not np.array_equal(np.concatenate(first), np.concatenate(other))


def test_per_positive_negatives_are_flagged_when_the_user_has_them():
    rows = tiny_rows()
    known = np.zeros((N_USERS, N_ANIME), bool)
    known[np.repeat(np.arange(N_USERS), np.diff(rows.indptr)), rows.indices] = True
    log_q = np.full(N_ANIME, -np.log(N_ANIME), np.float32)
    cfg = config(loss="bce", negatives_per_positive=5)
    for x, y in batches.user_steps(rows, cfg, log_q, span=batches.Span(first_epoch=0, epochs=2,
                                                                  steps=batches.n_steps(rows, 16, 1000))):
        users, items = tf.gather(x["user"], x["segment"]).numpy(), x["items"].numpy()
        assert known[users, items[:, 0]].all()
        assert (y.numpy()[:, 1:6] == ~known[users[:, None], items[:, 1:]]).all()


def test_steps_are_capped_and_a_multiple_of_the_replicas():
    rows = tiny_rows()
    assert batches.n_steps(rows, 1, 1000) == N_USERS  # never more steps than users
    assert batches.n_steps(rows, 1, 5) == 5
    assert batches.n_steps(rows, 1, 5, replicas=2) == 6


def test_row_adam_matches_adam_on_dense_gradients_and_touches_only_the_rows_of_sparse_ones():
    rng = np.random.default_rng(0)
    start = rng.normal(size=(6, 3)).astype(np.float32)
    grads = [rng.normal(size=(6, 3)).astype(np.float32) for _ in range(3)]
    ours, theirs = keras.Variable(start), keras.Variable(start)
    row_adam, adam = RowAdam(0.1), keras.optimizers.Adam(0.1)
    for grad in grads:
        row_adam.apply_gradients([(tf.constant(grad), ours)])
        adam.apply_gradients([(tf.constant(grad), theirs)])
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)

    lazy, dense = keras.Variable(start), keras.Variable(start)
    lazy_adam, dense_adam = RowAdam(0.1), keras.optimizers.Adam(0.1)
    rows = tf.constant([4, 1, 4])  # a duplicate row: its gradients add up
    values = tf.constant(grads[0][:3])
    lazy_adam.apply_gradients([(tf.IndexedSlices(values, rows, tf.constant([6, 3])), lazy)])
    dense_adam.apply_gradients([(tf.convert_to_tensor(tf.IndexedSlices(values, rows, tf.constant([6, 3]))), dense)])
    np.testing.assert_allclose(lazy.numpy(), dense.numpy(), rtol=1e-5, atol=1e-6)  # first step: the same
    untouched = [0, 2, 3, 5]
    assert (lazy.numpy()[untouched] == start[untouched]).all()


def test_user_table_gets_a_sparse_gradient_in_a_user_step():
    rows = tiny_rows()
    x, y = first_step(rows, config(loss="softmax"))
    trainer = build_user_trainer(scoring_model(rows), "all", user_l2=1e-3)
    with tf.GradientTape() as tape:
        out = trainer(x)
        loss = tf.reduce_mean(losses.get("softmax", 0, shared=True)(y, out)) + tf.add_n(trainer.losses)
    weights = {w.path: w for w in trainer.trainable_weights}
    grads = dict(zip(weights, tape.gradient(loss, list(weights.values())), strict=True))
    user_grad = next(g for path, g in grads.items() if "user_embedding" in path)
    assert isinstance(user_grad, tf.IndexedSlices)
    assert set(user_grad.indices.numpy()) == set(x["user"].numpy())


def test_rows_from_pairs_are_sorted_per_user():
    rows = tiny_rows()
    matrix = sp.csr_matrix((rows.weights, rows.indices, rows.indptr), shape=(N_USERS, N_ANIME))
    assert matrix.has_sorted_indices and matrix.nnz == rows.nnz


def test_history_dropout_pools_only_the_kept_part_of_each_history():
    """training.history_keep < 1: each positive is scored against its user's kept anime (minus itself)."""
    rows = tiny_rows()
    cfg = config(loss="softmax", softmax_negatives=0, history_keep=0.5)
    x, _ = first_step(rows, cfg)
    keep = x["keep"].numpy()
    assert set(np.unique(keep)) == {0.0, 1.0} and 0.3 < keep.mean() < 0.7
    again, _ = first_step(rows, cfg)
    assert np.array_equal(again["keep"].numpy(), keep)  # seeded by (seed, epoch, step)
    scoring = build_ncf(N_USERS, N_ANIME, NcfSpec(dim=DIM, seed=1, temperature=0.5, user_embedding=False),
                        history=(rows.indptr, rows.indices))  # FISM: the user is the pooled history alone
    rng = np.random.default_rng(2)
    scoring.get_layer("anime_bias").set_weights([rng.normal(size=(N_ANIME, 1)).astype(np.float32)])
    trainer = build_user_trainer(scoring, "all", history_dropout=True)
    logits = trainer(x).numpy()
    context = scoring.get_layer("user_history").context.numpy()
    anime = scoring.get_layer("anime_embedding").embeddings.numpy()
    bias = scoring.get_layer("anime_bias").embeddings.numpy()[:, 0]
    segment, items = x["segment"].numpy(), x["items"].numpy()
    for p in range(len(items)):
        kept = (segment == segment[p]) & (keep > 0) & (np.arange(len(items)) != p)
        pooled = context[items[kept]].sum(axis=0)
        user = pooled / max(np.linalg.norm(pooled), 1e-6)
        expected = user @ anime[items[p]] / np.linalg.norm(anime[items[p]]) / 0.5 + bias[items[p]]
        assert logits[p, 0] == pytest.approx(expected, rel=1e-4, abs=1e-4)
    x_all = {**x, "keep": tf.ones_like(x["keep"])}
    plain = build_user_trainer(scoring, "all")
    without = {k: v for k, v in x.items() if k != "keep"}
    np.testing.assert_allclose(trainer(x_all).numpy(), plain(without).numpy(), rtol=1e-5, atol=1e-5)


def test_a_per_user_keep_draw_reads_some_histories_short_and_others_nearly_whole():
    """history_keep_draw per_user: each user's share of kept anime is drawn from U(history_keep, 1) per step,
    so a step holds users read from a few titles beside users read almost whole (the new-user form's case)."""
    big = np.random.default_rng(5)
    users, items = np.nonzero(big.random((40, 200)) < 0.5)
    rows = batches.UserRows.from_pairs(users, items, np.ones(len(users), np.float32), n_users=40, n_anime=200)
    cfg = dataclasses.replace(config(loss="softmax", softmax_negatives=0, history_keep=0.05,
                                     history_keep_draw="per_user"), batch_size=10_000)  # one step, every user
    x, _ = first_step(rows, cfg)
    keep, segment = x["keep"].numpy(), x["segment"].numpy()
    shares = np.bincount(segment, weights=keep) / np.bincount(segment)
    assert shares.min() < 0.25 and shares.max() > 0.8 and shares.min() >= 0.0
    again, _ = first_step(rows, cfg)
    assert np.array_equal(again["keep"].numpy(), keep)  # seeded by (seed, epoch, step)
    fixed, _ = first_step(rows, dataclasses.replace(cfg, history_keep=0.5, history_keep_draw="fixed"))
    fixed_shares = np.bincount(segment, weights=fixed["keep"].numpy()) / np.bincount(segment)
    assert fixed_shares.min() > 0.3 and fixed_shares.max() < 0.7  # the fixed draw: about half of everyone's
