"""Read the Kaggle anime files into the canonical catalog and interaction frames (see schema.py).

Interaction files are streamed chunk by chunk with pyarrow's CSV reader (the real animelist.csv has
109M rows), every column read as text and validated vectorised, so one bad row costs one row, never
the run. Each row read is kept or counted in the DataReport under a reason.
"""
from __future__ import annotations

import codecs
import csv
import logging
import threading
from collections.abc import Iterable, Mapping
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
from anime_recommender.data.report import DataError, DataReport
from anime_recommender.data.titles import tidy_english

log = logging.getLogger(__name__)

__all__ = [
    "DataError",
    "interaction_source",
    "load_catalog",
    "load_interactions",
    "load_watching_statuses",
    "read_header",
    "select_statuses",
]

FileNames = Mapping[str, str]  # canonical Kaggle file name -> the name actually on disk
_RATING_RANGE = {schema.RATING_COMPLETE_FILE: (1, 10), schema.ANIMELIST_FILE: (0, 10)}
_STRING_COLUMNS = ["english_name", "japanese_name", "type", "premiered", "studios", "source", "mal_rating"]


# --- files and headers ---------------------------------------------------------------------------
def resolve(data_dir: Path, name: str, files: FileNames | None = None) -> Path:
    """Where a Kaggle file lives; `files` maps canonical names to other names (e.g. *_prefix.csv)."""
    return follow_link_placeholder(Path(data_dir) / (files or {}).get(name, name))


LINK_PLACEHOLDER_MAX_BYTES = 4096


