"""The user index: exact on small sets, an IVF index at scale that finds (nearly) the exact neighbours."""
from __future__ import annotations

import numpy as np

from anime_recommender.recommend import neighbours
from anime_recommender.recommend.neighbours import UserIndex


def _clustered(n: int, d: int = 16, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(20, d))
    x = (centers[rng.integers(0, 20, n)] + rng.normal(0, 0.5, (n, d))).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _exact(x: np.ndarray, user: int, k: int) -> set[int]:
    sims = x @ x[user]
    sims[user] = -np.inf
    return set(np.argsort(-sims)[:k].tolist())


def test_small_sets_are_searched_exactly():
    x = _clustered(500)
    index = UserIndex(x)
    assert index.centroids is None
    rows, sims = index.search(3, 10)
    assert set(rows.tolist()) == _exact(x, 3, 10) and 3 not in rows and np.all(np.diff(sims) <= 0)


def test_ivf_index_recalls_the_exact_neighbours(monkeypatch):
    monkeypatch.setattr(neighbours, "EXACT_BELOW", 100)
    x = _clustered(3000)
    index = UserIndex(x, nprobe=8)
    assert index.centroids is not None
    found = sum(len(set(index.search(u, 10)[0].tolist()) & _exact(x, u, 10)) for u in range(50))
    assert found / 500 >= 0.9
