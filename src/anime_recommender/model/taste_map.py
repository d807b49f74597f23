"""A 2-D map of the model's anime vectors, made once at training time and saved with the run (`taste_map.npy`):
the user and import pages draw where a viewer's list and their recommendations sit among the anime."""
from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA

from anime_recommender.model.export import l2_normalise


def anime_map(anime_factors: np.ndarray, seed: int) -> np.ndarray:
    """float32 (n_anime, 2): the first two principal components of the unit anime vectors (the geometry the
    cosine scores use), so anime liked by the same people land close together; deterministic for a seed."""
    vectors = l2_normalise(np.asarray(anime_factors, np.float32))
    if len(vectors) < 2:
        return np.zeros((len(vectors), 2), np.float32)
    components = min(2, *vectors.shape)
    coords = PCA(n_components=components, svd_solver="full", random_state=seed).fit_transform(vectors)
    return np.pad(coords, ((0, 0), (0, 2 - components))).astype(np.float32)