def follow_link_placeholder(path: Path) -> Path:
    """The file a symlink placeholder names, else `path` itself.

    A symbolic link checked out or copied where links are not kept (git with core.symlinks=false,
    some archive and sync tools) becomes a small text file holding the target's path: a folder of
    links giving a slice the Kaggle names (`rating_complete.csv` -> `../rating_complete_prefix.csv`)
    would then fail with a baffling "missing columns" error. A one-line file whose text is a relative
    path to an existing file is read as that file (with a warning saying so).
    """
    try:
        if not path.is_file() or path.stat().st_size > LINK_PLACEHOLDER_MAX_BYTES:
            return path
        text = path.read_bytes().decode("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return path
    if not text or "\n" in text or "," in text or Path(text).is_absolute():
        return path
    target = (path.parent / text).resolve()
    if not target.is_file() or target == path.resolve():
        return path
    log.warning("%s holds only the path %r (a symlink stored as text): reading %s", path.name, text, target)
    return target


def read_header(path: Path) -> list[str]:
    """The header row of a CSV (a UTF-8 BOM and CRLF are tolerated); DataError when absent."""
    if not path.is_file():
        raise DataError(f"required data file not found: {path}")
    with path.open("rb") as handle:
        first = handle.readline(1 << 20)
    try:
        header = next(csv.reader([first.decode("utf-8-sig")]), None)
    except UnicodeDecodeError:
        raise DataError(f"{path.name} line 1: not UTF-8 text (binary garbage instead of a CSV header?)") from None
    if not header:
        raise DataError(f"{path.name}: file is empty, expected a header row")
    return header


def ends_mid_line(path: Path) -> bool:
    """True when a non-empty file does not end with a newline: its last row was probably cut."""
    with path.open("rb") as handle:
        if handle.seek(0, 2) == 0:
            return False
        handle.seek(-1, 2)
        return handle.read(1) not in (b"\n", b"\r")


def first_undecodable_line(path: Path, chunk: int = 1 << 20) -> int | None:
    """1-based line number of the first bytes that are not UTF-8 (None when the whole file decodes)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return lines + block[:max(exc.start, 0)].count(b"\n") + 1
            lines += block.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return lines + 1
    return None


def unreadable_csv(path: Path, reason: str) -> DataError:
    """The one-line error for a file the CSV parser gave up on: the first line that is not text, if any."""
    line = first_undecodable_line(path)
    if line is not None:
        return DataError(f"{path.name} line {line}: not UTF-8 text (binary garbage in a CSV file?)")
    return DataError(f"{path.name}: not a readable CSV ({reason.strip()})")


def require_columns(path: Path, header: list[str], required: Iterable[str]) -> None:
    """Raise DataError naming the file and the missing columns."""
    missing = [c for c in required if c not in header]
    if missing:
        raise DataError(f"{path.name}: missing column(s) {missing}; expected at least {list(required)}, "
                        f"found {header}")


# --- catalog -------------------------------------------------------------------------------------
_CATALOG_SOURCE_COLUMNS = [
    "MAL_ID", "Name", "Score", "Genres", "English name", "Japanese name", "Type", "Episodes", "Aired",
    "Premiered", "Studios", "Source", "Rating", "Members", "Popularity",
]


def load_catalog(data_dir: str | Path, report: DataReport, files: FileNames | None = None) -> pd.DataFrame:
    """The canonical catalog (schema.CATALOG_COLUMNS): anime.csv merged with its synopses."""
    data_dir = Path(data_dir)
    anime_path = resolve(data_dir, schema.ANIME_FILE, files)
    if not anime_path.exists():
        from anime_recommender.data import movielens

        if movielens.find_ratings(data_dir) is not None:
            return movielens.load_catalog(data_dir, report)
    raw = _read_text_table(anime_path, _CATALOG_SOURCE_COLUMNS, report, prefix="catalog")
    catalog = _to_catalog(raw)
    synopses = _read_synopses(resolve(data_dir, schema.SYNOPSIS_FILE, files), set(catalog["anime_id"]), report)
    catalog["synopsis"] = catalog["anime_id"].map(synopses).fillna("").astype("string")
    report.keep(anime_path.name, len(catalog))
    log.info("catalog: %d anime (%d with a synopsis, %d adult)", len(catalog), len(synopses),
             int(catalog["is_adult"].sum()))
    return catalog[list(schema.CATALOG_COLUMNS)].astype(schema.CATALOG_COLUMNS)


def _read_text_table(path: Path, required: list[str], report: DataReport, prefix: str) -> pd.DataFrame:
    """A small CSV read as text ('Unknown' kept as text); rows with a bad or repeated id are counted."""
    require_columns(path, read_header(path), required)
    if ends_mid_line(path):  # a cut catalog silently drops every interaction with the missing anime
        raise DataError(f"{path.name} line {_count_lines(path)}: the file ends mid-line (cut short?)")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", usecols=required)
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise unreadable_csv(path, str(exc).replace("Error tokenizing data. C error: ", "")) from None
    report.read(path.name, len(raw))
    ids = pd.to_numeric(raw["MAL_ID"], errors="coerce")
    bad = ids.isna() | (ids < 0) | (ids > np.iinfo(np.int32).max)
    report.add(f"{prefix}_bad_id", int(bad.sum()), path.name)
    raw = raw[~bad].assign(MAL_ID=ids[~bad].astype("int32"))
    dup = raw["MAL_ID"].duplicated()
    report.add(f"{prefix}_duplicate_id", int(dup.sum()), path.name)
    return raw[~dup].reset_index(drop=True)


def _count_lines(path: Path) -> int:
    """Number of lines (the last one counted without its newline)."""
    with path.open("rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b"")) + 1


def _known(values: pd.Series) -> pd.Series:
    """Text with anime.csv's 'Unknown' (and blanks) turned into <NA>."""
    values = values.astype("string").str.strip()
    return values.mask(values.isin([schema.MISSING, ""]))


def _to_catalog(raw: pd.DataFrame) -> pd.DataFrame:
    """Rename and type anime.csv's columns into the canonical ones."""
    genres = _known(raw["Genres"]).fillna("")
    frame = pd.DataFrame({
        "anime_id": raw["MAL_ID"],
        "name": raw["Name"].astype("string"),
        "english_name": _known(raw["English name"]),
        "japanese_name": _known(raw["Japanese name"]),
        "genres": genres,
        "type": _known(raw["Type"]),
        "episodes": pd.to_numeric(raw["Episodes"], errors="coerce").astype("Int32"),
        "year": _year(raw["Aired"], raw["Premiered"]),
        "premiered": _known(raw["Premiered"]),
        "aired_from": first_aired(raw["Aired"]),
        "studios": _known(raw["Studios"]),
        "source": _known(raw["Source"]),
        "mal_rating": _known(raw["Rating"]),
        "score": pd.to_numeric(raw["Score"], errors="coerce").astype("float32"),
        "members": pd.to_numeric(raw["Members"], errors="coerce").fillna(0).astype("int32"),
        "popularity": pd.to_numeric(raw["Popularity"], errors="coerce").fillna(0).astype("int32"),
    })
    frame["english_name"] = pd.array([tidy_english(e, n) for e, n in zip(
        frame["english_name"].tolist(), frame["name"].tolist(), strict=True)], dtype="string")
    frame["display_name"] = frame["english_name"].fillna(_known(frame["name"])).fillna(frame["japanese_name"])
    frame["display_name"] = frame["display_name"].fillna("Anime " + frame["anime_id"].astype("string"))
    is_hentai = genres.str.contains(rf"(?:^|, ){schema.ADULT_GENRE}(?:,|$)").fillna(False).astype(bool)
    frame["is_adult"] = (frame["mal_rating"] == schema.ADULT_RATING).fillna(False).astype(bool) | is_hentai
    return frame


def _year(aired: pd.Series, premiered: pd.Series) -> pd.Series:
    """First air year: the first 4-digit year in Aired, else in Premiered ('Spring 1998')."""
    pattern = r"((?:19|20)\d\d)"
    year = aired.astype("string").str.extract(pattern, expand=False)
    year = year.fillna(premiered.astype("string").str.extract(pattern, expand=False))
    return pd.to_numeric(year, errors="coerce").astype("Int16")


def first_aired(aired: pd.Series) -> pd.Series:
    """The start of MAL's Aired text as a sortable date: 'Apr 26, 1989 to ...' -> '1989-04-26',
    'Jul, 1992' -> '1992-07', '1990' -> '1990', 'Unknown' -> <NA> (franchise airing order)."""
    parts = aired.astype("string").str.extract(
        r"^\s*(?:(?P<mon>[A-Z][a-z]{2})\s*(?P<day>\d{1,2})?,?\s+)?(?P<year>(?:19|20)\d\d)")
    month = parts["mon"].map(_MONTHS, na_action="ignore").astype("string")
    day = parts["day"].astype("string").str.zfill(2)
    return (parts["year"] + ("-" + month).fillna("") + ("-" + day).where(month.notna()).fillna("")).astype("string")


_MONTHS = {m: f"{i:02d}" for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}


def _read_synopses(path: Path, catalog_ids: set[int], report: DataReport) -> pd.Series:
    """anime id -> synopsis from anime_with_synopsis.csv (column spelled `sypnopsis`); optional file."""
    if not path.exists():
        log.warning("%s not found: every synopsis will be empty (content similarity gets weaker)", path)
        return pd.Series(dtype="string")
    raw = _read_text_table(path, ["MAL_ID", "sypnopsis"], report, prefix="synopsis")
    known = raw["MAL_ID"].isin(catalog_ids)
    report.add("synopsis_not_in_catalog", int((~known).sum()), path.name)
    report.keep(path.name, int(known.sum()))
    raw = raw[known]
    return pd.Series(raw["sypnopsis"].str.strip().to_numpy(), index=raw["MAL_ID"].to_numpy(), dtype="string")


def load_watching_statuses(data_dir: str | Path, files: FileNames | None = None) -> dict[int, str]:
    """status code -> description from watching_status.csv (header `status, description`, with a space)."""
    path = resolve(Path(data_dir), schema.WATCHING_STATUS_FILE, files)
    if not path.exists():
        log.warning("%s not found: using the documented status codes", path)
        return dict(schema.WATCHING_STATUSES)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skipinitialspace=True)
    raw.columns = [c.strip() for c in raw.columns]
    require_columns(path, list(raw.columns), ["status", "description"])
    codes = pd.to_numeric(raw["status"], errors="coerce")
    return {int(c): d.strip() for c, d in zip(codes, raw["description"], strict=True) if pd.notna(c)}


