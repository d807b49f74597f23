"""Read a MyAnimeList list export (.xml or .xml.gz) into ListRows, refusing hostile files with a clear 4xx.

The format, as real exports (and AniList / Kitsu exporters) write it: root <myanimelist>, one <myinfo>,
then one <anime> per entry with <series_animedb_id>, <series_title> (CDATA), <my_score> (0 = not scored)
and <my_status> (a word, or MAL's numeric code). Parsed with defusedxml (no DTDs, no entity expansion, no
external references), entry by entry without building a tree, with the decompressed size and the entry
count capped, so no upload can make the server hang or run out of memory.
"""
from __future__ import annotations

import gzip
import io
import re
import zlib
from dataclasses import dataclass
from xml.parsers.expat import ExpatError
from xml.parsers.expat import errors as expat_errors

import numpy as np
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from anime_recommender.recommend.lists import (
    COMPLETED,
    DROPPED,
    ON_HOLD,
    PLAN_TO_WATCH,
    WATCHING,
    ListRows,
)

ROOT = "myanimelist"
ENTRY = "anime"
GZIP_MAGIC = b"\x1f\x8b"
_STATUS_WORDS = {"watching": WATCHING, "currentlywatching": WATCHING, "completed": COMPLETED,
                 "onhold": ON_HOLD, "dropped": DROPPED, "plantowatch": PLAN_TO_WATCH}
_STATUS_CODES = {str(code): code for code in (WATCHING, COMPLETED, ON_HOLD, DROPPED, PLAN_TO_WATCH)}
_NOT_LETTERS = re.compile(r"[^a-z]+")
_NOT_TAGS = re.compile(rb"<!--.*?-->|<\?.*?\?>|<!\[CDATA\[(.*?)\]\]>", re.S)
_ENTRY_START = re.compile(rb"<%s(?:\s[^>]*)?>" % ENTRY.encode())
_ENTRY_END = re.compile(rb"</%s\s*>" % ENTRY.encode())
_FIELDS = {name: re.compile(rb"<%s(?:\s[^>]*)?>([^<]*)</%s\s*>" % (name.encode(), name.encode()))
           for name in ("series_animedb_id", "my_score", "my_status")}
# expat's messages for input that stops while an element, tag, CDATA section or character is still open
_CUT_SHORT = {expat_errors.XML_ERROR_NO_ELEMENTS, expat_errors.XML_ERROR_UNCLOSED_TOKEN,
              expat_errors.XML_ERROR_UNCLOSED_CDATA_SECTION, expat_errors.XML_ERROR_PARTIAL_CHAR}


class ExportError(ValueError):
    """A file that is not a usable list export; `code` is the HTTP status to answer (400, or 413 for size)."""

    def __init__(self, message: str, code: int = 400):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ExportLimits:
    """What an upload may be: bytes as sent, bytes of XML once decompressed, <anime> entries."""

    max_bytes: int
    max_xml_bytes: int
    max_entries: int


@dataclass(frozen=True)
class MalExport:
    """The entries of one export: one row per distinct anime id, and how many entries were read."""

    rows: ListRows
    entries: int   # <anime> elements read
    skipped: int   # entries without a usable <series_animedb_id>


def read_export(data: bytes, limits: ExportLimits) -> MalExport:
    """Parse an uploaded export (plain or gzipped XML); ExportError says what is wrong with it."""
    if len(data) > limits.max_bytes:
        raise ExportError(f"the file is too large: at most {limits.max_bytes // 2**20} MB", 413)
    xml = _decompressed(data, limits.max_xml_bytes) if data.startswith(GZIP_MAGIC) else data
    if not xml.strip():
        raise ExportError("the file is empty: export your list from MyAnimeList (Profile → Export) and upload it")
    if len(xml) > limits.max_xml_bytes:
        raise ExportError(f"the list is too large: at most {limits.max_xml_bytes // 2**20} MB of XML", 413)
    return _entries(xml, limits.max_entries)


