"""Franchises of the catalogue for the run's artifacts: group, entry role and airing order (issue #9).

`build_franchises(catalog)` is what training publishes (franchises.parquet): per anime its
`franchise_id` (the smallest MAL id of its group, see franchise_groups.py), its place in the group by
first air date, and its role: MAIN entries (the TV series, films, ONAs or OVAs most of the franchise's
audience watches) are where a series is started or continued, SIDE entries (spin-offs, retellings, a
less-watched original) are recommendable but never an entry point, EXTRA entries (specials, recaps,
picture dramas, music videos) are only shown when the type filter asks for them.
Pure functions on the canonical catalog frame (data/schema.py).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from anime_recommender.data.franchise_groups import group_rows, text_column

MAIN, SIDE, EXTRA = 0, 1, 2
ROLE_NAMES = {MAIN: "main", SIDE: "side", EXTRA: "extra"}
MAIN_SHARE = 0.25  # of the most-watched entry's members: below it an entry is a side story (see franchise_roles)
EXTRA_TYPES = ("Special", "Music")
EXTRA_NAME = r"(?i)\b(?:recaps?|picture dramas?|specials|omake|music video|pv|cm|digest|special edition)\b"
FRANCHISE_COLUMNS = {"anime_id": "int32", "franchise_id": "int32", "franchise_order": "int32",
                     "franchise_role": "int8"}


def is_extra(catalog: pd.DataFrame) -> np.ndarray:
    """Specials, music, recaps and picture dramas: by type, by a name such as 'Recap', or 総集編
    ('compilation') in the Japanese name."""
    kind = catalog["type"].astype("string").fillna("")
    extra = (kind.isin(EXTRA_TYPES) | text_column(catalog, "name").str.contains(EXTRA_NAME)
             | text_column(catalog, "japanese_name").str.contains("総集編"))
    return extra.to_numpy(bool)


def franchise_roles(franchise_id: np.ndarray, extra: np.ndarray, members: np.ndarray) -> np.ndarray:
    """MAIN for the entries most of a franchise's audience watches (at least MAIN_SHARE of the members
    of its most-watched entry, whatever the type), SIDE for its other entries, EXTRA for extras.

    Type alone does not say what the main line is: films of TV series are mostly recaps or retellings
    (Attack on Titan's 'Guren no Yumiya', Haikyuu!!'s 'Owari to Hajimari'), a parody spin-off can air between
    two seasons, some series start as an OVA (FLCL) and some were remade (Hunter x Hunter (2011)).
    On the real slice, MAIN by type cost the served list 6% nDCG@10, MAIN by audience share 1%
    (docs/benchmarks.md)."""
    audience = np.where(extra, 0, np.asarray(members, dtype=np.float64))
    top = pd.Series(audience).groupby(np.asarray(franchise_id)).transform("max").to_numpy()
    main = ~extra & (audience >= MAIN_SHARE * top)
    return np.select([extra, main], [EXTRA, MAIN], SIDE).astype(np.int8)


def entry_roles(catalog: pd.DataFrame) -> np.ndarray:
    """Roles when every anime of `catalog` is a franchise of its own (an extra stays an extra)."""
    ids = catalog["anime_id"].to_numpy(np.int64)
    return franchise_roles(ids, is_extra(catalog), np.ones(len(ids)))


def airing_key(catalog: pd.DataFrame) -> pd.Series:
    """Sortable first-air date ('1989-04-26', '1992-07', '1990'); unknown dates sort last."""
    aired = catalog["aired_from"].astype("string") if "aired_from" in catalog else pd.Series(pd.NA, catalog.index)
    year = catalog["year"].astype("Int64").astype("string") if "year" in catalog else pd.NA
    return aired.fillna(year).fillna("9999").astype(str)


def build_franchises(catalog: pd.DataFrame) -> pd.DataFrame:
    """FRANCHISE_COLUMNS, one row per catalog row in the catalog's order (what training publishes)."""
    ids = catalog["anime_id"].to_numpy(np.int64)
    roots = group_rows(catalog)
    franchise_id = pd.Series(ids).groupby(roots).transform("min").to_numpy(np.int64)
    members = catalog["members"].fillna(0).to_numpy(np.float64) if "members" in catalog else np.ones(len(ids))
    role = franchise_roles(franchise_id, is_extra(catalog), members)
    frame = pd.DataFrame({"anime_id": ids, "franchise_id": franchise_id, "role": role,
                          "aired": airing_key(catalog).to_numpy()})
    ordered = frame.sort_values(["franchise_id", "aired", "role", "anime_id"], kind="stable")
    order = ordered.groupby("franchise_id").cumcount()
    return pd.DataFrame({"anime_id": ids, "franchise_id": franchise_id,
                         "franchise_order": order.reindex(frame.index).to_numpy(),
                         "franchise_role": role}).astype(FRANCHISE_COLUMNS)


def largest_groups(catalog: pd.DataFrame, franchises: pd.DataFrame, top: int = 20, titles_shown: int = 8) -> list[dict]:
    """The `top` biggest franchises (ties by id) with their first titles in airing order, for review."""
    names = catalog["display_name"].astype("string").fillna(catalog["name"].astype("string")).to_numpy()
    frame = franchises.assign(title=names)
    sizes = frame.groupby("franchise_id").size().reset_index(name="size")
    biggest = sizes.sort_values(["size", "franchise_id"], ascending=[False, True]).head(top)
    out = []
    for franchise_id, size in zip(biggest["franchise_id"], biggest["size"], strict=True):
        members = frame[frame["franchise_id"] == franchise_id].sort_values("franchise_order")
        out.append({"franchise_id": int(franchise_id), "size": int(size),
                    "main_entries": int((members["franchise_role"] == MAIN).sum()),
                    "first_titles": members["title"].head(titles_shown).tolist()})
    return out


def franchise_report(catalog: pd.DataFrame, franchises: pd.DataFrame, top: int = 20) -> dict:
    """What the run summary says about the grouping: how many groups, and the largest for review."""
    sizes = franchises.groupby("franchise_id").size()
    return {"anime": int(len(franchises)), "franchises": int(len(sizes)),
            "with_several_titles": int((sizes > 1).sum()), "anime_in_those": int(sizes[sizes > 1].sum()),
            "largest": largest_groups(catalog, franchises, top)}
