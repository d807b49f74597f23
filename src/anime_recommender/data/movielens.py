"""MovieLens ratings (u.data, ratings.dat) and items (u.item, movies.dat) as the canonical frames.

MovieLens stars (1..5, half stars from ML-10M on) are doubled so they sit on the canonical 1..10
scale as integers; every rating counts as a completed list entry (Status.COMPLETED).
"""
from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from anime_recommender.data import schema
from anime_recommender.data.report import DataError, DataReport
from anime_recommender.data.statuses import Status

log = logging.getLogger(__name__)

RATING_FILES = ("u.data", "ratings.dat")
ITEM_FILES = ("u.item", "movies.dat")
U_ITEM_GENRES = [
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
]
_RATING_NAMES = ["user_id", "anime_id", "stars", "timestamp"]


def find_ratings(data_dir: str | Path) -> Path | None:
    """The MovieLens ratings file in `data_dir`, if any."""
    return next((Path(data_dir) / n for n in RATING_FILES if (Path(data_dir) / n).is_file()), None)


def _separated(path: Path, delimiter: str) -> io.BytesIO | Path:
    """ratings.dat / movies.dat use '::', which pyarrow cannot split on: rewrite it as a tab."""
    if path.suffix != ".dat":
        return path
    return io.BytesIO(path.read_bytes().replace(b"::", delimiter.encode()))


