"""anime.csv and anime_with_synopsis.csv read into the canonical catalog (schema.CATALOG_COLUMNS): names
resolved, 'Unknown' made missing, the first air date made sortable, adult titles flagged."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from anime_recommender.data import schema
from anime_recommender.data.files import count_lines, ends_mid_line, read_header, require_columns, unreadable_csv
from anime_recommender.data.report import DataError, DataReport
from anime_recommender.data.titles import tidy_english

log = logging.getLogger(__name__)

_CATALOG_SOURCE_COLUMNS = [
    "MAL_ID", "Name", "Score", "Genres", "English name", "Japanese name", "Type", "Episodes", "Aired",
    "Premiered", "Studios", "Source", "Rating", "Members", "Popularity",
]


def load_catalog(anime_path: Path, synopsis_path: Path, report: DataReport) -> pd.DataFrame:
    """The canonical catalog (schema.CATALOG_COLUMNS): anime.csv merged with its synopses."""
    raw = _read_text_table(anime_path, _CATALOG_SOURCE_COLUMNS, report, prefix="catalog")
    catalog = _to_catalog(raw)
    synopses = _read_synopses(synopsis_path, set(catalog["anime_id"]), report)
    catalog["synopsis"] = catalog["anime_id"].map(synopses).fillna("").astype("string")
    report.keep(anime_path.name, len(catalog))
    log.info("catalog: %d anime (%d with a synopsis, %d adult)", len(catalog), len(synopses),
             int(catalog["is_adult"].sum()))
    return catalog[list(schema.CATALOG_COLUMNS)].astype(schema.CATALOG_COLUMNS)


def _read_text_table(path: Path, required: list[str], report: DataReport, *, prefix: str) -> pd.DataFrame:
    """A small CSV read as text ('Unknown' kept as text); rows with a bad or repeated id are counted."""
    require_columns(path, read_header(path), required)
    if ends_mid_line(path):  # a cut catalog silently drops every interaction with the missing anime
        raise DataError(f"{path.name} line {count_lines(path)}: the file ends mid-line (cut short?)")
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

