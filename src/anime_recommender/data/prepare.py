"""Make sure there is data to train on, and load it: the one entry point the training pipeline calls."""
from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from anime_recommender.config import Config
from anime_recommender.data import ingest, schema
from anime_recommender.data.interactions import select_statuses
from anime_recommender.data.report import DataError, DataReport
from anime_recommender.data.sample import SAMPLE_MARKER, generate_sample
from anime_recommender.data.seen import union_lists
from anime_recommender.data.statuses import Status

log = logging.getLogger(__name__)


def ensure_data(cfg: Config) -> Path:
    """The data folder; the embedded sample is generated there first if it is empty and that is allowed."""
    data_dir = Path(cfg.paths.data_dir)
    if ingest.has_data(data_dir):
        return data_dir
    if not cfg.data.generate_if_missing:
        raise DataError(f"{data_dir}: no data ({schema.ANIME_FILE} or MovieLens ratings) and "
                        "data.generate_if_missing is false")
    log.info("no data in %s: generating the embedded sample (%d users x %d anime, seed %d; made-up titles)",
                data_dir, cfg.sample.users, cfg.sample.anime, cfg.sample.seed)
    generate_sample(data_dir, users=cfg.sample.users, anime=cfg.sample.anime, seed=cfg.sample.seed)
    return data_dir


def load_dataset(cfg: Config) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, DataReport]:
    """(catalog, interactions, seen, report), what training needs; `seen` is the union of every list row
    of every user (data/seen.py): both Kaggle interaction files when present, every status."""
    data_dir = ensure_data(cfg)
    report = DataReport()
    catalog = ingest.load_catalog(data_dir, report)
    ids = catalog["anime_id"].to_numpy()
    name = ingest.interaction_source(data_dir, cfg.data)
    source = ingest.SOURCES[name]
    if any(ingest.SOURCES[other].has_statuses for other in source.lists):
        _log_statuses(data_dir, cfg)
    listed = ingest.load_interactions(data_dir, cfg.data, report, catalog_ids=ids, all_statuses=True)
    interactions = listed
    if source.has_statuses:  # animelist.csv: only data.list_statuses count as interactions
        interactions = select_statuses(listed, cfg.data.list_statuses, report, file=schema.ANIMELIST_FILE)
        report.rows_kept[schema.ANIMELIST_FILE] = len(interactions)  # the other statuses count as dropped
    seen = union_lists([listed if other == name else _other_lists(data_dir, cfg, ids, source=other)
                        for other in source.lists])
    if (data_dir / SAMPLE_MARKER).is_file():
        report.note("generated_sample", 1)  # the site says so on every page (web/demo.py)
    report.log_summary()
    return catalog, interactions, seen, report


def _other_lists(data_dir: Path, cfg: Config, ids, *, source: str) -> pd.DataFrame | None:
    """Every row of a list file training does not read (all statuses), for exclusion at serving.

    Read into its own report (logged): the run's report accounts for the interaction file only.
    """
    if not ingest.SOURCES[source].present(ingest.DataFolder(data_dir)):
        return None
    other_report = DataReport()
    rows = ingest.load_interactions(data_dir, cfg.replace("data", source=source).data, other_report, catalog_ids=ids,
                                    all_statuses=True)
    other_report.log_summary(logging.DEBUG)
    return rows


def _log_statuses(data_dir: Path, cfg: Config) -> None:
    """Say which watching statuses (watching_status.csv) count as interactions; warn on unknown codes."""
    in_file = ingest.load_watching_statuses(data_dir)
    unknown = [code for code in cfg.data.list_statuses if code not in in_file]
    if unknown:
        log.warning("data.list_statuses has codes not in %s: %s", schema.WATCHING_STATUS_FILE, unknown)
    log.info("list statuses counted as interactions: %s",
             ", ".join(Status.label_of(code) for code in cfg.data.list_statuses))
