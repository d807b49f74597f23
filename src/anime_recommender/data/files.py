"""The Kaggle files on disk: where each lives (other names, link placeholders) and the checks every CSV gets
before it is read (a header, the required columns, text that decodes, a last line that is whole)."""
from __future__ import annotations

import codecs
import csv
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from anime_recommender.data.report import DataError

log = logging.getLogger(__name__)

FileNames = Mapping[str, str]  # canonical Kaggle file name -> the name actually on disk


@dataclass(frozen=True)
class DataFolder:
    """A data folder, and the names its Kaggle files have there when not the canonical ones (*_prefix.csv)."""

    path: Path
    names: FileNames = field(default_factory=dict)

    @classmethod
    def of(cls, folder: str | Path | DataFolder) -> DataFolder:
        """A folder given as a path reads the canonical file names."""
        return folder if isinstance(folder, DataFolder) else cls(Path(folder))

    def file(self, name: str) -> Path:
        """Where the Kaggle file `name` lives (a link placeholder followed)."""
        return follow_link_placeholder(self.path / self.names.get(name, name))


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



def count_lines(path: Path) -> int:
    """Number of lines (the last one counted without its newline)."""
    with path.open("rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b"")) + 1
