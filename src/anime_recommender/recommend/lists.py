"""A person's list (an imported export, or the rows of a user the model was not trained on) read as taste.

One reading for every list, so an import and a short-history user mean the same thing by the same row:
a score weighs a like, a low score (≤ 4) or Dropped is a dislike, an unscored Completed / Watching is a
mild like, and Plan to Watch (or an unscored On-Hold) is on the list without being a like. Every entry,
whatever it means, stays out of the results.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from anime_recommender.data.statuses import UNKNOWN, Status
from anime_recommender.recommend.catalog import Catalog
from anime_recommender.recommend.errors import RecommenderError
from anime_recommender.recommend.users import loved_thresholds

# the one status vocabulary is data/statuses.py; these names are its members
WATCHING, COMPLETED, ON_HOLD, DROPPED = Status.WATCHING, Status.COMPLETED, Status.ON_HOLD, Status.DROPPED
PLAN_TO_WATCH = Status.PLAN_TO_WATCH
STATUS_NAMES = {**{status: status.label for status in Status}, UNKNOWN: Status.label_of(UNKNOWN)}
DISLIKE_AT_MOST = 4       # MAL's 4 is "Bad": a score of 4 or less pushes away like a dislike
MILD_LIKE = 1 / 3         # an unscored Completed / Watching weighs like a score of 6
SCORE_FLOOR = 4           # a score s > 4 weighs (s - 4) / 6: 10 -> 1.0, 7 -> 0.5, 5 -> 0.17


@dataclass(frozen=True)
class ListRows:
    """One list: MAL anime ids with the person's score (0 = none) and watching status (MAL's codes)."""

    anime_ids: np.ndarray   # int64
    scores: np.ndarray      # int8, 0..10
    statuses: np.ndarray    # int8, STATUS_NAMES' codes (0 unknown)

    def __len__(self) -> int:
        return len(self.anime_ids)

    def by_status(self) -> dict[str, int]:
        """How many entries have each status, by MAL's status names (only statuses present)."""
        counts = np.bincount(np.clip(self.statuses, 0, max(STATUS_NAMES)), minlength=max(STATUS_NAMES) + 1)
        out = {name: int(counts[code]) for code, name in STATUS_NAMES.items() if code and counts[code]}
        unknown = len(self) - sum(out.values())
        return {**out, STATUS_NAMES[0]: unknown} if unknown else out


def like_weights(scores: np.ndarray, statuses: np.ndarray, dropped_dislikes: bool = True) -> np.ndarray:
    """Per entry: > 0 a like of that weight (≤ 1), -1 a dislike, 0 neither (see the module docstring);
    with `dropped_dislikes` off a Dropped entry reads as On-Hold: only its score speaks (a viewer's switch,
    measured in docs/benchmarks.md)."""
    if not dropped_dislikes:
        statuses = np.where(statuses == DROPPED, ON_HOLD, statuses)
    scores = np.asarray(scores, dtype=np.float32)
    weights = np.where(scores > SCORE_FLOOR, (scores - SCORE_FLOOR) / (10 - SCORE_FLOOR), 0.0)
    unscored_seen = (scores == 0) & np.isin(statuses, (WATCHING, COMPLETED))
    weights = np.where(unscored_seen, MILD_LIKE, weights)
    disliked = (statuses == DROPPED) | ((scores > 0) & (scores <= DISLIKE_AT_MOST))
    weights = np.where(disliked, -1.0, weights)
    return np.where(statuses == PLAN_TO_WATCH, 0.0, weights).astype(np.float32)


@dataclass(frozen=True)
class Taste:
    """What someone told us, in catalog rows: weighted likes, dislikes, picked genres, rows to keep out."""

    liked: np.ndarray         # catalog rows, strongest like first
    weights: np.ndarray       # float32 per liked row, in (0, 1]; 1 = a plain like
    scores: np.ndarray        # int8 per liked row: their score, 0 when they liked it without one
    disliked: np.ndarray      # catalog rows
    exclude: np.ndarray       # catalog rows never to recommend
    genres: tuple[str, ...] = ()
    genre_columns: tuple[int, ...] = ()  # the picked genres' columns of the catalog's genre matrix
    entries: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # every entry: what the tower pools
    entry_scores: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))  # their scores (0 = none)
    entry_statuses: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))  # their MAL status codes
    picks: bool = False  # named on the new-user form (every entry a like), not a whole list
    # the likes scored in the list's top quarter, best first (every like when nothing is scored): what the
    # content side and the profile read, as a trained user's History.loved
    favourites: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    favourite_scores: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))


