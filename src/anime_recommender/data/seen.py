"""Everything each user has on any list, the union of every source: what serving must never recommend back.

rating_complete.csv and animelist.csv cover different users in a slice (and every rated title of a user is
also on their list in the full dump, with a status): a user's seen set is the union of their rows in both,
every status included, plan-to-watch too. The interactions the model trains on (and so the split's
train / valid / test rows) are one of these files, or a status subset of one, so they are inside the union.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from anime_recommender.data import schema


def union_lists(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Canonical interaction frames stacked, the first row of each (user, anime) pair kept.

    Put the rated source first: its rows (rating, status) win over a later source's row for the same pair.
    A later frame contributes only its rows with new pairs, so the full dump (57M + 109M rows, mostly the
    same pairs) never holds both files stacked and sorted at once.
    """
    frames = [f for f in frames if f is not None]
    if len(frames) == 1:
        return frames[0]
    kept, known = [], np.zeros(0, np.int64)
    for number, frame in enumerate(frames, start=1):
        keys = _pair_keys(frame)
        new = ~lookup(known, keys)[1]
        new_keys, first = np.unique(keys[new], return_index=True)  # a pair twice in one frame: its first row
        rows = np.flatnonzero(new)[np.sort(first)]
        kept.append(frame.iloc[rows] if len(rows) < len(frame) else frame)
        del keys, new
        if number < len(frames):
            known = np.union1d(known, new_keys) if len(known) else new_keys
    return pd.concat(kept, ignore_index=True).astype(schema.INTERACTION_COLUMNS)


def lookup(sorted_ids: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of `values` in `sorted_ids` and whether each was found (a binary search each: no stacked
    copy of both arrays, unlike np.isin)."""
    if len(sorted_ids) == 0:
        return np.zeros(len(values), np.int64), np.zeros(len(values), dtype=bool)
    position = np.minimum(np.searchsorted(sorted_ids, values), len(sorted_ids) - 1)
    return position, sorted_ids[position] == values


def _pair_keys(frame: pd.DataFrame) -> np.ndarray:
    return (frame["user_id"].to_numpy(np.int64) << 32) | frame["anime_id"].to_numpy(np.int64)


def left_out(seen: pd.DataFrame, user_ids: np.ndarray) -> pd.DataFrame:
    """The list rows of users training did not keep (too few train rows), sorted by user then anime."""
    rows = seen[~lookup(user_ids, seen["user_id"].to_numpy(np.int64))[1]]
    return rows.sort_values(["user_id", "anime_id"], kind="stable").reset_index(drop=True)


def outside_model(seen: pd.DataFrame, user_ids: np.ndarray, anime_ids: np.ndarray) -> pd.DataFrame:
    """The list rows of kept users on anime the model does not have (an airing show nobody completed, a
    title too rare to train on), sorted by user then anime: the encoded seen set cannot hold them, yet
    serving must never recommend them back (issue #16)."""
    kept = lookup(user_ids, seen["user_id"].to_numpy(np.int64))[1]
    known = lookup(anime_ids, seen["anime_id"].to_numpy(np.int64))[1]
    rows = seen[kept & ~known]
    return rows.sort_values(["user_id", "anime_id"], kind="stable").reset_index(drop=True)


def listed_csr(rows: pd.DataFrame, prefix: str = "extra") -> dict[str, np.ndarray]:
    """List rows sorted by user as the CSR arrays a published run stores: extra_* (left_out) and
    outside_* (outside_model) in docs/architecture.md."""
    users = rows["user_id"].to_numpy(np.int64)
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]]) if len(users) else np.zeros(0, np.int64)
    return {
        f"{prefix}_user_ids": users[starts],
        f"{prefix}_indptr": np.r_[starts, len(users)].astype(np.int64),
        f"{prefix}_anime_ids": rows["anime_id"].to_numpy(np.int64),
        f"{prefix}_ratings": rows["rating"].to_numpy(np.int8),
        f"{prefix}_statuses": rows["status"].to_numpy(np.int8),
    }
