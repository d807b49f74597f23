"""The training-time map of the anime: two coordinates per anime, deterministic, close where the vectors are."""
from __future__ import annotations

import numpy as np

from anime_recommender.model.taste_map import anime_map


def clustered(seed: int = 0) -> np.ndarray:
    """30 anime in three tight groups of unit-ish vectors in 8 dimensions."""
    rng = np.random.default_rng(seed)
    centres = np.eye(8, dtype=np.float32)[:3] * 3
    return np.concatenate([c + 0.05 * rng.standard_normal((10, 8)) for c in centres]).astype(np.float32)


def test_one_point_per_anime_the_same_for_the_same_seed():
    vectors = clustered()
    coords = anime_map(vectors, seed=7)
    assert coords.shape == (30, 2) and coords.dtype == np.float32
    assert np.array_equal(coords, anime_map(vectors.copy(), seed=7))


def test_anime_of_one_group_sit_closer_to_each_other_than_to_the_others():
    coords = anime_map(clustered(), seed=0)
    groups = coords.reshape(3, 10, 2)
    within = max(np.linalg.norm(g - g.mean(0), axis=1).max() for g in groups)
    between = min(np.linalg.norm(a.mean(0) - b.mean(0)) for i, a in enumerate(groups) for b in groups[i + 1:])
    assert between > 5 * within


def test_a_vector_and_its_multiple_land_on_the_same_point():
    vectors = clustered()
    vectors[1] = 4 * vectors[0]  # the scores use cosines: only the direction places an anime
    coords = anime_map(vectors, seed=0)
    assert np.allclose(coords[0], coords[1], atol=1e-5)


def test_a_one_anime_catalogue_still_gets_a_point():
    assert anime_map(np.ones((1, 4), np.float32), seed=0).shape == (1, 2)
