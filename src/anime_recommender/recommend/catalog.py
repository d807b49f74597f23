"""The catalog as plain arrays, aligned with the model's anime rows, built once at load."""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from anime_recommender.recommend.errors import UnknownAnimeError

log = logging.getLogger(__name__)
SCORED_SHARE = 0.5  # a year whose anime are mostly scored had aired when the catalogue was taken


def _text(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A string column as an object array with '' for missing values."""
    return frame[column].astype(object).where(frame[column].notna(), "").to_numpy(dtype=object)


@dataclass
class Catalog:
    """Catalog columns as arrays over catalog rows, plus the mapping to model rows."""

    anime_id: np.ndarray        # int64 (n_cat,)
    name: np.ndarray            # object: romaji Name
    english_name: np.ndarray
    japanese_name: np.ndarray
    display_name: np.ndarray
    genres: np.ndarray          # object: "Action, Comedy"
    genre_names: list[str]
    genre_matrix: np.ndarray    # bool (n_cat, n_genres)
    type: np.ndarray            # object ('' unknown)
    year: np.ndarray            # float32, NaN unknown
    score: np.ndarray           # float32, NaN unknown
    members: np.ndarray         # int64
    episodes: np.ndarray        # float32, NaN unknown
    studios: np.ndarray
    mal_rating: np.ndarray
    is_adult: np.ndarray        # bool
    synopsis: np.ndarray
    model_row: np.ndarray       # int64 (n_cat,): model anime row, -1 if the model never saw it
    cat_row: np.ndarray         # int64 (n_anime,): catalog row of each model anime row
    row_of: dict[int, int]      # MAL id -> catalog row
    types: list[str]            # distinct anime types present, for filter forms

    def row(self, anime_id: int) -> int | None:
        """Catalog row of a MAL id, None when absent."""
        return self.row_of.get(int(anime_id))

    def last_year(self) -> int | None:
        """The year the catalogue's data ends: the last year most of whose anime already have a MAL score
        (the dump also lists titles announced for later years, mostly unscored: the 2020 dump has 2021-22)."""
        known = np.isfinite(self.year)
        years = self.year[known].astype(np.int64)
        if not len(years):
            return None
        scored = np.bincount(years, weights=np.isfinite(self.score[known]), minlength=years.max() + 1)
        counts = np.bincount(years, minlength=years.max() + 1)
        mostly = np.flatnonzero((counts > 0) & (scored >= SCORED_SHARE * np.maximum(counts, 1)))
        return int(mostly[-1]) if len(mostly) else int(years.max())

    @functools.cached_property
    def _by_id(self) -> tuple[np.ndarray, np.ndarray]:
        """(sorted MAL ids, their catalog rows), for vectorised look-ups."""
        order = np.argsort(self.anime_id, kind="stable")
        return self.anime_id[order].astype(np.int64), order.astype(np.int64)

    def rows_of(self, anime_ids) -> np.ndarray:
        """Catalog rows of the MAL ids the catalog has (others, not in it, cannot be shown anyway): one
        binary search for the whole list, not a dict look-up each (lists of thousands of titles)."""
        ids = np.asarray(anime_ids, dtype=np.int64).ravel()
        sorted_ids, rows = self._by_id
        if not len(ids) or not len(sorted_ids):
            return np.zeros(0, np.int64)
        at = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
        return rows[at[sorted_ids[at] == ids]]

    def require(self, anime_id: int) -> int:
        """Catalog row of a MAL id; UnknownAnimeError when absent (or not even an int64)."""
        row = self.row(anime_id) if -(2**63) <= int(anime_id) < 2**63 else None
        if row is None:
            raise UnknownAnimeError(int(anime_id))
        return row


def _complete(frame: pd.DataFrame, model_ids: np.ndarray) -> pd.DataFrame:
    """Add placeholder rows for model anime missing from the catalog (never crash on them)."""
    missing = np.setdiff1d(model_ids, frame["anime_id"].to_numpy(dtype=np.int64))
    if len(missing) == 0:
        return frame
    log.warning("%d model anime are missing from the catalog; shown as placeholders", len(missing))
    extra = pd.DataFrame({"anime_id": missing, "name": [f"Anime #{i}" for i in missing]})
    extra["display_name"] = extra["name"]
    return pd.concat([frame, extra], ignore_index=True)


def _genre_matrix(genres: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Multi-hot genre matrix from 'A, B' strings."""
    split = [[g.strip() for g in str(s).split(",") if g.strip()] for s in genres]
    names = sorted({g for gs in split for g in gs})
    index = {g: i for i, g in enumerate(names)}
    matrix = np.zeros((len(genres), len(names)), dtype=bool)
    rows = np.repeat(np.arange(len(split)), [len(gs) for gs in split])
    cols = np.array([index[g] for gs in split for g in gs], dtype=np.int64)
    matrix[rows, cols] = True
    return names, matrix


def _numeric(frame: pd.DataFrame, column: str, dtype=np.float32) -> np.ndarray:
    """A numeric column (nullable or not) as floats with NaN for missing."""
    if column not in frame:
        return np.full(len(frame), np.nan, dtype=dtype)
    return pd.to_numeric(frame[column], errors="coerce").astype("float64").to_numpy(dtype=dtype, na_value=np.nan)


def build_catalog(frame: pd.DataFrame, model_ids: np.ndarray) -> Catalog:
    """Arrays over the catalog frame (CATALOG_COLUMNS), aligned with `model_ids` (anime_ids.npy)."""
    frame = _complete(frame.reset_index(drop=True), np.asarray(model_ids, dtype=np.int64))
    for col in ("english_name", "japanese_name", "genres", "type", "studios", "mal_rating", "synopsis"):
        if col not in frame:
            frame[col] = pd.NA
    ids = frame["anime_id"].to_numpy(dtype=np.int64)
    row_of = {int(a): i for i, a in enumerate(ids)}
    cat_row = np.array([row_of[int(a)] for a in model_ids], dtype=np.int64)
    model_row = np.full(len(ids), -1, dtype=np.int64)
    model_row[cat_row] = np.arange(len(model_ids))
    genres = _text(frame, "genres")
    genre_names, matrix = _genre_matrix(genres)
    display = _text(frame, "display_name")
    name = _text(frame, "name")
    display = np.where(display == "", name, display)
    members = _numeric(frame, "members", np.float64)
    adult = frame["is_adult"].fillna(False).to_numpy(dtype=bool) if "is_adult" in frame else np.zeros(len(ids), bool)
    return Catalog(
        anime_id=ids, name=name, english_name=_text(frame, "english_name"),
        japanese_name=_text(frame, "japanese_name"), display_name=display, genres=genres,
        genre_names=genre_names, genre_matrix=matrix, type=_text(frame, "type"),
        year=_numeric(frame, "year"), score=_numeric(frame, "score"),
        members=np.nan_to_num(members).astype(np.int64), episodes=_numeric(frame, "episodes"),
        studios=_text(frame, "studios"), mal_rating=_text(frame, "mal_rating"), is_adult=adult,
        synopsis=_text(frame, "synopsis"), model_row=model_row, cat_row=cat_row, row_of=row_of,
        types=sorted({t for t in _text(frame, "type") if t}),
    )