def load_interactions(data_dir: str | Path, report: DataReport,
                      catalog_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Canonical interactions from u.data (tab) or ratings.dat ('::'); bad rows counted, not fatal."""
    path = find_ratings(data_dir)
    if path is None:
        raise DataError(f"{data_dir}: no MovieLens ratings file; expected one of {list(RATING_FILES)}")
    table = pacsv.read_csv(
        _separated(path, "\t"),
        read_options=pacsv.ReadOptions(column_names=_RATING_NAMES),
        parse_options=pacsv.ParseOptions(delimiter="\t", invalid_row_handler=lambda row: "skip"),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in _RATING_NAMES}),
    )
    raw = table.to_pandas()
    report.read(path.name, _count_lines(path))
    report.add("wrong_field_count", _count_lines(path) - len(raw), path.name)
    frame = _validate(raw, report, file=path.name, catalog_ids=catalog_ids)
    report.keep(path.name, len(frame))
    log.info("%s: %d ratings, %d users, %d items", path.name, len(frame), frame["user_id"].nunique(),
             frame["anime_id"].nunique())
    return frame


def _count_lines(path: Path) -> int:
    """Non-empty lines (rows) of a small headerless file."""
    return sum(1 for line in path.read_bytes().splitlines() if line.strip())


def _validate(raw: pd.DataFrame, report: DataReport, *, file: str,
              catalog_ids: Iterable[int] | None) -> pd.DataFrame:
    """Numeric ids, stars in 0.5..5 doubled to 1..10, known items, first of repeated pairs."""
    users = pd.to_numeric(raw["user_id"], errors="coerce")
    items = pd.to_numeric(raw["anime_id"], errors="coerce")
    rating = pd.to_numeric(raw["stars"], errors="coerce") * 2
    checks = [
        ("bad_id", users.notna() & items.notna() & (users >= 0) & (items >= 0)),
        ("bad_rating", rating.between(1, 10) & (rating == rating.round())),
    ]
    if catalog_ids is not None:
        checks.append(("anime_not_in_catalog", items.isin(set(catalog_ids))))
    ok = pd.Series(True, index=raw.index)
    for reason, passed in checks:
        report.add(reason, int((ok & ~passed).sum()), file)
        ok &= passed
    frame = pd.DataFrame({"user_id": users[ok], "anime_id": items[ok], "rating": rating[ok],
                          "status": Status.COMPLETED})
    dup = frame.duplicated(["user_id", "anime_id"])
    report.add("duplicate_pair", int(dup.sum()), file)
    return frame[~dup].astype(schema.INTERACTION_COLUMNS).reset_index(drop=True)


def load_catalog(data_dir: str | Path, report: DataReport) -> pd.DataFrame:
    """Canonical catalog from u.item / movies.dat, or bare 'Item N' rows when only ratings exist."""
    data_dir = Path(data_dir)
    path = next((data_dir / n for n in ITEM_FILES if (data_dir / n).is_file()), None)
    if path is None:
        log.warning("%s: no u.item / movies.dat; the catalog will only have item ids", data_dir)
        ratings = load_interactions(data_dir, DataReport())
        items = pd.DataFrame({"anime_id": np.unique(ratings["anime_id"])})
        items = items.assign(name="Item " + items["anime_id"].astype(str), genres="", year=pd.NA)
    else:
        items = _read_u_item(path) if path.name == "u.item" else _read_movies_dat(path)
        report.read(path.name, len(items))
        items = items.drop_duplicates("anime_id")
        report.add("catalog_duplicate_id", report.rows_read[path.name] - len(items), path.name)
        report.keep(path.name, len(items))
    return _to_catalog(items)


def _read_u_item(path: Path) -> pd.DataFrame:
    """u.item: id|title|release date|video date|url|19 genre flags (latin-1)."""
    names = ["anime_id", "title", "date", "video_date", "url", *U_ITEM_GENRES]
    raw = pd.read_csv(path, sep="|", header=None, names=names, encoding="latin-1", dtype=str,
                      keep_default_na=False)
    flags = raw[U_ITEM_GENRES].apply(pd.to_numeric, errors="coerce").fillna(0).astype(bool).to_numpy()
    genres = [", ".join(g for g, on in zip(U_ITEM_GENRES, row, strict=False) if on and g != "unknown") for row in flags]
    year = _title_year(raw["title"]).fillna(
        pd.to_numeric(raw["date"].str.extract(r"(\d{4})", expand=False), errors="coerce"))
    return pd.DataFrame({"anime_id": pd.to_numeric(raw["anime_id"], errors="coerce"), "name": raw["title"],
                         "genres": genres, "year": year}).dropna(subset=["anime_id"])


def _read_movies_dat(path: Path) -> pd.DataFrame:
    """movies.dat: MovieID::Title::Genres (pipe-separated genres, latin-1)."""
    text = path.read_bytes().replace(b"::", b"\t").decode("latin-1")
    raw = pd.read_csv(io.StringIO(text), sep="\t", header=None, names=["anime_id", "title", "genres"],
                      dtype=str, keep_default_na=False, quoting=3)
    return pd.DataFrame({"anime_id": pd.to_numeric(raw["anime_id"], errors="coerce"), "name": raw["title"],
                         "genres": raw["genres"].str.replace("|", ", ", regex=False)
                         .replace("(no genres listed)", ""),
                         "year": _title_year(raw["title"])}).dropna(subset=["anime_id"])


def _title_year(titles: pd.Series) -> pd.Series:
    """The '(1995)' at the end of a MovieLens title."""
    return pd.to_numeric(titles.str.extract(r"\((\d{4})\)\s*$", expand=False), errors="coerce")


def _to_catalog(items: pd.DataFrame) -> pd.DataFrame:
    """MovieLens items in the canonical catalog columns (no adult titles, no synopses)."""
    n = len(items)
    frame = pd.DataFrame({
        "anime_id": items["anime_id"].astype("int32").to_numpy(),
        "name": items["name"].to_numpy(), "english_name": items["name"].to_numpy(),
        "japanese_name": pd.NA, "display_name": items["name"].to_numpy(),
        "genres": items["genres"].to_numpy(), "type": "Movie", "episodes": 1,
        "year": pd.to_numeric(items["year"], errors="coerce").to_numpy(), "premiered": pd.NA, "aired_from": pd.NA,
        "studios": pd.NA, "source": pd.NA, "mal_rating": pd.NA, "score": np.nan,
        "members": 0, "popularity": 0, "is_adult": np.zeros(n, dtype=bool), "synopsis": "",
    })
    return frame[list(schema.CATALOG_COLUMNS)].astype(schema.CATALOG_COLUMNS)