def _decompressed(data: bytes, cap: int) -> bytes:
    """The gzip's content, reading at most `cap` + 1 bytes of it (a gzip bomb stops there)."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            out = stream.read(cap + 1)
    except EOFError:
        raise ExportError("the .gz file is cut short (truncated download?): export your list again") from None
    except (OSError, zlib.error):
        raise ExportError("the .gz file is damaged: it does not decompress") from None
    if len(out) > cap:
        raise ExportError(f"the list is too large once decompressed: at most {cap // 2**20} MB of XML", 413)
    return out


def _validate(xml: bytes) -> None:
    """Parse the whole document with defusedxml's expat parser, keeping nothing: well-formed XML, no DTD, no
    entity declaration, no external reference, and a <myanimelist> root, or an exception.

    No per-element Python handler runs (only the root's): a 1,000-entry export has ~23,000 elements, and
    reading it with ElementTree costs 2.8x the CPU of this validation plus the field patterns
    (bench/import_parse.py).
    """
    expat = DefusedXMLParser(forbid_dtd=True).parser  # keeps defusedxml's DTD / entity / external guards

    def root(name: str, _attributes) -> None:
        if name != ROOT:
            raise ExportError(f"this XML is not a MyAnimeList export: its root is <{name[:40]}>, expected <{ROOT}>")
        expat.StartElementHandler = None

    for handler in ("EndElementHandler", "CharacterDataHandler", "DefaultHandlerExpand", "CommentHandler",
                    "ProcessingInstructionHandler"):
        setattr(expat, handler, None)  # ElementTree's tree building: nothing is kept
    expat.StartElementHandler = root
    expat.Parse(xml, True)


def _tags_only(xml: bytes) -> bytes:
    """The validated document with comments and processing instructions dropped and CDATA sections escaped:
    every '<' left opens a real tag, so the entry and field patterns below cannot be fooled by text."""
    return _NOT_TAGS.sub(lambda m: _escape(m.group(1)) if m.group(1) is not None else b"", xml)


def _ascii_compatible(xml: bytes) -> bytes:
    """A UTF-16 document (valid XML too) as UTF-8, so the byte patterns see its tags; others are unchanged."""
    return xml.decode("utf-16").encode() if xml.startswith((b"\xff\xfe", b"\xfe\xff")) else xml


def _escape(text: bytes) -> bytes:
    return text.replace(b"&", b"&amp;").replace(b"<", b"&lt;")


def _entries(xml: bytes, max_entries: int) -> MalExport:
    """The <anime> elements under a <myanimelist> root, as ListRows."""
    try:
        _validate(xml)
    except DefusedXmlException:
        raise ExportError("the file declares a DTD or entities, which a list export never does: refused") from None
    except ExpatError as exc:
        raise _parse_error(exc, xml) from None
    blocks = _entry_blocks(_tags_only(_ascii_compatible(xml)))
    if not blocks:
        raise ExportError("the list is empty: the export has no <anime> entries")
    if len(blocks) > max_entries:
        raise ExportError(f"the list has more than {max_entries} entries: at most {max_entries}", 413)
    ids, scores, statuses = [], [], []
    for block in blocks:
        anime_id = _int(_field("series_animedb_id", block), 2**31 - 1)
        if anime_id is not None:
            ids.append(anime_id)
            scores.append(_int(_field("my_score", block), 10) or 0)
            statuses.append(_status(_field("my_status", block)))
    return MalExport(_distinct(ids, scores, statuses), len(blocks), len(blocks) - len(ids))


def _entry_blocks(text: bytes) -> list[bytes]:
    """The content of each <anime> element (found with C-speed searches, not a lazy '.*?' over the file)."""
    blocks = []
    for start in _ENTRY_START.finditer(text):
        end = _ENTRY_END.search(text, start.end())
        if end is None:
            break
        blocks.append(text[start.end():end.start()])
    return blocks


def _field(name: str, block: bytes) -> str | None:
    """The text of one child element of an entry (entities are not expected in ids, scores or statuses)."""
    found = _FIELDS[name].search(block)
    return found.group(1).decode("utf-8", "replace") if found else None


def _distinct(ids: list[int], scores: list[int], statuses: list[int]) -> ListRows:
    """One row per anime id (the first entry wins)."""
    anime = np.asarray(ids, dtype=np.int64)
    _, first = np.unique(anime, return_index=True)
    keep = np.sort(first)
    return ListRows(anime[keep], np.asarray(scores, dtype=np.int8)[keep], np.asarray(statuses, dtype=np.int8)[keep])


def _int(text: str | None, high: int) -> int | None:
    """A whole number in [0, high] from an element's text, None when absent or anything else."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10 or int(text) > high:
        return None
    return int(text)


def _status(text: str | None) -> int:
    """MAL's status code from a word ('Plan to Watch', 'On-Hold') or a numeric code; 0 when unknown."""
    text = (text or "").strip()
    return _STATUS_CODES.get(text) or _STATUS_WORDS.get(_NOT_LETTERS.sub("", text.lower()), 0)


def _parse_error(exc: ExpatError, xml: bytes) -> ExportError:
    """A readable message for expat's error: not XML at all, cut short, or broken at a line."""
    line, column = exc.lineno, exc.offset
    if (line, column) == (1, 0) or not xml.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return ExportError("this file is not XML: upload the animelist_….xml.gz file MyAnimeList's export gives")
    if expat_errors.messages[exc.code] in _CUT_SHORT:
        return ExportError(f"the file ends too early (line {line}): it looks cut short; export your list again")
    return ExportError(f"the file is not well-formed XML (line {line}, column {column}): export your list again")
