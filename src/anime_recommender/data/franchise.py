"""Franchises of the catalogue for the run's artifacts: group, entry role and airing order (issue #9).

`build_franchises(catalog)` is what training publishes (franchises.parquet): per anime its
`franchise_id` (the smallest MAL id of its group, see franchise_groups.py), its place in the group by
first air date, and its role: MAIN entries (the TV series, films, ONAs or OVAs most of the franchise's
audience watches) are where a series is started or continued, SIDE entries (spin-offs, retellings, a
less-watched original) are recommendable but never an entry point, EXTRA entries (specials, recaps,
picture dramas, music videos) are only shown when the type filter asks for them, and REEDIT entries
(the same story told again: re-edits, recap and compilation films) are never shown in a grouped list,
so never a franchise's first or next entry.

Re-edits, recaps and compilations are read from the catalogue's own cues (issue #16; measured against
tests/data/fixtures/reedits.json by tests/data/test_reedits_labelled.py):
- a name saying so (Recap, Compilation, Soushuuhen, Digest, Special Edition, Director's Cut, 総集編, ...);
- "<an earlier entry's name> Kai" (改, "revised") aired REEDIT_GAP_YEARS or more after that entry, as
  Dragon Ball Kai after Dragon Ball Z (Higurashi no Naku Koro ni Kai, a year after the first season, is
  its second season);
- a film, OVA, ONA or special that is not its franchise's first entry and whose synopsis calls it a recap
  or compilation film, a summary, a re-edit or a condensed version (Haikyuu!! Movie 1, Made in Abyss
  Movie 1, Attack on Titan: Chronicle).
Pure functions on the canonical catalog frame (data/schema.py), titles compared through data/titles.fold:
training publishes their table, and serving builds it with the same function only for a run published
before franchises.parquet existed (recommend/franchise_store.py).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from anime_recommender.data.franchise_groups import group_rows, text_column
from anime_recommender.data.titles import fold

MAIN, SIDE, EXTRA, REEDIT = 0, 1, 2, 3
ROLE_NAMES = {MAIN: "main", SIDE: "side", EXTRA: "extra", REEDIT: "re-edit"}
MAIN_SHARE = 0.25  # of the most-watched entry's members: below it an entry is a side story (see franchise_roles)
EXTRA_TYPES = ("Special", "Music")
EXTRA_NAME = r"(?i)\b(?:picture dramas?|specials|omake|music video|pv|cm)\b"
RETOLD_NAME = (r"(?i)\b(?:recaps?|digest|special edition|compilations?|soushuuhen|director'?s cut|remix|"
               r"reproduction)\b")
RETOLD_JAPANESE = "総集編|ダイジェスト"  # 'compilation', 'digest'
REEDIT_GAP_YEARS = 5  # "<title> Kai" this long after <title>: the same story re-edited, not a sequel
KAI_NAME = r"^(?P<stem>.+?)\s*(?:\bKai\b|改)(?:\s*\(\d{4}\))?\s*(?::.*)?$"
RETELLING_TYPES = ("Movie", "OVA", "ONA", "Special")
RETELLING_SYNOPSIS = (r"(?i)\b(?:recap|compilation) (?:film|movie)\b|\bcompilation of\b|\bsummary of the\b|"
                      r"\bre-?edit(?:ed|s)?\b|\bremastered\b|\b(?:condensed|edited) version\b|\bretells the\b")
FRANCHISE_COLUMNS = {"anime_id": "int32", "franchise_id": "int32", "franchise_order": "int32",
                     "franchise_role": "int8"}


def is_extra(catalog: pd.DataFrame) -> np.ndarray:
    """Specials, music videos, picture dramas, omake: by type or by name."""
    kind = catalog["type"].astype("string").fillna("")
    extra = kind.isin(EXTRA_TYPES) | text_column(catalog, "name").str.contains(EXTRA_NAME)
    return extra.to_numpy(bool)


def is_reedit(catalog: pd.DataFrame, franchise_id: np.ndarray) -> np.ndarray:
    """Re-edits of an earlier entry and retelling films (the module docstring's cues), given the groups."""
    first = pd.Series(airing_key(catalog).to_numpy()).groupby(np.asarray(franchise_id)).transform("min")
    later = (airing_key(catalog).to_numpy() > first.to_numpy())
    retelling = (catalog["type"].astype("string").fillna("").isin(RETELLING_TYPES)
                 & text_column(catalog, "synopsis").str.contains(RETELLING_SYNOPSIS)).to_numpy(bool)
    named = (text_column(catalog, "name").str.contains(RETOLD_NAME)
             | text_column(catalog, "english_name").str.contains(RETOLD_NAME)
             | text_column(catalog, "japanese_name").str.contains(RETOLD_JAPANESE)).to_numpy(bool)
    return named | (retelling & later) | _kai_reedits(catalog, np.asarray(franchise_id))


def _kai_reedits(catalog: pd.DataFrame, franchise_id: np.ndarray) -> np.ndarray:
    """'<name> Kai' where <name> is an entry of the same franchise aired REEDIT_GAP_YEARS or more before."""
    year = catalog["year"].astype("Float64").fillna(np.nan).to_numpy(np.float64) if "year" in catalog \
        else np.full(len(catalog), np.nan)
    columns = [text_column(catalog, c) for c in ("name", "english_name", "japanese_name")]
    first_year: dict[tuple[int, str], float] = {}
    for names in columns:
        for f, name, y in zip(franchise_id.tolist(), names.map(fold).tolist(), year.tolist(), strict=True):
            if name and not np.isnan(y):
                first_year[(f, name)] = min(y, first_year.get((f, name), y))
    out = np.zeros(len(catalog), dtype=bool)
    for names in columns:
        stems = names.str.extract(KAI_NAME)["stem"].str.strip().map(fold, na_action="ignore")
        for i in np.flatnonzero(stems.notna().to_numpy()):
            earlier = first_year.get((int(franchise_id[i]), stems.iloc[i]), np.nan)
            out[i] |= bool(year[i] - earlier >= REEDIT_GAP_YEARS)
    return out


def franchise_roles(franchise_id: np.ndarray, extra: np.ndarray, members: np.ndarray, *,
                    reedit: np.ndarray | None = None) -> np.ndarray:
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
    reedit = np.zeros(len(extra), dtype=bool) if reedit is None else reedit
    return np.select([reedit, extra, main], [REEDIT, EXTRA, MAIN], SIDE).astype(np.int8)


def entry_roles(catalog: pd.DataFrame) -> np.ndarray:
    """Roles when every anime of `catalog` is a franchise of its own (an extra stays an extra, a recap a
    re-edit)."""
    ids = catalog["anime_id"].to_numpy(np.int64)
    reedit = is_reedit(catalog, ids)
    return franchise_roles(ids, is_extra(catalog) | reedit, np.ones(len(ids)), reedit=reedit)


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
    extra, reedit = is_extra(catalog), is_reedit(catalog, franchise_id)
    role = franchise_roles(franchise_id, extra | reedit, members, reedit=reedit)
    frame = pd.DataFrame({"anime_id": ids, "franchise_id": franchise_id, "role": role,
                          "aired": airing_key(catalog).to_numpy()})
    ordered = frame.sort_values(["franchise_id", "aired", "role", "anime_id"], kind="stable")
    order = ordered.groupby("franchise_id").cumcount()
    return pd.DataFrame({"anime_id": ids, "franchise_id": franchise_id,
                         "franchise_order": order.reindex(frame.index).to_numpy(),
                         "franchise_role": role}).astype(FRANCHISE_COLUMNS)


def largest_groups(catalog: pd.DataFrame, franchises: pd.DataFrame, *, top: int = 20,
                   titles_shown: int = 8) -> list[dict]:
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
            "largest": largest_groups(catalog, franchises, top=top)}
