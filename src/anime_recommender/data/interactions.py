"""Kaggle list files (rating_complete.csv, animelist.csv) streamed into the canonical interactions.

Interaction files are streamed chunk by chunk with pyarrow's CSV reader (the real animelist.csv has
109M rows), every column read as text and validated vectorised, so one bad row costs one row, never
the run. Each row read is kept or counted in the DataReport under a reason.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from tqdm.auto import tqdm

from anime_recommender.config import DataConfig
from anime_recommender.data import schema
from anime_recommender.data.files import ends_mid_line, read_header, require_columns, unreadable_csv
from anime_recommender.data.report import DataReport
from anime_recommender.data.statuses import Status

log = logging.getLogger(__name__)

_RATING_RANGE = {schema.RATING_COMPLETE_FILE: (1, 10), schema.ANIMELIST_FILE: (0, 10)}


def count_users(users: np.ndarray) -> int:
    """Distinct users; a cheap count of boundaries when the file is sorted by user (as Kaggle's are)."""
    if len(users) and np.all(users[1:] >= users[:-1]):
        return int((users[1:] != users[:-1]).sum()) + 1
    return len(pd.unique(users))


def select_statuses(frame: pd.DataFrame, statuses: Iterable[int], report: DataReport, *, file: str) -> pd.DataFrame:
    """Only the list rows whose watching status counts as an interaction (plan-to-watch does not)."""
    keep = frame["status"].isin(list(statuses)).to_numpy()
    report.add("status_not_interaction", int((~keep).sum()), file)
    return frame[keep].reset_index(drop=True)


def read_interaction_file(
    path: Path, kind: str, data_cfg: DataConfig, *, report: DataReport, catalog_ids: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Stream one interaction CSV (`kind` = its canonical name) into a validated canonical frame."""
    header = read_header(path)
    columns = schema.RATING_COMPLETE_HEADER if kind == schema.RATING_COMPLETE_FILE else schema.ANIMELIST_HEADER[:4]
    require_columns(path, header, columns)
    stream = _Stream(path.name, kind, _catalog_lookup(catalog_ids), data_cfg)
    bad_rows = _BadRowCounter()
    if ends_mid_line(path):
        log.warning("%s ends mid-line: the file looks cut short (its last row is incomplete); "
                    "the run is not published if it has shrunk more than data.max_shrink", path.name)
    with tqdm(total=_estimate_rows(path), unit="rows", unit_scale=True, desc=path.name,
              disable=None, leave=False) as bar:
        try:
            for batch in _open_reader(path, header, columns, chunk_rows=data_cfg.chunk_rows, bad_rows=bad_rows):
                bar.update(batch.num_rows)
                if not stream.add(batch):
                    break
        except pa.ArrowInvalid as exc:
            raise unreadable_csv(path, str(exc)) from None
    report.read(path.name, bad_rows.count)
    report.add("wrong_field_count", bad_rows.count, path.name)
    return stream.finish(report)


def _open_reader(path: Path, header: list[str], columns: list[str], *, chunk_rows: int,
                 bad_rows: _BadRowCounter) -> pacsv.CSVStreamingReader:
    """pyarrow streaming reader: every column as text, rows with a wrong field count skipped and counted."""
    block_size = int(min(max(chunk_rows * _mean_row_bytes(path), 1 << 14), 1 << 30))
    return pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=block_size),
        parse_options=pacsv.ParseOptions(invalid_row_handler=bad_rows, quote_char=False),  # ids only: a stray
        # quote must cost one row, not swallow the rest of the file into one field
        convert_options=pacsv.ConvertOptions(
            include_columns=columns, column_types={c: pa.string() for c in columns},
            strings_can_be_null=False, quoted_strings_can_be_null=False,
        ),
    )


class _BadRowCounter:
    """invalid_row_handler for pyarrow: skip rows with a wrong field count, counting them (thread-safe)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, row: pacsv.InvalidRow) -> str:
        with self._lock:
            self.count += 1
        log.debug("wrong field count (%d, expected %d) at line %s: %.80s",
                  row.actual_columns, row.expected_columns, row.number, row.text)
        return "skip"


def _mean_row_bytes(path: Path) -> float:
    """Mean bytes per line over the file's first 64 KiB (to size chunks in rows)."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    return max(len(head) / max(head.count(b"\n"), 1), 4.0)


def _estimate_rows(path: Path) -> int:
    """Approximate number of rows, for the progress bar."""
    return int(path.stat().st_size / _mean_row_bytes(path))


def _catalog_lookup(catalog_ids: Iterable[int] | None) -> np.ndarray | None:
    """Boolean table indexed by anime id (fast membership test for millions of rows)."""
    if catalog_ids is None:
        return None
    ids = np.fromiter(catalog_ids, dtype=np.int64)
    lookup = np.zeros(int(ids.max(initial=0)) + 2, dtype=bool)
    lookup[ids[ids >= 0]] = True
    return lookup


# exactly the texts pyarrow's string -> int64 cast accepts (it reads 0x-hex too), so that the fast
# path (cast the whole column) and the row-by-row fallback agree on every value
_INTEGER = r"^-?(?:[0-9]{1,18}|0[xX][0-9a-fA-F]{1,15})$"
_INT32_MAX = np.iinfo(np.int32).max
_KNOWN_STATUS = np.isin(np.arange(256), list(Status))  # lookup table by status code


def _parse_int(column: pa.Array) -> np.ndarray:
    """Text column -> integer numpy array; -1 where a value is not an integer (negatives fail later too)."""
    try:  # int32 first: half the memory traffic; anything that does not fit takes the int64 path
        return pc.cast(column, pa.int32()).to_numpy()
    except pa.ArrowInvalid:  # some value is not a number: find which, the rest still counts
        ok = pc.fill_null(pc.match_substring_regex(column, _INTEGER), False)
        return pc.cast(pc.if_else(ok, column, pa.scalar("-1")), pa.int64()).to_numpy()


def _has_duplicates(users: np.ndarray, anime: np.ndarray) -> bool:
    """Whether any (user, anime) pair repeats: one sort of a packed key (32-bit when ids allow)."""
    if len(users) < 2:
        return False
    low = users.min()
    if users.max() - low < 2**16 and anime.max() < 2**16:
        key = ((users - low).astype(np.uint32) << 16) | anime.astype(np.uint32)
    else:
        key = (users.astype(np.int64) << 32) | anime.astype(np.int64)
    key = np.sort(key)
    return bool((key[1:] == key[:-1]).any())


@dataclass
class _Stream:
    """State carried across chunks: caps, duplicate detection at chunk borders, output arrays."""

    file: str
    kind: str
    catalog: np.ndarray | None
    cfg: DataConfig
    rows: int = 0
    users: int = 0
    last_user: int = -1
    last_border_user: int = -1
    border_keys: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    sorted_by_user: bool = True
    parts: list[dict[str, np.ndarray]] = field(default_factory=list)
    drops: dict[str, int] = field(default_factory=dict)

    def add(self, batch: pa.RecordBatch) -> bool:
        """Validate one chunk and keep its good rows; False once a cap (max_rows/max_users) is reached."""
        cols = {name: _parse_int(batch.column(name)) for name in batch.schema.names}
        cols, more = self._cap(cols)
        self.rows += len(cols["user_id"])
        cols = _where(cols, self._valid(cols))
        cols = _where(cols, self._first_of_pairs(cols["user_id"], cols["anime_id"]))
        self.parts.append(_narrow(cols))
        return more

    def _cap(self, cols: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], bool]:
        """Cut the chunk at data.max_rows rows or at the first row of user max_users + 1."""
        n = len(cols["user_id"])
        stop = n
        if self.cfg.max_rows is not None:
            stop = min(stop, max(self.cfg.max_rows - self.rows, 0))
        if self.cfg.max_users is not None:
            stop = self._user_cap(cols["user_id"][:stop])
        if stop < n:
            return {k: v[:stop] for k, v in cols.items()}, False
        return cols, True

    def _user_cap(self, users: np.ndarray) -> int:
        """Rows of this chunk before the first row of user number max_users + 1 (file order)."""
        rows = np.flatnonzero(users >= 0)
        valid = users[rows]
        starts = rows[valid != np.r_[self.last_user, valid[:-1]]]
        room = self.cfg.max_users - self.users
        stop = int(starts[room]) if len(starts) > room else len(users)
        self.users += min(len(starts), room)
        kept = valid[rows < stop]
        self.last_user = int(kept[-1]) if len(kept) else self.last_user
        return stop

    def _valid(self, cols: dict[str, np.ndarray]) -> np.ndarray:
        """Mask of rows passing every check; the others counted under the first reason they fail."""
        low, high = _RATING_RANGE[self.kind]
        checks = [
            ("bad_id", (cols["user_id"] >= 0) & (cols["anime_id"] >= 0)
             & (cols["user_id"] <= _INT32_MAX) & (cols["anime_id"] <= _INT32_MAX)),
            ("bad_rating", (cols["rating"] >= low) & (cols["rating"] <= high)),
        ]
        if "watching_status" in cols:
            status = cols["watching_status"]
            clipped = np.clip(status, 0, 255)
            checks.append(("unknown_status", _KNOWN_STATUS[clipped] & (status == clipped)))
        if self.catalog is not None:
            anime = np.clip(cols["anime_id"], 0, len(self.catalog) - 1)
            checks.append(("anime_not_in_catalog", self.catalog[anime] & (cols["anime_id"] < len(self.catalog))))
        ok = np.ones(len(cols["user_id"]), dtype=bool)
        for reason, passed in checks:
            self._drop(reason, int((ok & ~passed).sum()))
            ok &= passed
        return ok

    def _first_of_pairs(self, users: np.ndarray, anime: np.ndarray) -> np.ndarray:
        """Mask keeping the first row of each (user, anime) pair, also across the previous chunk's border."""
        keys = (users.astype(np.int64) << 32) | anime.astype(np.int64)
        dup = np.zeros(len(keys), dtype=bool)
        if _has_duplicates(users, anime):
            dup = pd.Series(keys).duplicated().to_numpy()
        border = users == self.last_border_user  # rows of the user the previous chunk ended with
        if border.any():
            dup[border] |= np.isin(keys[border], self.border_keys)
        if len(users):
            self.sorted_by_user &= bool(users[0] >= self.last_border_user and np.all(users[1:] >= users[:-1]))
            tail = keys[users == users[-1]]
            self.border_keys = np.r_[self.border_keys, tail] if users[-1] == self.last_border_user else tail
            self.last_border_user = int(users[-1])
        self._drop("duplicate_pair", int(dup.sum()))
        return ~dup

    def _drop(self, reason: str, n: int) -> None:
        if n:
            self.drops[reason] = self.drops.get(reason, 0) + n

    def finish(self, report: DataReport) -> pd.DataFrame:
        """Concatenate the kept rows (global de-duplication if the file was not sorted by user)."""
        frame = _to_frame(self.parts)
        self.parts.clear()
        if not self.sorted_by_user:
            log.warning("%s is not sorted by user_id: checking duplicate pairs over the whole file", self.file)
            dup = frame.duplicated(["user_id", "anime_id"]).to_numpy()
            self._drop("duplicate_pair", int(dup.sum()))
            frame = frame[~dup].reset_index(drop=True)
        report.read(self.file, self.rows)
        for reason, n in self.drops.items():
            report.add(reason, n, self.file)
            log.warning("%s: %d rows dropped (%s)", self.file, n, reason)
        return frame


def _where(cols: dict[str, np.ndarray], keep: np.ndarray) -> dict[str, np.ndarray]:
    """The rows of every column where `keep` (no copy when every row is kept, the usual case)."""
    return cols if keep.all() else {k: v[keep] for k, v in cols.items()}


def _narrow(cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """int64 parse results -> the canonical compact dtypes (rating_complete rows are Completed)."""
    status = cols.get("watching_status")
    return {
        "user_id": cols["user_id"].astype(np.int32),
        "anime_id": cols["anime_id"].astype(np.int32),
        "rating": cols["rating"].astype(np.int8),
        "status": (np.full(len(cols["user_id"]), Status.COMPLETED, np.int8) if status is None
                   else status.astype(np.int8)),
    }


def _to_frame(parts: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """One frame from the chunk arrays, without an extra copy of the whole table."""
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in schema.INTERACTION_COLUMNS.items()})
    columns = {}
    for name in schema.INTERACTION_COLUMNS:
        columns[name] = np.concatenate([p.pop(name) for p in parts])
    return pd.DataFrame(columns, copy=False)