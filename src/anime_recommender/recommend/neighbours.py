"""Nearest users by cosine: exact for small user sets, an inverted-file index (spherical k-means) at scale.

At 350k users an exact scan reads 90 MB per query (~10 ms, memory bound); probing the closest
`nprobe` of ~sqrt(n) clusters reads ~2% of that. The index is built once at load, seeded.
"""
from __future__ import annotations

import logging
import time

import numpy as np

from anime_recommender.recommend.filters import top_k

log = logging.getLogger(__name__)

EXACT_BELOW = 50_000


def _assign(embeddings: np.ndarray, centroids: np.ndarray, block: int = 50_000) -> np.ndarray:
    """Closest centroid of every row, in blocks to bound memory."""
    out = np.empty(len(embeddings), dtype=np.int32)
    for start in range(0, len(embeddings), block):
        out[start:start + block] = (embeddings[start:start + block] @ centroids.T).argmax(axis=1)
    return out


def spherical_kmeans(embeddings: np.ndarray, k: int, iterations: int = 6, *, sample: int = 60_000,
                     seed: int = 0) -> np.ndarray:
    """Unit-norm centroids fitted on a seeded sample of rows."""
    rng = np.random.default_rng(seed)
    rows = embeddings[rng.choice(len(embeddings), min(sample, len(embeddings)), replace=False)]
    centroids = rows[rng.choice(len(rows), k, replace=False)].copy()
    for _ in range(iterations):
        labels = _assign(rows, centroids)
        sums = np.zeros_like(centroids)
        np.add.at(sums, labels, rows)
        empty = np.bincount(labels, minlength=k) == 0
        sums[empty] = rows[rng.choice(len(rows), int(empty.sum()))]
        centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    return centroids.astype(np.float32)


class UserIndex:
    """k nearest users of a user row; approximate (IVF) above EXACT_BELOW users."""

    def __init__(self, embeddings: np.ndarray, nprobe: int = 24, seed: int = 0):
        self.embeddings = embeddings
        self.nprobe = nprobe
        self.centroids = None
        if len(embeddings) < EXACT_BELOW:
            return
        started = time.perf_counter()
        k = int(np.sqrt(len(embeddings)) * 2)
        self.centroids = spherical_kmeans(embeddings, k, seed=seed)
        labels = _assign(embeddings, self.centroids)
        self.order = np.argsort(labels, kind="stable").astype(np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(np.bincount(labels, minlength=k))])
        # a copy in cluster order: a probe reads contiguous slices instead of gathering scattered rows
        self.clustered = np.ascontiguousarray(embeddings[self.order])
        log.info("user index: %d clusters over %d users in %.1fs", k, len(embeddings),
                 time.perf_counter() - started)

    def _probe(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """User rows and similarities in the nprobe clusters closest to the query."""
        probe = np.argpartition(-(self.centroids @ query), self.nprobe - 1)[: self.nprobe]
        spans = [(self.offsets[c], self.offsets[c + 1]) for c in probe]
        rows = np.concatenate([self.order[a:b] for a, b in spans])
        sims = np.concatenate([self.clustered[a:b] @ query for a, b in spans])
        return rows, sims

    def search(self, user: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k rows closest to `user` (itself excluded) and their cosine similarities."""
        query = self.embeddings[user]
        if self.centroids is None:
            rows, sims = np.arange(len(self.embeddings)), self.embeddings @ query
        else:
            rows, sims = self._probe(query)
        best = top_k(sims, rows != user, k)
        return rows[best], sims[best]
