"""Blend of score lists: each source normalised over its own top candidates, then weighted."""
from __future__ import annotations

import numpy as np

from anime_recommender.recommend.filters import top_k

CANDIDATES = 200
FLOOR = 0.1  # the weakest candidate of a source still counts a little more than a non-candidate


def normalise(scores: np.ndarray, mask: np.ndarray, candidates: int = CANDIDATES) -> np.ndarray:
    """Min-max over a source's top candidates into [FLOOR, 1]; everything else 0."""
    out = np.zeros(len(scores), dtype=np.float32)
    rows = top_k(scores, mask & (scores > -np.inf), candidates)
    if len(rows) == 0:
        return out
    top = scores[rows]
    span = float(top[0] - top[-1])
    out[rows] = 1.0 if span <= 0 else FLOOR + (1 - FLOOR) * (top - top[-1]) / span
    return out


def blend(sources: dict[str, np.ndarray], weights: dict[str, float], mask: np.ndarray,
          candidates: int = CANDIDATES) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Weighted sum of normalised sources; returns the total and each weighted part."""
    parts = {
        name: np.float32(weights.get(name, 0.0)) * normalise(scores, mask, candidates)
        for name, scores in sources.items()
        if weights.get(name, 0.0) > 0
    }
    total = np.zeros(len(mask), dtype=np.float32)
    for part in parts.values():
        total += part
    return total, parts


def main_source(parts: dict[str, np.ndarray], row: int) -> str:
    """The source that contributed most to one result."""
    return max(parts, key=lambda name: parts[name][row])
