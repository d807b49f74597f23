"""The popularity discount's shapes: per anime, what β multiplies before it is taken off the model's score
(serving.popularity_shape; measured side by side in docs/benchmarks.md "Popularity, measured")."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from anime_recommender.config import PopularityShape


def _log(users: np.ndarray, bias: np.ndarray) -> np.ndarray:
    return np.log1p(users)


def _log_above(quantile: float) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """ln(1 + users) above its `quantile` over the catalogue, 0 below: only the head is lowered."""
    def shape(users: np.ndarray, bias: np.ndarray) -> np.ndarray:
        return np.maximum(0.0, np.log1p(users) - np.log1p(np.quantile(users, quantile)))
    return shape


def _linear(users: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Linear in users, ln(1 + max users) at the top: the head lowered most."""
    top = max(float(users.max()), 1.0)
    return users / top * np.log1p(top)


def _bias(users: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """The model's own learned per-anime bias (its popularity): β = 1 takes it out of the score entirely."""
    return bias


SHAPES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "log": _log, "log_above_p90": _log_above(0.9), "log_above_p99": _log_above(0.99), "linear": _linear,
    "bias": _bias,
}


def discount_basis(shape: PopularityShape, *, users: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Per model anime row, what the popularity discount β multiplies (`users`: train users of each anime,
    `bias`: the model's anime_bias)."""
    if shape not in SHAPES:
        raise ValueError(f"unknown popularity shape {shape!r}; one of {', '.join(SHAPES)}")
    return SHAPES[shape](np.asarray(users, np.float64), np.asarray(bias, np.float64)).astype(np.float32)
