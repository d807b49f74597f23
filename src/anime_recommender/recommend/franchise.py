"""One entry per franchise, never a sequel before its first season (issue #9).

The one post-processing step every list goes through: ranked candidate rows in, grouped rows out.
For each franchise met in rank order, the best-placed candidate decides where the franchise stands, and
the franchise is shown by the entry the viewer should watch next: its first MAIN entry (its main line:
see data/franchise.py) in airing order that is not on their list. That is the entry point of a
franchise they have not started and the next unseen main entry of one they have, so a sequel never
comes before its prequel. When that entry fails the filters the franchise is left out rather than
skipped ahead. Extras (specials, recaps, picture dramas, music videos) are shown only when the type filter
asks for them, re-edits (data/franchise.py REEDIT) never; a type filter makes "main" mean
"the main entries of the asked types" (their side entries when it has none of them).
Rows are whatever the caller indexes by: catalog rows when serving, model rows in evaluation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from anime_recommender.data.franchise import EXTRA, MAIN, REEDIT, SIDE
from anime_recommender.recommend.catalog import Catalog
from anime_recommender.recommend.filters import Request, catalog_mask

CANDIDATES_PER_ENTRY = 10  # ranked candidates looked at per wanted entry (grouping folds many into one)


@dataclass(frozen=True)
class Franchises:
    """Per row its franchise (dense index), role and type; each franchise's rows in airing order (CSR)."""

    group: np.ndarray    # int64 (n_rows,)
    role: np.ndarray     # int8 (n_rows,): MAIN / SIDE / EXTRA / REEDIT
    kind: np.ndarray     # object (n_rows,): anime type ('' unknown)
    indptr: np.ndarray   # int64 (n_groups + 1,)
    members: np.ndarray  # int64: rows sorted by franchise, then airing order

    @classmethod
    def build(cls, franchise_id: np.ndarray, order: np.ndarray, role: np.ndarray, *, kind: np.ndarray) -> Franchises:
        """From per-row franchise ids, airing positions, roles and types (franchises.parquet, aligned)."""
        ids, group = np.unique(np.asarray(franchise_id, dtype=np.int64), return_inverse=True)
        members = np.lexsort((np.asarray(order), group))
        indptr = np.concatenate([[0], np.cumsum(np.bincount(group, minlength=len(ids)))]).astype(np.int64)
        return cls(group.astype(np.int64), np.asarray(role, dtype=np.int8), np.asarray(kind, dtype=object),
                   indptr, members.astype(np.int64))

    @classmethod
    def from_frame(cls, franchises: pd.DataFrame, anime_ids: np.ndarray, kind: np.ndarray) -> Franchises:
        """Rows aligned with `anime_ids` (catalog or model rows) from the published franchises frame;
        an id the frame lacks (a catalog placeholder) is a franchise of its own."""
        ids = np.asarray(anime_ids, dtype=np.int64)
        table = franchises.set_index("anime_id").reindex(ids)
        return cls.build(table["franchise_id"].fillna(pd.Series(ids, index=table.index)).to_numpy(np.int64),
                         table["franchise_order"].fillna(0).to_numpy(np.int64),
                         table["franchise_role"].fillna(SIDE).to_numpy(np.int8), kind=kind)

    def series(self, row: int) -> np.ndarray:
        """Every row of `row`'s franchise, in airing order."""
        g = self.group[row]
        return self.members[self.indptr[g]:self.indptr[g + 1]]


@dataclass(frozen=True)
class ListState:
    """What one list's rules need: the viewer's list, what may be shown, the asked-for types."""

    seen: np.ndarray       # bool (n_rows,): on the viewer's list (any status), or a new user's picks
    allowed: np.ndarray    # bool (n_rows,): passes every filter and is not seen
    types: tuple[str, ...] = ()

    def recommendable(self, fr: Franchises, rows: np.ndarray) -> np.ndarray:
        """Allowed, not a re-edit, and not an extra unless the type filter asks for its type."""
        asked = np.isin(fr.kind[rows], self.types) if self.types else np.zeros(len(rows), dtype=bool)
        return self.allowed[rows] & ((fr.role[rows] != EXTRA) | asked) & (fr.role[rows] != REEDIT)


