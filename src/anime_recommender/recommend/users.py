"""User-based pieces: a user's history, loved anime, similar users and what those neighbours loved."""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy import sparse

log = logging.getLogger(__name__)

TOP_SHARE = 0.25  # "loved" = a user's top quarter of ratings, as the reference did


def loved_thresholds(seen: sparse.csr_matrix, block: int = 20_000) -> np.ndarray:
    """Per user, the rating at their 75th percentile (0 when they rated nothing), from rating histograms.

    Computed over blocks of users so the temporary arrays stay small at full scale (100M list rows).
    """
    n_users = seen.shape[0]
    out = np.zeros(n_users, dtype=np.int8)
    for start in range(0, n_users, block):
        stop = min(start + block, n_users)
        lo, hi = seen.indptr[start], seen.indptr[stop]
        rows = np.repeat(np.arange(stop - start, dtype=np.int64), np.diff(seen.indptr[start:stop + 1]))
        ratings = seen.data[lo:hi].astype(np.int64)
        rated = ratings > 0
        hist = np.bincount(rows[rated] * 11 + ratings[rated], minlength=(stop - start) * 11).reshape(-1, 11)
        counts = hist.sum(axis=1)
        # the value at sorted position ceil(0.75 * (m - 1)): the least rating inside the top quarter
        position = np.ceil((1 - TOP_SHARE) * np.maximum(counts - 1, 0)).astype(np.int64)
        threshold = (hist.cumsum(axis=1) <= position[:, None]).sum(axis=1)
        out[start:stop] = np.where(counts > 0, threshold, 0)
    return out


@dataclass
class History:
    """The seen CSR (anime rows, ratings) with each user's loved threshold."""

    seen: sparse.csr_matrix
    threshold: np.ndarray

    def items(self, user: int) -> tuple[np.ndarray, np.ndarray]:
        """Anime rows and ratings on one user's list."""
        start, end = self.seen.indptr[user], self.seen.indptr[user + 1]
        return self.seen.indices[start:end], self.seen.data[start:end]

    def loved(self, user: int) -> tuple[np.ndarray, np.ndarray]:
        """The user's top-quarter anime (everything on the list if they rated nothing), best first."""
        items, ratings = self.items(user)
        keep = ratings >= self.threshold[user]
        items, ratings = items[keep], ratings[keep]
        order = np.argsort(-ratings, kind="stable")
        return items[order], ratings[order]

    def neighbour_scores(self, users: np.ndarray, weights: np.ndarray, n_anime: int) -> tuple[np.ndarray, np.ndarray]:
        """Similarity-weighted votes of `users` for the anime they loved, and how many loved each."""
        sub = self.seen[users]
        lengths = np.diff(sub.indptr)
        loved = sub.data >= np.repeat(self.threshold[users], lengths)
        votes = np.repeat(np.maximum(weights, 0), lengths)[loved]
        items = sub.indices[loved]
        return (np.bincount(items, weights=votes, minlength=n_anime).astype(np.float32),
                np.bincount(items, minlength=n_anime))


def genre_profile(genre_matrix: np.ndarray, loved_cat_rows: np.ndarray, names: list[str]) -> list[tuple[str, int]]:
    """Genres of a user's loved anime, counted and sorted, most frequent first."""
    if len(loved_cat_rows) == 0:
        return []
    counts = genre_matrix[loved_cat_rows].sum(axis=0)
    order = np.argsort(-counts, kind="stable")
    return [(names[i], int(counts[i])) for i in order if counts[i] > 0]
