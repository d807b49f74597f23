"""The run's franchises (franchises.parquet) aligned with the catalog rows and checked at load."""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from anime_recommender.artifacts import ArtifactIntegrityError, RunArtifacts
from anime_recommender.data.franchise import FRANCHISE_COLUMNS, ROLE_NAMES, build_franchises
from anime_recommender.recommend.catalog import Catalog
from anime_recommender.recommend.franchise import Franchises

log = logging.getLogger(__name__)
FILE = "franchises.parquet"


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ArtifactIntegrityError(f"inconsistent run: {FILE} {message}")


def check_franchises(frame: pd.DataFrame, catalog_ids: np.ndarray) -> None:
    """One row per catalog anime, roles known, ids and airing positions consistent within each group."""
    _check(set(FRANCHISE_COLUMNS) <= set(frame.columns), f"lacks columns {sorted(set(FRANCHISE_COLUMNS) - set(frame))}")
    ids = frame["anime_id"].to_numpy(np.int64)
    _check(len(ids) == len(catalog_ids) and not frame["anime_id"].duplicated().any()
           and np.array_equal(np.sort(ids), np.sort(np.asarray(catalog_ids, np.int64))),
           f"has {len(ids)} rows for a catalog of {len(catalog_ids)} anime (one row per catalog anime expected)")
    _check(frame["franchise_role"].isin(list(ROLE_NAMES)).all(), "has an unknown franchise_role")
    groups = frame.groupby("franchise_id")
    _check(bool((groups["anime_id"].transform("min") == frame["franchise_id"]).all()),
           "has a franchise_id that is not the smallest anime_id of its group")
    order = frame["franchise_order"].to_numpy(np.int64)
    _check(bool(((order >= 0) & (order < groups["anime_id"].transform("size").to_numpy())).all()),
           "has a franchise_order outside its group")


def load_franchises(run: RunArtifacts, catalog_frame: pd.DataFrame, catalog: Catalog) -> Franchises:
    """The run's franchises over catalog rows; runs published before franchises.parquet get them built here."""
    if run.has(FILE):
        frame = run.frame(FILE.removesuffix(".parquet"))
    else:
        log.warning("run %s has no %s (published before it existed): grouping its catalog now", run.run_id, FILE)
        frame = build_franchises(catalog_frame)
    check_franchises(frame, catalog_frame["anime_id"].to_numpy(np.int64))
    return Franchises.from_frame(frame, catalog.anime_id, catalog.type)