@dataclass(frozen=True)
class ListReading:
    """The viewer's switches for reading a list: with `include_planned`, Plan to Watch titles may come back
    as recommendations; `dropped_dislikes` off reads Dropped entries as On-Hold ones (their score alone, if
    any, says like or dislike)."""

    include_planned: bool = False
    dropped_dislikes: bool = True


AS_SHIPPED = ListReading()  # the switches' defaults


def read_list(rows: ListRows, catalog: Catalog, reading: ListReading = AS_SHIPPED) -> tuple[Taste, list[int]]:
    """The list's meaning over catalog rows (read with the viewer's switches), and the MAL ids the catalog
    does not have."""
    found = [catalog.row_of.get(a) for a in rows.anime_ids.tolist()]
    known = np.array([r is not None for r in found], dtype=bool)
    cat_rows = np.array([r for r in found if r is not None], dtype=np.int64)
    scores, statuses = rows.scores[known], rows.statuses[known]
    weights = like_weights(scores, statuses, reading.dropped_dislikes)
    liked_at = np.flatnonzero(weights > 0)
    liked_at = liked_at[np.argsort(-weights[liked_at], kind="stable")]
    excluded = cat_rows[statuses != PLAN_TO_WATCH] if reading.include_planned else cat_rows
    loved, _ = favourite_positions(scores.astype(np.int8), weights)
    taste = Taste(liked=cat_rows[liked_at], weights=weights[liked_at], scores=scores[liked_at],
                  disliked=cat_rows[weights < 0], exclude=excluded, entries=cat_rows, entry_scores=scores,
                  entry_statuses=statuses, favourites=cat_rows[loved], favourite_scores=scores[loved])
    return taste, rows.anime_ids[~known].tolist()


def favourite_positions(scores: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, int]:
    """Positions of a list's favourites, best first, and the score they start at: as for a known user
    (History.loved), the likes scored in the top quarter of the list's scores (users.TOP_SHARE); every like
    when nothing is scored."""
    threshold = int(loved_thresholds(sparse.csr_matrix(scores.reshape(1, -1)))[0]) if len(scores) else 0
    keep = np.flatnonzero((weights > 0) & (scores >= threshold))
    return keep[np.argsort(-scores[keep], kind="stable")], threshold


def favourites(rows: ListRows, catalog: Catalog) -> tuple[np.ndarray, int]:
    """Catalog rows of the list's favourites, best first, and the score they start at (favourite_positions)."""
    found = np.array([catalog.row_of.get(a, -1) for a in rows.anime_ids.tolist()], dtype=np.int64)
    known = found >= 0
    scores, statuses = rows.scores[known].astype(np.int8), rows.statuses[known]
    positions, threshold = favourite_positions(scores, like_weights(scores, statuses))
    return found[known][positions], threshold


def _pick_rows(catalog: Catalog, ids: list[int], max_picks: int) -> np.ndarray:
    """Catalog rows of MAL ids, UnknownAnimeError on the first unknown one."""
    if len(ids) > max_picks:
        raise RecommenderError(f"at most {max_picks} liked or disliked anime (got {len(ids)})")
    return np.array([catalog.require(a) for a in ids], dtype=np.int64)


def genre_columns(catalog: Catalog, genres: tuple[str, ...]) -> list[int]:
    """Columns of the catalog's genre matrix for genre names; RecommenderError naming an unknown one."""
    names = catalog.genre_names
    unknown = [g for g in genres if g not in names]
    if unknown:
        raise RecommenderError(f"unknown genre {unknown[0]!r}; known genres: {', '.join(names)}")
    return [names.index(g) for g in genres]


def picks_taste(catalog: Catalog, liked: list[int], disliked: list[int], *, genres: list[str],
                max_picks: int) -> Taste:
    """The new-user form's picks as a Taste: plain likes and dislikes (at most `max_picks` each, the web's
    serving.max_list_values), both kept out of the results."""
    if not liked and not genres:
        raise RecommenderError("name at least one anime you like or pick a genre")
    liked_cat, disliked_cat = _pick_rows(catalog, liked, max_picks), _pick_rows(catalog, disliked, max_picks)
    columns = genre_columns(catalog, tuple(genres))
    return Taste(liked=liked_cat, weights=np.ones(len(liked_cat), np.float32),
                 scores=np.zeros(len(liked_cat), np.int8), disliked=disliked_cat,
                 exclude=np.concatenate([liked_cat, disliked_cat]), genres=tuple(genres),
                 genre_columns=tuple(columns), entries=liked_cat,
                 entry_scores=np.zeros(len(liked_cat), np.int8),
                 entry_statuses=np.full(len(liked_cat), COMPLETED, np.int8), picks=True,
                 favourites=liked_cat, favourite_scores=np.zeros(len(liked_cat), np.int8))
