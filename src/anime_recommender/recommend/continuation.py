"""Continue your franchises (issue #20): for every franchise a viewer started and did not drop, the next main
entry they have not watched, in watch order, and how many main entries they have left.

"Started": a main entry of the franchise is on their list as Watching, Completed or On-Hold (a trained user's
rated entry counts as watched: the seen arrays keep a score, not a status). "Dropped": any entry of the
franchise is on their list as Dropped; such a franchise is left out. "Next": the first main entry in watch
order (data/franchise.py's airing order) that is not on their list or only on it as Plan to Watch; side
stories, extras, recaps and re-edits are never next (they are not main entries). An entry on the list with no
known status (a trained user's unscored row) is neither watched nor next.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from anime_recommender.data.franchise import MAIN
from anime_recommender.recommend.catalog import Catalog
from anime_recommender.recommend.errors import UnknownUserError
from anime_recommender.recommend.explain import AnimeInfo, anime_info
from anime_recommender.recommend.franchise import Franchises
from anime_recommender.recommend.lists import COMPLETED, DROPPED, ON_HOLD, PLAN_TO_WATCH, WATCHING, ListRows

WATCHED = (WATCHING, COMPLETED, ON_HOLD)


@dataclass(frozen=True)
class NextEntry:
    """The next main entry of one franchise the viewer started."""

    next: AnimeInfo
    franchise: str          # the title of the franchise's first main entry
    watched: int            # main entries watched (Watching, Completed, On-Hold)
    remaining: int          # main entries not watched yet, the next one included
    planned: bool           # the next entry is already on their Plan to Watch
    best_score: int         # the viewer's best score in the franchise (0: none), what the list is sorted by

    def to_dict(self) -> dict:
        info = {k: v for k, v in self.next.to_dict().items() if k != "synopsis"}
        return {**info, "franchise": self.franchise, "watched": self.watched, "remaining": self.remaining,
                "planned": self.planned}


def statuses_by_row(rows: ListRows, catalog: Catalog) -> tuple[np.ndarray, np.ndarray]:
    """Per catalog row: the list's status (-1 not on it) and score (0 none), for the catalog anime on it."""
    status = np.full(len(catalog.anime_id), -1, np.int16)
    score = np.zeros(len(catalog.anime_id), np.int16)
    found = np.array([catalog.row_of.get(a, -1) for a in rows.anime_ids.tolist()], np.int64)
    known = found >= 0
    status[found[known][::-1]] = rows.statuses[known][::-1]  # a duplicate id: its first row wins
    score[found[known][::-1]] = rows.scores[known][::-1]
    return status, score


def continue_franchises(fr: Franchises | None, catalog: Catalog, rows: ListRows,
                        *, include_adult: bool = False) -> list[NextEntry]:
    """The next entry of every started, undropped franchise; the viewer's favourite franchises first."""
    if fr is None or not len(rows):
        return []
    status, score = statuses_by_row(rows, catalog)
    out = []
    for group in np.unique(fr.group[status >= 0]).tolist():
        entry = _next_of(fr, catalog, fr.members[fr.indptr[group]:fr.indptr[group + 1]], status=status, score=score)
        if entry is not None and (include_adult or not entry.next.is_adult):
            out.append(entry)
    out.sort(key=lambda e: (-e.best_score, -e.watched, e.franchise))
    return out


def _next_of(fr: Franchises, catalog: Catalog, series: np.ndarray, *, status: np.ndarray,
             score: np.ndarray) -> NextEntry | None:
    """One franchise's next main entry (series in watch order), None when not started, dropped or done."""
    main = series[fr.role[series] == MAIN]
    watched = np.isin(status[main], WATCHED)
    if not watched.any() or (status[series] == DROPPED).any():
        return None
    open_ = (status[main] == -1) | (status[main] == PLAN_TO_WATCH)
    if not open_.any():
        return None
    nxt = int(main[open_][0])
    return NextEntry(anime_info(catalog, nxt), anime_info(catalog, int(main[0])).title, int(watched.sum()),
                     int(open_.sum()), bool(status[nxt] == PLAN_TO_WATCH), int(score[series].max()))


def for_user(rec, user_id: int, include_adult: bool | None = None) -> list[NextEntry]:
    """The next entries of a dataset user (trained, or left out of training and served from their list);
    UnknownUserError when the id is nowhere in the data."""
    adult = rec.cfg.show_adult if include_adult is None else include_adult
    row = rec.m.user_row(int(user_id))
    if row is None:
        rows = rec.m.listed.rows(int(user_id))
        if rows is None:
            raise UnknownUserError(user_id)
    else:
        rows = user_list(*rec.m.history.items(row), rec.m.anime_ids, outside=rec.m.outside.rows(int(user_id)))
    return continue_franchises(rec.franchises, rec.catalog, rows, include_adult=adult)


def for_list(rec, rows: ListRows, include_adult: bool | None = None) -> list[NextEntry]:
    """The next entries of an imported list."""
    adult = rec.cfg.show_adult if include_adult is None else include_adult
    return continue_franchises(rec.franchises, rec.catalog, rows, include_adult=adult)


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
