"""The Keras model, its exported factors, the sampled-negative input pipeline and the LR schedule."""
import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp

from anime_recommender.config import ModelConfig, TrainingConfig
from anime_recommender.model import losses
from anime_recommender.model import train as tr
from anime_recommender.model.export import extract_factors
from anime_recommender.model.ncf import NcfSpec, build_ncf

N_USERS, N_ANIME = 12, 30


def pairs():
    users, anime = np.meshgrid(np.arange(N_USERS), np.arange(N_ANIME), indexing="ij")
    return users.ravel().astype(np.int32), anime.ravel().astype(np.int32)


def model_scores(model):
    users, anime = pairs()
    out = model.predict({"user": users, "anime": anime}, verbose=0, batch_size=4096)
    return out.reshape(N_USERS, N_ANIME)


def test_ranking_factors_reproduce_the_model_exactly():
    model = build_ncf(N_USERS, N_ANIME, NcfSpec(dim=8))
    model.get_layer("anime_bias").set_weights([np.random.default_rng(0).normal(size=(N_ANIME, 1))])
    f = extract_factors(model)
    assert f.anime_bias.shape == (N_ANIME,) and f.user_factors.shape == (N_USERS, 8)
    expected = f.user_factors @ f.anime_factors.T + f.anime_bias
    assert model_scores(model) == pytest.approx(expected, abs=1e-5)


def test_history_user_factors_reproduce_the_model_exactly():
    data = tiny_input()
    history = (data.train_matrix.indptr.astype(np.int64), data.train_matrix.indices.astype(np.int32))
    model = build_ncf(N_USERS, N_ANIME, NcfSpec(dim=8), history=history)
    layer = model.get_layer("user_history")
    layer.context.assign(np.random.default_rng(1).normal(size=(N_ANIME, 8)).astype(np.float32))
    f = extract_factors(model)
    expected = f.user_factors @ f.anime_factors.T + f.anime_bias
    assert model_scores(model) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(("temperature", "user_embedding"), [(0.15, True), (0.15, False), (None, False)])
def test_cosine_and_history_only_factors_reproduce_the_model_and_survive_save_and_load(temperature, user_embedding,
                                                                                        tmp_path):
    data = tiny_input()
    history = (data.train_matrix.indptr.astype(np.int64), data.train_matrix.indices.astype(np.int32))
    model = build_ncf(N_USERS, N_ANIME, NcfSpec(dim=8, temperature=temperature, user_embedding=user_embedding),
                      history=history)
    rng = np.random.default_rng(3)
    model.get_layer("user_history").context.assign(rng.normal(size=(N_ANIME, 8)).astype(np.float32))
    model.get_layer("anime_bias").set_weights([rng.normal(size=(N_ANIME, 1)).astype(np.float32)])
    assert ("user_embedding" in {layer.name for layer in model.layers}) == user_embedding
    f = extract_factors(model)
    assert model_scores(model) == pytest.approx(f.user_factors @ f.anime_factors.T + f.anime_bias, abs=1e-4)
    if temperature:  # unit vectors scaled by 1/T on the anime side
        assert np.linalg.norm(f.user_factors, axis=1) == pytest.approx(1.0, abs=1e-5)
        assert np.linalg.norm(f.anime_factors, axis=1) == pytest.approx(1 / temperature, rel=1e-5)
    some = np.array([1, 4, 7])
    assert extract_factors(model, some).user_factors == pytest.approx(f.user_factors[some], abs=1e-6)
    model.save(tmp_path / "model.keras")
    import keras

    assert model_scores(keras.models.load_model(tmp_path / "model.keras")) == pytest.approx(model_scores(model),
                                                                                           abs=1e-5)


def test_history_model_survives_save_and_load(tmp_path):
    data = tiny_input()
    history = (data.train_matrix.indptr.astype(np.int64), data.train_matrix.indices.astype(np.int32))
    model = build_ncf(N_USERS, N_ANIME, NcfSpec(dim=8), history=history)
    model.get_layer("user_history").context.assign(np.ones((N_ANIME, 8), np.float32))
    model.save(tmp_path / "model.keras")
    import keras

    loaded = keras.models.load_model(tmp_path / "model.keras")
    assert model_scores(loaded) == pytest.approx(model_scores(model), abs=1e-5)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_reference_factors_rank_like_the_model(sign):
    model = build_ncf(N_USERS, N_ANIME, NcfSpec(preset="reference", dim=8))
    dense = model.get_layer("dense")
    dense.set_weights([np.full((1, 1), 2.0 * sign, np.float32), np.zeros(1, np.float32)])
    f = extract_factors(model)
    assert not f.anime_bias.any() and f.user_factors.shape[1] == 128
    factor_rank = np.argsort(-(f.user_factors @ f.anime_factors.T), axis=1)
    assert (np.argsort(-model_scores(model), axis=1) == factor_rank).all()


