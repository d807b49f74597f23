"""Which data a folder holds and the loader of each source: the one map from `data.source` to its reader.

A folder holds the Kaggle files (anime.csv with rating_complete.csv and/or animelist.csv) or MovieLens
ratings. `load_catalog` and `load_interactions` read whichever is there into the canonical frames
(schema.py); data/prepare.py asks the same map which files make a user's lists.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from anime_recommender.config import DataConfig
from anime_recommender.data import catalog, interactions, movielens, schema
from anime_recommender.data.files import FileNames, require_columns, resolve
from anime_recommender.data.report import DataError, DataReport
from anime_recommender.data.statuses import Status

log = logging.getLogger(__name__)

__all__ = ["SOURCES", "DataError", "Source", "has_data", "interaction_source", "load_catalog",
           "load_interactions", "load_watching_statuses"]


@dataclass(frozen=True)
class Source:
    """One place interactions come from: whether a folder has it, and how its rows are read."""

    present: Callable[[Path, FileNames | None], bool]
    load: Callable[..., pd.DataFrame]  # (data_dir, data_cfg, report, catalog_ids, *, statuses, files)
    has_statuses: bool      # rows carry MAL watching statuses: only data.list_statuses count as interactions
    lists: tuple[str, ...]  # the sources whose rows (every status) are a user's lists, first row of a pair wins


def _kaggle_present(file: str, data_dir: Path, files: FileNames | None) -> bool:
    return resolve(data_dir, file, files).exists()


def _kaggle_load(file: str, data_dir: Path, data_cfg: DataConfig, report: DataReport,
                 catalog_ids: Iterable[int] | None = None, *, statuses: Iterable[int] | None = None,
                 files: FileNames | None = None) -> pd.DataFrame:
    return interactions.load_list_file(resolve(data_dir, file, files), file, data_cfg, report, catalog_ids,
                                       statuses=statuses)


def _movielens_load(data_dir: Path, data_cfg: DataConfig, report: DataReport,
                    catalog_ids: Iterable[int] | None = None, **_: object) -> pd.DataFrame:
    return movielens.load_interactions(data_dir, report, catalog_ids)


_KAGGLE_LISTS = ("rating_complete", "animelist")
# data.source -> its loader; `auto` takes the first one present, in this order
SOURCES: dict[str, Source] = {
    "rating_complete": Source(partial(_kaggle_present, schema.RATING_COMPLETE_FILE),
                              partial(_kaggle_load, schema.RATING_COMPLETE_FILE), False, _KAGGLE_LISTS),
    "animelist": Source(partial(_kaggle_present, schema.ANIMELIST_FILE),
                        partial(_kaggle_load, schema.ANIMELIST_FILE), True, _KAGGLE_LISTS),
    "movielens": Source(lambda data_dir, files: movielens.find_ratings(data_dir) is not None, _movielens_load,
                        False, ("movielens",)),
}


def has_data(data_dir: Path) -> bool:
    """True when the folder holds Kaggle files (anime.csv) or MovieLens ratings."""
    return (data_dir / schema.ANIME_FILE).is_file() or SOURCES["movielens"].present(data_dir, None)


def load_catalog(data_dir: str | Path, report: DataReport, files: FileNames | None = None) -> pd.DataFrame:
    """The canonical catalog: anime.csv with its synopses, or MovieLens items when there is no anime.csv."""
    data_dir = Path(data_dir)
    anime_path = resolve(data_dir, schema.ANIME_FILE, files)
    if not anime_path.exists() and SOURCES["movielens"].present(data_dir, files):
        return movielens.load_catalog(data_dir, report)
    return catalog.load_catalog(anime_path, resolve(data_dir, schema.SYNOPSIS_FILE, files), report)


def interaction_source(data_dir: str | Path, data_cfg: DataConfig, files: FileNames | None = None) -> str:
    """Which source feeds the interactions: the configured one, or for `auto` the first one present."""
    data_dir = Path(data_dir)
    if data_cfg.source != "auto":
        return data_cfg.source
    found = next((name for name, source in SOURCES.items() if source.present(data_dir, files)), None)
    if found is None:
        raise DataError(f"{data_dir}: no interaction file found; expected {schema.RATING_COMPLETE_FILE} or "
                        f"{schema.ANIMELIST_FILE} (or MovieLens u.data / ratings.dat)")
    return found


def load_interactions(
    data_dir: str | Path, data_cfg: DataConfig, report: DataReport, catalog_ids: Iterable[int] | None = None,
    *, all_statuses: bool = False, files: FileNames | None = None,
) -> pd.DataFrame:
    """Canonical interactions (schema.INTERACTION_COLUMNS) from the configured source, streamed.

    With `all_statuses` every list row of animelist.csv is returned (the "seen" set); otherwise only
    rows whose status is in `data_cfg.list_statuses` (the rest counted as status_not_interaction).
    """
    source = SOURCES[interaction_source(data_dir, data_cfg, files)]
    statuses = data_cfg.list_statuses if source.has_statuses and not all_statuses else None
    return source.load(Path(data_dir), data_cfg, report, catalog_ids, statuses=statuses, files=files)


def load_watching_statuses(data_dir: str | Path, files: FileNames | None = None) -> dict[int, str]:
    """status code -> description from watching_status.csv (header `status, description`, with a space)."""
    path = resolve(Path(data_dir), schema.WATCHING_STATUS_FILE, files)
    if not path.exists():
        log.warning("%s not found: using the documented status codes", path)
        return {status.value: status.kaggle_description for status in Status}
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skipinitialspace=True)
    raw.columns = [c.strip() for c in raw.columns]
    require_columns(path, list(raw.columns), ["status", "description"])
    codes = pd.to_numeric(raw["status"], errors="coerce")
    return {int(c): d.strip() for c, d in zip(codes, raw["description"], strict=True) if pd.notna(c)}