# --- interactions --------------------------------------------------------------------------------
def interaction_source(data_dir: str | Path, data_cfg: DataConfig, files: FileNames | None = None) -> str:
    """Which file feeds the interactions: the configured source, or for `auto` the best one present."""
    data_dir = Path(data_dir)
    if data_cfg.source != "auto":
        return data_cfg.source
    if resolve(data_dir, schema.RATING_COMPLETE_FILE, files).exists():
        return "rating_complete"
    if resolve(data_dir, schema.ANIMELIST_FILE, files).exists():
        return "animelist"
    from anime_recommender.data import movielens

    if movielens.find_ratings(data_dir) is not None:
        return "movielens"
    raise DataError(f"{data_dir}: no interaction file found; expected {schema.RATING_COMPLETE_FILE} or "
                    f"{schema.ANIMELIST_FILE} (or MovieLens u.data / ratings.dat)")


def load_interactions(
    data_dir: str | Path, data_cfg: DataConfig, report: DataReport, catalog_ids: Iterable[int] | None = None,
    *, all_statuses: bool = False, files: FileNames | None = None,
) -> pd.DataFrame:
    """Canonical interactions (schema.INTERACTION_COLUMNS) from the configured source, streamed.

    With `all_statuses` every list row of animelist.csv is returned (the "seen" set); otherwise only
    rows whose status is in `data_cfg.list_statuses` (the rest counted as status_not_interaction).
    """
    data_dir = Path(data_dir)
    source = interaction_source(data_dir, data_cfg, files)
    if source == "movielens":
        from anime_recommender.data import movielens

        return movielens.load_interactions(data_dir, report, catalog_ids)
    name = schema.RATING_COMPLETE_FILE if source == "rating_complete" else schema.ANIMELIST_FILE
    path = resolve(data_dir, name, files)
    frame = read_interaction_file(path, name, data_cfg, report, catalog_ids)
    if source == "animelist" and not all_statuses:
        frame = select_statuses(frame, data_cfg.list_statuses, report, path.name)
    report.keep(path.name, len(frame))
    log.info("%s: %d interactions, %d users", path.name, len(frame), _count_users(frame["user_id"].to_numpy()))
    return frame