def test_embeddings_are_unit_length():
    f = extract_factors(build_ncf(N_USERS, N_ANIME, NcfSpec(dim=8)))
    assert np.linalg.norm(f.anime_embeddings, axis=1) == pytest.approx(1.0, abs=1e-5)


def tiny_input(seed=0):
    rng = np.random.default_rng(seed)
    dense = rng.random((N_USERS, N_ANIME)) < 0.3
    users, items = np.nonzero(dense)
    matrix = sp.csr_matrix(dense.astype(np.float32))
    return tr.TrainInput(users.astype(np.int32), items.astype(np.int32),
                         rng.integers(1, 11, len(users)).astype(np.int8), N_USERS, N_ANIME, matrix, None)


@pytest.mark.parametrize("sampling", ["uniform", "popularity"])
def test_sampled_negatives_are_flagged_when_they_hit_a_known_item(sampling):
    data = tiny_input()
    cfg = TrainingConfig(batch_size=16, negatives_per_positive=5, negative_sampling=sampling)
    log_q = tr.negative_log_probs(data.items, N_ANIME, sampling, exponent=0.75)
    known = data.train_matrix.toarray() > 0
    for inputs, packed in tr.ranking_dataset(data, cfg, log_q, first_epoch=0, epochs=2):
        users, cand, packed = inputs["user"].numpy(), inputs["items"].numpy(), packed.numpy()
        assert cand.shape[1] == 6 and known[users, cand[:, 0]].all()
        valid = packed[:, 1:6]
        assert (valid == ~known[users[:, None], cand[:, 1:]]).all()


def test_negatives_are_reproducible_and_fresh_each_epoch():
    data, cfg = tiny_input(), TrainingConfig(batch_size=1000, negatives_per_positive=3, seed=5)
    log_q = tr.negative_log_probs(data.items, N_ANIME, "uniform", exponent=0.75)
    first = [x["items"].numpy() for x, _ in tr.ranking_dataset(data, cfg, log_q, first_epoch=0, epochs=2)]
    again = [x["items"].numpy() for x, _ in tr.ranking_dataset(data, cfg, log_q, first_epoch=0, epochs=2)]
    assert all((a == b).all() for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0], first[1])


def test_lr_schedule_ramps_sustains_and_decays():
    rate = tr.LrSchedule(start=1e-5, peak=5e-5, floor=1e-5, rampup=5, sustain=0, decay=0.8)
    assert rate(0) == pytest.approx(1e-5) and rate(5) == pytest.approx(5e-5)
    assert rate(6) == pytest.approx(4e-5 * 0.8 + 1e-5)
    assert rate(2) < rate(4)


@pytest.mark.parametrize("name", ["bce", "bpr", "softmax"])
def test_losses_prefer_a_higher_positive_score(name):
    loss = losses.get(name, 2)
    y = np.array([[1.0, 1.0, 1.0, 0.0, 0.0, 0.0]], np.float32)
    good = float(loss(y, np.array([[3.0, -1.0, -1.0]], np.float32))[0])
    bad = float(loss(y, np.array([[-3.0, 1.0, 1.0]], np.float32))[0])
    assert good < bad


def test_rating_weights_average_one():
    weights = tr.positive_weights(np.array([2, 8, 5, 5], np.int8), True)
    assert weights.mean() == pytest.approx(1.0) and weights[1] > weights[0]


def test_l2_grows_with_anime_per_training_user_above_its_floor():
    """max(l2, l2_per_anime_per_user x anime / users with train rows): users without train rows (cold ones,
    held out of training) do not count, and the reference preset keeps the notebook's 0."""
    data = tiny_input()
    keep = data.users < 6  # half the users have train rows
    half = tr.TrainInput(data.users[keep], data.items[keep], data.ratings[keep], N_USERS, N_ANIME, data.train_matrix)
    cfg = TrainingConfig(l2=1e-4, l2_per_anime_per_user=1e-3)
    assert tr.l2_strength(cfg, half) == pytest.approx(1e-3 * N_ANIME / 6)
    assert tr.l2_strength(cfg, data) == pytest.approx(1e-3 * N_ANIME / N_USERS)
    assert tr.l2_strength(TrainingConfig(l2=1e-2, l2_per_anime_per_user=1e-3), data) == 1e-2  # the floor
    assert tr.l2_strength(TrainingConfig(l2=1e-4, l2_per_anime_per_user=0.0), data) == 1e-4
    reference = TrainingConfig(**{**dataclasses.asdict(cfg), **tr.REFERENCE_TRAINING})
    assert tr.l2_strength(reference, data) == 0.0
    scoring, _ = tr.compile_trainer(half, ModelConfig(embedding_dim=8), cfg)
    assert scoring.get_layer("anime_embedding").embeddings_regularizer.l2 == pytest.approx(1e-3 * N_ANIME / 6)
