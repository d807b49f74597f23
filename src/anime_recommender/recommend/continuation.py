"""Continue your franchises (issue #20): for every franchise a viewer started and did not drop, the next main
entry they have not watched, in watch order, and how many main entries they have left.

"Started": a main entry of the franchise is on their list as Watching, Completed or On-Hold (a trained user's
rated entry counts as watched: the seen arrays keep a score, not a status), or the viewer marked it "Seen it"
(Filters.seen: watched, as the recommendations' franchise order takes it). "Dropped": any entry of the
franchise is on their list as Dropped; such a franchise is left out. "Next": the first main entry in watch
order (data/franchise.py's airing order) that is not on their list or only on it as Plan to Watch; side
stories, extras, recaps and re-edits are never next (they are not main entries). An entry on the list with no
known status (a trained user's unscored row) is neither watched nor next. A franchise whose next entry the
viewer marked "Not interested" (Filters.exclude) is left out, and so is an adult next entry unless adult
titles are asked for; the other filters (genres, types, years, score) narrow recommendations, not this list:
the next part of a series a fan is watching is shown whatever its genre or year.

The engine sequences it (`Recommender.continue_for_user` / `continue_list`): the list as ListRows (step 1),
`continue_franchises` over the Shelf's franchises (the step that chooses), then records.next_entries.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from anime_recommender.data.franchise import MAIN
from anime_recommender.recommend.catalog import Catalog
from anime_recommender.recommend.explain import title_of
from anime_recommender.recommend.filters import Filters
from anime_recommender.recommend.franchise import Franchises
from anime_recommender.recommend.hybrid import Shelf
from anime_recommender.recommend.lists import COMPLETED, DROPPED, ON_HOLD, PLAN_TO_WATCH, WATCHING, ListRows

WATCHED = (WATCHING, COMPLETED, ON_HOLD)
NOT_WATCHED = -1  # the status of a catalog row not on the list


@dataclass(frozen=True)
class Next:
    """The next main entry of one franchise the viewer started, as catalog rows and counts."""

    row: int                # the next main entry
    first: int              # the franchise's first main entry (its name)
    watched: int            # main entries watched (Watching, Completed, On-Hold, marked "Seen it")
    remaining: int          # main entries not watched yet, the next one included
    planned: bool           # the next entry is already on their Plan to Watch
    best_score: int         # the viewer's best score in the franchise (0: none), what the list is sorted by


def statuses_by_row(rows: ListRows, catalog: Catalog) -> tuple[np.ndarray, np.ndarray]:
    """Per catalog row: the list's status (-1 not on it) and score (0 none), for the catalog anime on it."""
    status = np.full(len(catalog.anime_id), NOT_WATCHED, np.int16)
    score = np.zeros(len(catalog.anime_id), np.int16)
    found = np.array([catalog.row_of.get(a, -1) for a in rows.anime_ids.tolist()], np.int64)
    known = found >= 0
    status[found[known][::-1]] = rows.statuses[known][::-1]  # a duplicate id: its first row wins
    score[found[known][::-1]] = rows.scores[known][::-1]
    return status, score


def marked_seen(status: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """The statuses with the catalog rows marked "Seen it" watched (Completed), unless the list holds them
    as Watching, Completed, On-Hold or Dropped already."""
    status = status.copy()
    open_ = seen[np.isin(status[seen], (NOT_WATCHED, PLAN_TO_WATCH))]
    status[open_] = COMPLETED
    return status


def continue_franchises(shelf: Shelf, rows: ListRows, *, filters: Filters) -> list[Next]:
    """The next entry of every started, undropped franchise; the viewer's favourite franchises first (see the
    module docstring for what the filters do here)."""
    fr, catalog = shelf.franchises, shelf.catalog
    if fr is None:
        return []
    status, score = statuses_by_row(rows, catalog)
    status = marked_seen(status, catalog.rows_of(filters.seen))
    hidden = set(catalog.rows_of(filters.exclude).tolist())
    out = [entry for entry in _next_of(fr, np.unique(fr.group[status >= 0]), status=status, score=score)
           if entry.row not in hidden and (filters.include_adult or not catalog.is_adult[entry.row])]
    out.sort(key=lambda e: (-e.best_score, -e.watched, title_of(catalog, e.first)))
    return out


def _next_of(fr: Franchises, groups: np.ndarray, *, status: np.ndarray, score: np.ndarray) -> list[Next]:
    """The next main entry of each franchise in `groups` (ascending) the viewer started, did not drop and has not
    finished, in that order; every franchise at once (one numpy step per franchise cost ~900 steps an import)."""
    if groups.size == 0:
        return []
    length = fr.indptr[groups + 1] - fr.indptr[groups]
    begin = np.cumsum(length) - length  # where each franchise's rows start in `rows`
    rows = fr.members[np.arange(length.sum()) + np.repeat(fr.indptr[groups] - begin, length)]  # in watch order
    which = np.repeat(np.arange(groups.size), length)
    on_list, main = status[rows], fr.role[rows] == MAIN
    watched = main & (on_list[:, None] == WATCHED).any(axis=1)
    open_ = main & ((on_list == NOT_WATCHED) | (on_list == PLAN_TO_WATCH))
    watched_count = np.bincount(which[watched], minlength=groups.size)
    open_count = np.bincount(which[open_], minlength=groups.size)
    dropped = np.bincount(which[on_list == DROPPED], minlength=groups.size) > 0
    best = np.maximum.reduceat(score[rows], begin)
    first_main, first_open = _first_of(which, main, groups.size), _first_of(which, open_, groups.size)
    return [Next(int(rows[first_open[g]]), int(rows[first_main[g]]), int(watched_count[g]), int(open_count[g]),
                 bool(status[rows[first_open[g]]] == PLAN_TO_WATCH), int(best[g]))
            for g in np.flatnonzero((watched_count > 0) & ~dropped & (open_count > 0)).tolist()]


def _first_of(which: np.ndarray, mask: np.ndarray, count: int) -> np.ndarray:
    """Per franchise (`which`, ascending), the position of its first row in `mask` (-1: none)."""
    found = np.flatnonzero(mask)
    first = np.full(count, -1, dtype=np.int64)
    groups, at = np.unique(which[found], return_index=True)
    first[groups] = found[at]
    return first


def user_list(history_rows: np.ndarray, history_ratings: np.ndarray, anime_ids: np.ndarray,
              *, outside: ListRows | None) -> ListRows:
    """A trained user's whole list as ListRows: their seen rows (a score means watched, no score an unknown
    status) and their rows beyond the model (with statuses)."""
    ratings = np.asarray(history_ratings, np.int8)
    statuses = np.where(ratings > 0, COMPLETED, 0).astype(np.int8)
    inside = ListRows(anime_ids[history_rows].astype(np.int64), ratings, statuses)
    if outside is None:
        return inside
    return ListRows(np.concatenate([inside.anime_ids, outside.anime_ids]),
                    np.concatenate([inside.scores, outside.scores]),
                    np.concatenate([inside.statuses, outside.statuses]))
