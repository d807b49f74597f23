"""Step 2 of every request, the user vector: a trained user's own row, or any list pooled by the user tower.

The vector keeps the list entries it pools (model rows, pooling weights, the person's scores) because the
reasons of step 5 name the entries with the largest exact parts of a score (tower.contributions).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from anime_recommender.recommend.lists import Taste
from anime_recommender.recommend.tower import UserTower, entry_weights


@dataclass(frozen=True)
class UserVector:
    """A user vector with the list entries it pools; `vector` None when the model knows none of them."""

    vector: np.ndarray | None
    rows: np.ndarray                    # model rows pooled (weight > 0)
    weights: np.ndarray                 # their pooling weights (recommend/tower.py)
    scores: dict[int, int] = field(default_factory=dict)  # pooled row -> the person's score (0 = none)
    listed: bool = False   # the pool is a whole list (an import, a user training left out), not named likes
    row: int | None = None  # the trained user's model row (their history and neighbours), None for a list


def trained(user_factors: np.ndarray, row: int, items: np.ndarray, *, ratings: np.ndarray) -> UserVector:
    """A trained user's own vector; the pool is their history (model rows `items`, their `ratings`)."""
    return UserVector(vector=user_factors[row], rows=items.astype(np.int64), weights=entry_weights(ratings),
                      scores=dict(zip(items.tolist(), ratings.tolist(), strict=True)), row=row)


def of_list(tower: UserTower, model_row: np.ndarray, taste: Taste) -> UserVector:
    """A Taste's list through the tower (picks, an import, a short list): the entries the model knows with a
    weight > 0 are pooled; no vector when there are none."""
    rows = model_row[taste.entries]
    weights = entry_weights(taste.entry_scores, taste.entry_statuses)
    keep = (rows >= 0) & (weights > 0)
    pool_rows, pool_weights = rows[keep].astype(np.int64), weights[keep]
    vector = list_vector(tower, model_row, taste) if len(pool_rows) else None
    scores = dict(zip(rows.tolist(), taste.entry_scores.tolist(), strict=True)) if vector is not None else {}
    return UserVector(vector=vector, rows=pool_rows, weights=pool_weights, scores=scores, listed=not taste.picks)


def list_vector(tower: UserTower, model_row: np.ndarray, taste: Taste) -> np.ndarray | None:
    """The user vector of a Taste's list (UserTower.list_vectors); None when the model knows none of it."""
    rows = model_row[taste.entries]
    known = rows >= 0
    if not (known & (entry_weights(taste.entry_scores, taste.entry_statuses) > 0)).any():
        return None
    return tower.list_vectors(np.array([0, int(known.sum())]), rows[known], taste.entry_scores[known],
                              statuses=taste.entry_statuses[known])[0]
