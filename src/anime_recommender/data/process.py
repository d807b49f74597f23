"""Split per user, filter on the train side, encode ids to contiguous rows: interactions -> ProcessedData.

Order matters for leakage: the split comes FIRST, so the min-count filters and the id encodings only
ever see train rows; valid/test rows whose user or anime did not survive on the train side are dropped
(and counted). The filters are iterated to a fixed point (dropping anime can push a user under the
threshold and back), so every train user and anime meets both minimums.

holdout_fraction 0 gives an empty test set; validation_fraction still carves a valid set out of the
train side (training takes its epoch count from it, then fits again on train + valid: every row).

Cold protocol (evaluation of lists the model never trained on): with holdout_fraction > 0 a seeded share
`cold_user_fraction` of the users is held out of training entirely; each one's list is split into what
is served (`cold_given_fraction` of it, as an import would upload it) and what is scored (the rest), on
the anime training knows. Cold users are among `left_out` like any user training did not see.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from anime_recommender.config import ProcessingConfig
from anime_recommender.data.report import DataError, DataReport
from anime_recommender.data.seen import left_out, lookup, outside_model

log = logging.getLogger(__name__)

TRAIN, VALID, TEST, COLD = 0, 1, 2, 3
ENCODED_COLUMNS = {"user_idx": "int32", "anime_idx": "int32", "rating": "int8"}
_FRAMES = ("train", "valid", "test", "seen", "left_out", "outside", "cold_given", "cold_target")
_OPTIONAL = {"left_out", "outside", "cold_given", "cold_target"}  # absent from data processed by older code


@dataclass
class ProcessedData:
    """Model-ready data: contiguous rows for users/anime, the splits, and what serving must exclude."""

    user_ids: np.ndarray   # int64, row -> user id
    anime_ids: np.ndarray  # int64, row -> MAL anime id
    train: pd.DataFrame    # ENCODED_COLUMNS
    valid: pd.DataFrame
    test: pd.DataFrame
    catalog: pd.DataFrame  # the whole catalog, including anime the model never saw
    report: DataReport
    seen: pd.DataFrame     # every list row of the kept users on known anime (exclusion at serving)
    left_out: pd.DataFrame = None  # INTERACTION_COLUMNS: every list row of users training left out (fold-in)
    outside: pd.DataFrame = None   # INTERACTION_COLUMNS: kept users' list rows on anime the model lacks
    cold_ids: np.ndarray = None        # int64, cold row -> user id (users held out of training entirely)
    cold_given: pd.DataFrame = None    # ENCODED_COLUMNS, user_idx = cold row: the part of their list served
    cold_target: pd.DataFrame = None   # ENCODED_COLUMNS: the part scored

    def __post_init__(self):
        if self.cold_ids is None:
            self.cold_ids = np.empty(0, np.int64)
        empty = pd.DataFrame({c: pd.Series(dtype=t) for c, t in ENCODED_COLUMNS.items()})
        self.cold_given = empty if self.cold_given is None else self.cold_given
        self.cold_target = empty.copy() if self.cold_target is None else self.cold_target

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_anime(self) -> int:
        return len(self.anime_ids)


def process(interactions: pd.DataFrame, catalog: pd.DataFrame, proc_cfg: ProcessingConfig,
            *, report: DataReport, seen: pd.DataFrame | None = None) -> ProcessedData:
    """Split, filter, encode (see the module docstring); `seen` (the union of every list, data/seen.py)
    defaults to the interactions themselves."""
    user_column = interactions["user_id"].to_numpy()
    labels = split_labels(user_column, proc_cfg.holdout_fraction, proc_cfg.validation_fraction, seed=proc_cfg.seed)
    cold_ids = cold_users(user_column, proc_cfg.cold_user_fraction if proc_cfg.holdout_fraction > 0 else 0.0,
                          proc_cfg.seed)
    cold = np.isin(user_column, cold_ids)
    labels[cold] = COLD
    train = filter_min_counts(interactions[labels == TRAIN], proc_cfg.min_user_ratings,
                              proc_cfg.min_anime_ratings, report=report)
    if train.empty:
        raise DataError(f"no training rows left after min_user_ratings={proc_cfg.min_user_ratings} and "
                        f"min_anime_ratings={proc_cfg.min_anime_ratings} ({len(interactions)} interactions in)")
    user_ids = np.unique(train["user_id"].to_numpy()).astype(np.int64)
    anime_ids = np.unique(train["anime_id"].to_numpy()).astype(np.int64)
    data = ProcessedData(
        user_ids=user_ids, anime_ids=anime_ids,
        train=encode(train, user_ids, anime_ids),
        valid=encode(interactions[labels == VALID], user_ids, anime_ids, report=report, split="valid"),
        test=encode(interactions[labels == TEST], user_ids, anime_ids, report=report, split="test"),
        catalog=catalog, report=report,
        seen=encode(interactions if seen is None else seen, user_ids, anime_ids),
        left_out=left_out(interactions if seen is None else seen, user_ids),
        outside=outside_model(interactions if seen is None else seen, user_ids, anime_ids),
        cold_ids=cold_ids, **cold_lists(interactions[cold], cold_ids, anime_ids, proc_cfg=proc_cfg),
    )
    _note_sizes(data)
    return data


def split_labels(user_id: np.ndarray, holdout_fraction: float, validation_fraction: float, *,
                 seed: int) -> np.ndarray:
    """Per-user seeded split: floor(n*holdout) rows to TEST, floor(rest*validation) to VALID, rest TRAIN.

    Users with too few rows for a share of 1 keep everything in train.
    """
    n = len(user_id)
    order = np.lexsort((np.random.default_rng(seed).random(n), user_id))
    grouped = user_id[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]]) if n else np.empty(0, np.int64)
    sizes = np.diff(np.r_[starts, n])
    position = np.arange(n) - np.repeat(starts, sizes)
    n_test = np.floor(sizes * holdout_fraction).astype(np.int64)
    n_valid = np.floor((sizes - n_test) * validation_fraction).astype(np.int64)
    labels_sorted = np.where(position < np.repeat(n_test, sizes), TEST,
                             np.where(position < np.repeat(n_test + n_valid, sizes), VALID, TRAIN))
    labels = np.empty(n, dtype=np.int8)
    labels[order] = labels_sorted
    return labels


def cold_users(user_id: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """A seeded share of the distinct users (sorted ids), held out of training for the cold protocol."""
    users = np.unique(user_id)
    n = int(np.floor(len(users) * fraction))
    if n == 0:
        return np.empty(0, np.int64)
    return np.sort(np.random.default_rng([seed, 1]).choice(users, n, replace=False)).astype(np.int64)


def cold_lists(rows: pd.DataFrame, cold_ids: np.ndarray, anime_ids: np.ndarray, *,
               proc_cfg: ProcessingConfig) -> dict[str, pd.DataFrame]:
    """{cold_given, cold_target}: each cold user's rows on known anime, split per user (given / scored)."""
    frame = encode(rows, cold_ids, anime_ids)
    labels = split_labels(frame["user_idx"].to_numpy(), 1.0 - proc_cfg.cold_given_fraction, 0.0, seed=proc_cfg.seed)
    return {"cold_given": frame[labels == TRAIN].reset_index(drop=True),
            "cold_target": frame[labels == TEST].reset_index(drop=True)}


