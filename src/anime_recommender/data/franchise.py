"""Franchises of the catalogue for the run's artifacts: group, entry role and airing order (issue #9).

`build_franchises(catalog)` is what training publishes (franchises.parquet): per anime its
`franchise_id` (the smallest MAL id of its group, see franchise_groups.py), its place in the group by
first air date, and its role: MAIN entries (TV, movie, ONA) are where a series is started or continued,
SIDE entries (OVAs) are recommendable but never an entry point, EXTRA entries (specials, recaps,
picture dramas, music videos) are only shown when the type filter asks for them.
Pure functions on the canonical catalog frame (data/schema.py).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from anime_recommender.data.franchise_groups import group_rows

MAIN, SIDE, EXTRA = 0, 1, 2
ROLE_NAMES = {MAIN: "main", SIDE: "side", EXTRA: "extra"}
MAIN_TYPES = ("TV", "Movie", "ONA")
EXTRA_TYPES = ("Special", "Music")
EXTRA_NAME = r"(?i)\b(?:recaps?|picture dramas?|specials|omake|music video|pv|cm|digest|special edition)\b"
FRANCHISE_COLUMNS = {"anime_id": "int32", "franchise_id": "int32", "franchise_order": "int32",
                     "franchise_role": "int8"}


def entry_roles(catalog: pd.DataFrame) -> np.ndarray:
    """MAIN for TV / Movie / ONA, EXTRA for specials, music, recaps and picture dramas, SIDE otherwise."""
    kind = catalog["type"].astype("string").fillna("")
    extra = kind.isin(EXTRA_TYPES) | catalog["name"].astype("string").fillna("").str.contains(EXTRA_NAME)
    return np.select([extra.to_numpy(bool), kind.isin(MAIN_TYPES).to_numpy(bool)], [EXTRA, MAIN], SIDE).astype(np.int8)


def airing_key(catalog: pd.DataFrame) -> pd.Series:
    """Sortable first-air date ('1989-04-26', '1992-07', '1990'); unknown dates sort last."""
    aired = catalog["aired_from"].astype("string") if "aired_from" in catalog else pd.Series(pd.NA, catalog.index)
    year = catalog["year"].astype("Int64").astype("string") if "year" in catalog else pd.NA
    return aired.fillna(year).fillna("9999").astype(str)


def _promote_sides(franchise: np.ndarray, role: np.ndarray) -> np.ndarray:
    """A franchise without any TV / movie / ONA gets its OVAs as main entries (OVA-only series)."""
    has_main = pd.Series(role == MAIN).groupby(franchise).transform("any").to_numpy(bool)
    return np.where(~has_main & (role == SIDE), MAIN, role).astype(np.int8)


def build_franchises(catalog: pd.DataFrame) -> pd.DataFrame:
    """FRANCHISE_COLUMNS, one row per catalog row in the catalog's order (what training publishes)."""
    ids = catalog["anime_id"].to_numpy(np.int64)
    roots = group_rows(catalog)
    franchise_id = pd.Series(ids).groupby(roots).transform("min").to_numpy(np.int64)
    role = _promote_sides(franchise_id, entry_roles(catalog))
    frame = pd.DataFrame({"anime_id": ids, "franchise_id": franchise_id, "role": role,
                          "aired": airing_key(catalog).to_numpy()})
    ordered = frame.sort_values(["franchise_id", "aired", "role", "anime_id"], kind="stable")
    order = ordered.groupby("franchise_id").cumcount()
    return pd.DataFrame({"anime_id": ids, "franchise_id": franchise_id,
                         "franchise_order": order.reindex(frame.index).to_numpy(),
                         "franchise_role": role}).astype(FRANCHISE_COLUMNS)


def largest_groups(catalog: pd.DataFrame, franchises: pd.DataFrame, top: int = 20, titles_shown: int = 8) -> list[dict]:
    """The `top` biggest franchises with their first titles in airing order, for review in the run summary."""
    names = catalog["display_name"].astype("string").fillna(catalog["name"].astype("string")).to_numpy()
    frame = franchises.assign(title=names)
    sizes = frame["franchise_id"].value_counts(sort=False)
    biggest = sizes.sort_values(ascending=False, kind="stable").head(top)
    out = []
    for franchise_id, size in biggest.items():
        members = frame[frame["franchise_id"] == franchise_id].sort_values("franchise_order")
        out.append({"franchise_id": int(franchise_id), "size": int(size),
                    "main_entries": int((members["franchise_role"] == MAIN).sum()),
                    "first_titles": members["title"].head(titles_shown).tolist()})
    return out
