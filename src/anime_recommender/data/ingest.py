"""Which data a folder holds and the loader of each source: the one map from `data.source` to its reader.

A folder holds the Kaggle files (anime.csv with rating_complete.csv and/or animelist.csv) or MovieLens
ratings. `load_catalog` and `load_interactions` read whichever is there into the canonical frames
(schema.py); data/prepare.py asks the same map which files make a user's lists.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from anime_recommender.config import DataConfig
from anime_recommender.data import catalog, interactions, movielens, schema
from anime_recommender.data.files import DataFolder, require_columns
from anime_recommender.data.report import DataError, DataReport
from anime_recommender.data.statuses import Status

log = logging.getLogger(__name__)

__all__ = ["SOURCES", "DataError", "DataFolder", "has_data", "interaction_source", "load_catalog",
           "load_interactions", "load_watching_statuses"]
Folder = str | Path | DataFolder
_KAGGLE_LISTS = ("rating_complete", "animelist")


@dataclass(frozen=True)
class KaggleListFile:
    """rating_complete.csv or animelist.csv: streamed, every row validated (data/interactions.py)."""

    file: str
    has_statuses: bool              # rows carry MAL watching statuses: only data.list_statuses count
    lists: tuple[str, ...] = _KAGGLE_LISTS  # the sources whose rows (every status) are a user's lists

    def present(self, folder: DataFolder) -> bool:
        return folder.file(self.file).exists()

    def load(self, folder: DataFolder, data_cfg: DataConfig, report: DataReport, *,
             catalog_ids: Iterable[int] | None = None, statuses: Iterable[int] | None = None) -> pd.DataFrame:
        """The file's rows; with `statuses` only those whose watching status is one of them."""
        path = folder.file(self.file)
        frame = interactions.read_interaction_file(path, self.file, data_cfg, report=report, catalog_ids=catalog_ids)
        if statuses is not None:
            frame = interactions.select_statuses(frame, statuses, report, file=path.name)
        report.keep(path.name, len(frame))
        log.info("%s: %d interactions, %d users", path.name, len(frame),
                 interactions.count_users(frame["user_id"].to_numpy()))
        return frame


@dataclass(frozen=True)
class MovieLensRatings:
    """u.data or ratings.dat (data/movielens.py): every rating a completed entry."""

    has_statuses: bool = False
    lists: tuple[str, ...] = ("movielens",)

    def present(self, folder: DataFolder) -> bool:
        return movielens.find_ratings(folder.path) is not None

    def load(self, folder: DataFolder, data_cfg: DataConfig, report: DataReport, *,
             catalog_ids: Iterable[int] | None = None, statuses: Iterable[int] | None = None) -> pd.DataFrame:
        return movielens.load_interactions(folder.path, report, catalog_ids)


# data.source -> its loader; `auto` takes the first one present, in this order
SOURCES: dict[str, KaggleListFile | MovieLensRatings] = {
    "rating_complete": KaggleListFile(schema.RATING_COMPLETE_FILE, has_statuses=False),
    "animelist": KaggleListFile(schema.ANIMELIST_FILE, has_statuses=True),
    "movielens": MovieLensRatings(),
}


def has_data(folder: Folder) -> bool:
    """True when the folder holds Kaggle files (anime.csv) or MovieLens ratings."""
    folder = DataFolder.of(folder)
    return folder.file(schema.ANIME_FILE).is_file() or SOURCES["movielens"].present(folder)


def load_catalog(folder: Folder, report: DataReport) -> pd.DataFrame:
    """The canonical catalog: anime.csv with its synopses, or MovieLens items when there is no anime.csv."""
    folder = DataFolder.of(folder)
    anime_path = folder.file(schema.ANIME_FILE)
    if not anime_path.exists() and SOURCES["movielens"].present(folder):
        return movielens.load_catalog(folder.path, report)
    return catalog.load_catalog(anime_path, folder.file(schema.SYNOPSIS_FILE), report)


def interaction_source(folder: Folder, data_cfg: DataConfig) -> str:
    """Which source feeds the interactions: the configured one, or for `auto` the first one present."""
    folder = DataFolder.of(folder)
    if data_cfg.source != "auto":
        return data_cfg.source
    found = next((name for name, source in SOURCES.items() if source.present(folder)), None)
    if found is None:
        raise DataError(f"{folder.path}: no interaction file found; expected {schema.RATING_COMPLETE_FILE} or "
                        f"{schema.ANIMELIST_FILE} (or MovieLens u.data / ratings.dat)")
    return found


def load_interactions(folder: Folder, data_cfg: DataConfig, report: DataReport,
                      *, catalog_ids: Iterable[int] | None = None, all_statuses: bool = False) -> pd.DataFrame:
    """Canonical interactions (schema.INTERACTION_COLUMNS) from the configured source, streamed.

    With `all_statuses` every list row of animelist.csv is returned (the "seen" set); otherwise only
    rows whose status is in `data_cfg.list_statuses` (the rest counted as status_not_interaction).
    """
    folder = DataFolder.of(folder)
    source = SOURCES[interaction_source(folder, data_cfg)]
    statuses = data_cfg.list_statuses if source.has_statuses and not all_statuses else None
    return source.load(folder, data_cfg, report, catalog_ids=catalog_ids, statuses=statuses)


def load_watching_statuses(folder: Folder) -> dict[int, str]:
    """status code -> description from watching_status.csv (header `status, description`, with a space)."""
    path = DataFolder.of(folder).file(schema.WATCHING_STATUS_FILE)
    if not path.exists():
        log.warning("%s not found: using the documented status codes", path)
        return {status.value: status.kaggle_description for status in Status}
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skipinitialspace=True)
    raw.columns = [c.strip() for c in raw.columns]
    require_columns(path, list(raw.columns), ["status", "description"])
    codes = pd.to_numeric(raw["status"], errors="coerce")
    return {int(c): d.strip() for c, d in zip(codes, raw["description"], strict=True) if pd.notna(c)}
