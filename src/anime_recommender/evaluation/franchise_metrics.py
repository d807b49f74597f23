"""Franchise quality of top-k lists (issue #9): lists that repeat a franchise, sequels shown before their prequel.

A recommended anime counts as a sequel before its prequel when the latest main entry (TV, movie, ONA)
of its franchise that aired before it is neither on the user's known list nor placed above it in the same
list: the viewer would start the series in the middle. Only anime the model knows count (a prequel the
model never saw cannot be on a user's known list).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from anime_recommender.data.franchise import MAIN

NAMES = ("franchise_repeat", "sequels_before_prequel")


@dataclass(frozen=True)
class FranchiseRows:
    """Per model anime row: its franchise, and the row of its prequel (-1 when it has none)."""

    group: np.ndarray    # int64 (n_anime,): franchise_id
    prequel: np.ndarray  # int64 (n_anime,)


def franchise_rows(franchises: pd.DataFrame, anime_ids: np.ndarray) -> FranchiseRows:
    """FranchiseRows for the model rows `anime_ids` from the published franchises frame."""
    table = franchises.set_index("anime_id").reindex(np.asarray(anime_ids, dtype=np.int64))
    ids = pd.Series(np.asarray(anime_ids, dtype=np.int64), index=table.index)
    table = table.assign(franchise_id=table["franchise_id"].fillna(ids),
                         franchise_order=table["franchise_order"].fillna(0), row=np.arange(len(table)))
    ordered = table.sort_values(["franchise_id", "franchise_order"], kind="stable")
    main_row = ordered["row"].where(ordered["franchise_role"] == MAIN)
    last_main = main_row.groupby(ordered["franchise_id"]).ffill()
    prequel = last_main.groupby(ordered["franchise_id"]).shift(1).fillna(-1).astype(np.int64)
    out = np.full(len(table), -1, dtype=np.int64)
    out[ordered["row"].to_numpy()] = prequel.to_numpy()
    return FranchiseRows(table["franchise_id"].to_numpy(np.int64), out)


def repeats_franchise(top: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Per list (row of `top`): True when two of its anime share a franchise."""
    franchises = np.sort(group[top], axis=1)
    return (franchises[:, 1:] == franchises[:, :-1]).any(axis=1)


def sequels_before_prequel(top: np.ndarray, known: sp.csr_matrix, fr: FranchiseRows) -> np.ndarray:
    """Per list: how many of its anime come before their prequel (not known, not placed above them)."""
    prequel = fr.prequel[top]
    users = np.repeat(np.arange(top.shape[0]), top.shape[1]).reshape(top.shape)
    has = prequel >= 0
    seen = np.zeros(top.shape, dtype=bool)
    if has.any():  # (scipy answers an empty look-up with a sparse matrix, not an array)
        seen[has] = np.asarray(known[users[has], prequel[has]]).ravel() > 0
    k = top.shape[1]
    above = ((top[:, None, :] == prequel[:, :, None]) & (np.arange(k)[None, :] < np.arange(k)[:, None])[None]).any(2)
    return (has & ~seen & ~above).sum(axis=1)


def list_metrics(top: np.ndarray, known: sp.csr_matrix, fr: FranchiseRows) -> dict[str, np.ndarray]:
    """Both measures for one batch of top-k lists (`known`: the batch users' known items)."""
    return {"franchise_repeat": repeats_franchise(top, fr.group).astype(np.float64),
            "sequels_before_prequel": sequels_before_prequel(top, known, fr).astype(np.float64)}