@dataclass(frozen=True)
class Grouped:
    """One entry of a grouped list: the row shown, the candidate it stands for and the rest of its series."""

    row: int
    stands_for: int
    more: int
    started: bool  # the viewer has something of this franchise on their list


def representative(fr: Franchises, state: ListState, candidate: int) -> int | None:
    """The row that shows `candidate`'s franchise (first unseen main entry), None when it may not be shown."""
    series = fr.series(candidate)
    main = fr.role[series] == MAIN
    if state.types:  # the asked types' main entries, else their side stories: never an extra or a re-edit
        asked = np.isin(fr.kind[series], state.types) & (fr.role[series] < EXTRA)
        main = asked & main if (asked & main).any() else asked
    unseen = series[main & ~state.seen[series]]
    if len(unseen):
        return int(unseen[0]) if state.allowed[unseen[0]] else None
    return candidate if state.recommendable(fr, np.array([candidate]))[0] else None


def group_ranked(ranked: np.ndarray, fr: Franchises, state: ListState, *, n: int) -> list[Grouped]:
    """At most one entry per franchise, in the order of each franchise's best-placed candidate."""
    out, done = [], set()
    for candidate in np.asarray(ranked, dtype=np.int64).tolist():
        g = int(fr.group[candidate])
        if g in done:
            continue
        done.add(g)
        row = representative(fr, state, candidate)
        if row is None:
            continue
        series = fr.series(candidate)
        more = int((state.recommendable(fr, series) & (series != row)).sum())
        out.append(Grouped(row=row, stands_for=candidate, more=more, started=bool(state.seen[series].any())))
        if len(out) == n:
            break
    return out


def pick(fr: Franchises | None, catalog: Catalog, ranked: np.ndarray, *, request: Request) -> list[Grouped]:
    """The `request.n` entries to show from ranked catalog rows: one per franchise, or simply the first n
    with group_franchises off. The one step every list of the engine goes through.

    `request.listed`: catalog rows on the viewer's list (a new user's picks), so a started series goes on;
    with the titles the viewer marked seen (`filters.seen`) they are also the last filter of every list:
    nothing seen is ever shown, whichever source or substitution proposed it.
    """
    filters, n = request.filters, request.n
    ranked = np.asarray(ranked, dtype=np.int64)
    seen = np.zeros(len(catalog.anime_id), dtype=bool)
    seen[np.asarray(request.listed, dtype=np.int64)] = True
    seen[catalog.rows_of(filters.seen)] = True
    if fr is None or not filters.group_franchises:
        return [Grouped(row=int(r), stands_for=int(r), more=0, started=False) for r in ranked[~seen[ranked]][:n]]
    return group_ranked(ranked, fr, ListState(seen, catalog_mask(catalog, filters) & ~seen, filters.types), n=n)


def grouped_reranker(fr: Franchises, candidates: int = 200):
    """The rules as evaluation.ranking's `rerank`: each user's top k after grouping, nothing filtered but
    their known items (rows of `fr` are model rows). A list the rules leave short is topped up in rank order."""
    def rerank(users: np.ndarray, scores: np.ndarray, known, *, k: int) -> np.ndarray:
        width = min(candidates, scores.shape[1])
        part = np.argpartition(-scores, width - 1, axis=1)[:, :width]
        ranked = np.take_along_axis(part, np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1), axis=1)
        out = np.empty((len(users), k), dtype=np.int64)
        for i in range(len(users)):
            seen = np.zeros(scores.shape[1], dtype=bool)
            seen[known.indices[known.indptr[i]:known.indptr[i + 1]]] = True
            rows = [g.row for g in group_ranked(ranked[i], fr, ListState(seen, ~seen), n=k)]
            rows += [r for r in ranked[i].tolist() if r not in rows][:k - len(rows)]
            out[i] = rows
        return out
    return rerank