def _count_users(users: np.ndarray) -> int:
    """Distinct users; a cheap count of boundaries when the file is sorted by user (as Kaggle's are)."""
    if len(users) and np.all(users[1:] >= users[:-1]):
        return int((users[1:] != users[:-1]).sum()) + 1
    return len(pd.unique(users))


def select_statuses(frame: pd.DataFrame, statuses: Iterable[int], report: DataReport, file: str) -> pd.DataFrame:
    """Only the list rows whose watching status counts as an interaction (plan-to-watch does not)."""
    keep = frame["status"].isin(list(statuses)).to_numpy()
    report.add("status_not_interaction", int((~keep).sum()), file)
    return frame[keep].reset_index(drop=True)


def read_interaction_file(
    path: Path, kind: str, data_cfg: DataConfig, report: DataReport, catalog_ids: Iterable[int] | None = None,
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
            for batch in _open_reader(path, header, columns, data_cfg.chunk_rows, bad_rows):
                bar.update(batch.num_rows)
                if not stream.add(batch):
                    break
        except pa.ArrowInvalid as exc:
            raise unreadable_csv(path, str(exc)) from None
    report.read(path.name, bad_rows.count)
    report.add("wrong_field_count", bad_rows.count, path.name)
    return stream.finish(report)


def _open_reader(path: Path, header: list[str], columns: list[str], chunk_rows: int,
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
_KNOWN_STATUS = np.isin(np.arange(256), list(schema.WATCHING_STATUSES))  # lookup table by status code


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
    """int64 parse results -> the canonical compact dtypes (rating_complete rows get status 2)."""
    status = cols.get("watching_status")
    return {
        "user_id": cols["user_id"].astype(np.int32),
        "anime_id": cols["anime_id"].astype(np.int32),
        "rating": cols["rating"].astype(np.int8),
        "status": (np.full(len(cols["user_id"]), 2, np.int8) if status is None else status.astype(np.int8)),
    }


def _to_frame(parts: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """One frame from the chunk arrays, without an extra copy of the whole table."""
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in schema.INTERACTION_COLUMNS.items()})
    columns = {}
    for name in schema.INTERACTION_COLUMNS:
        columns[name] = np.concatenate([p.pop(name) for p in parts])
    return pd.DataFrame(columns, copy=False)