def filter_min_counts(train: pd.DataFrame, min_user: int, min_anime: int, *, report: DataReport) -> pd.DataFrame:
    """Drop users/anime with too few train rows, repeating until both minimums hold (a fixed point)."""
    users, anime = train["user_id"].to_numpy(), train["anime_id"].to_numpy()
    keep = np.ones(len(train), dtype=bool)
    while True:
        low_user = keep & (_counts_of(users, keep) < min_user)
        keep &= ~low_user
        low_anime = keep & (_counts_of(anime, keep) < min_anime)
        keep &= ~low_anime
        report.add("train_user_below_min_ratings", int(low_user.sum()))
        report.add("train_anime_below_min_ratings", int(low_anime.sum()))
        if not low_user.any() and not low_anime.any():
            return train[keep]


def _counts_of(keys: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """For each row, how many kept rows share its key."""
    _, inverse, counts = np.unique(keys[keep], return_inverse=True, return_counts=True)
    out = np.zeros(len(keys), dtype=np.int64)
    out[keep] = counts[inverse]
    return out


def encode(frame: pd.DataFrame, user_ids: np.ndarray, anime_ids: np.ndarray, *,
           report: DataReport | None = None, split: str = "") -> pd.DataFrame:
    """Ids -> contiguous rows; rows with a user or anime unknown to train are dropped (counted per split)."""
    user_idx, user_known = lookup(user_ids, frame["user_id"].to_numpy())
    anime_idx, anime_known = lookup(anime_ids, frame["anime_id"].to_numpy())
    if report is not None:
        report.add(f"{split}_user_not_in_train", int((~user_known).sum()))
        report.add(f"{split}_anime_not_in_train", int((user_known & ~anime_known).sum()))
    keep = user_known & anime_known
    return pd.DataFrame({
        "user_idx": user_idx[keep].astype(np.int32),
        "anime_idx": anime_idx[keep].astype(np.int32),
        "rating": frame["rating"].to_numpy()[keep].astype(np.int8),
    })


def _note_sizes(data: ProcessedData) -> None:
    """Record and log the processed sizes."""
    sizes = {"users": data.n_users, "anime": data.n_anime, "train_rows": len(data.train),
             "valid_rows": len(data.valid), "test_rows": len(data.test), "seen_rows": len(data.seen),
             "left_out_users": int(data.left_out["user_id"].nunique()), "left_out_rows": len(data.left_out),
             "cold_users": len(data.cold_ids), "cold_given_rows": len(data.cold_given),
             "cold_target_rows": len(data.cold_target)}
    for name, value in sizes.items():
        data.report.note(name, value)
    log.info("processed: %s", ", ".join(f"{k}={v}" for k, v in sizes.items()))


def save_processed(data: ProcessedData, directory: str | Path) -> Path:
    """Write ProcessedData as parquet / npy / json (no pickle)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name in _FRAMES:
        if getattr(data, name) is not None:
            getattr(data, name).to_parquet(directory / f"{name}.parquet", index=False)
    data.catalog.to_parquet(directory / "catalog.parquet", index=False)
    np.save(directory / "user_ids.npy", data.user_ids, allow_pickle=False)
    np.save(directory / "anime_ids.npy", data.anime_ids, allow_pickle=False)
    np.save(directory / "cold_ids.npy", data.cold_ids, allow_pickle=False)
    data.report.save(directory / "data_report.json")
    return directory


def load_processed(directory: str | Path) -> ProcessedData:
    """Read what save_processed wrote."""
    directory = Path(directory)
    if not (directory / "train.parquet").is_file():
        raise DataError(f"{directory}: no processed data (train.parquet missing)")
    frames = {name: pd.read_parquet(directory / f"{name}.parquet") for name in _FRAMES
              if (directory / f"{name}.parquet").is_file() or name not in _OPTIONAL}
    cold = directory / "cold_ids.npy"
    report = DataReport.from_dict(json.loads((directory / "data_report.json").read_text(encoding="utf-8")))
    return ProcessedData(
        user_ids=np.load(directory / "user_ids.npy", allow_pickle=False),
        anime_ids=np.load(directory / "anime_ids.npy", allow_pickle=False),
        cold_ids=np.load(cold, allow_pickle=False) if cold.is_file() else None,
        catalog=pd.read_parquet(directory / "catalog.parquet"), report=report, **frames,
    )
