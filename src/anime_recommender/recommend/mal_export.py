"""Read a MyAnimeList list export (.xml or .xml.gz) into ListRows, refusing hostile files with a clear message.

The format, as real exports (and AniList / Kitsu exporters) write it: root <myanimelist>, one <myinfo>,
then one <anime> per entry with <series_animedb_id>, <series_title> (CDATA), <my_score> (0 = not scored)
and <my_status> (a word, or MAL's numeric code). The gzip is inflated one chunk at a time (one member, at
most max_xml_bytes), and the XML read in one of two passes, both behind defusedxml's expat parser (no DTDs,
no entity expansion, no external references):

- the fast read, for an export in the shape MyAnimeList writes: the chunks are gathered (the entry count and
  a second <anime> opened before the first closed stop it early), expat checks the whole text with no Python
  handler, then recommend/mal_scan.py reads the four fields in C and proves it read what the handler pass
  would (UTF-8, every entry directly under the root, each field once per entry, no markup or reference in a
  field); anything it cannot prove, and every file expat or a limit refuses, goes to
- the handler pass: each chunk parsed as it arrives, Python start / end handlers keeping only the open
  entry's fields, so the nesting, the entry count and the size are refused as soon as they break a rule, with
  the message that says why. No upload can make the server hang or run out of memory.
"""
from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from xml.parsers.expat import ExpatError
from xml.parsers.expat import errors as expat_errors

import numpy as np
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from anime_recommender.data.statuses import Status
from anime_recommender.recommend import mal_scan
from anime_recommender.recommend.lists import ListRows

ROOT = "myanimelist"
ENTRY = "anime"
FIELDS = {"series_animedb_id": 0, "my_score": 1, "my_status": 2, "series_title": 3}  # the fields read
MAX_SCORE = 10
MAX_ID = 2**31 - 1
GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 64 * 1024       # bytes inflated and parsed per step
FIELD_CHARS = 256       # characters kept of one field's text (the longest 2020 title has 114)
FAST_XML_BYTES = 2**21  # XML the fast read gathers at most (1,000 entries: ~1 MB); more: the handler pass, which
                        # holds one chunk (deploy.md's per-upload memory term: 3x the upload limit)
# expat's messages for input that stops while an element, tag, CDATA section or character is still open
_CUT_SHORT = {expat_errors.XML_ERROR_NO_ELEMENTS, expat_errors.XML_ERROR_UNCLOSED_TOKEN,
              expat_errors.XML_ERROR_UNCLOSED_CDATA_SECTION, expat_errors.XML_ERROR_PARTIAL_CHAR}


class ExportError(ValueError):
    """A file that is not a usable list export; `too_large` when it broke a size limit (bytes, XML, entries)."""

    def __init__(self, message: str, *, too_large: bool = False):
        super().__init__(message)
        self.too_large = too_large


@dataclass(frozen=True)
class ExportLimits:
    """What an upload may be: bytes as sent, bytes of XML once decompressed, <anime> entries."""

    max_bytes: int
    max_xml_bytes: int
    max_entries: int


@dataclass(frozen=True)
class MalExport:
    """The entries of one export: one row per distinct anime id, and what was read but not used as sent."""

    rows: ListRows
    entries: int         # <anime> elements read
    skipped: int         # entries without a usable <series_animedb_id>
    bad_scores: int = 0  # scores that are not a whole number 0-10 (11, -1, 7.5): read as "not scored"
    duplicates: int = 0  # entries repeating an anime id already listed (the first one is used)
    titles: tuple[tuple[int, str], ...] = ()  # (id, <series_title>) of the entries that have both


def read_export(data: bytes, limits: ExportLimits) -> MalExport:
    """Parse an uploaded export (plain or gzipped XML); ExportError says what is wrong with it."""
    if len(data) > limits.max_bytes:
        raise ExportError(f"the file is too large: at most {limits.max_bytes // 2**20} MB", too_large=True)
    if not data.strip():
        raise ExportError("the file is empty: export your list from MyAnimeList (Profile → Export) and upload it")
    entries = _fast_entries(xml_chunks(data, limits), limits.max_entries)
    return _read_entries(xml_chunks(data, limits), limits.max_entries) if entries is None else _export(entries)


def xml_chunks(data: bytes, limits: ExportLimits) -> Iterator[bytes]:
    """The upload's XML a chunk at a time: inflated when gzipped, within the limits either way."""
    return _inflated(data, limits.max_xml_bytes) if data.startswith(GZIP_MAGIC) else _plain(data, limits)


def _fast_entries(chunks: Iterator[bytes], max_entries: int) -> list[tuple[str, ...]] | None:
    """The entries read in C (expat without handlers, then mal_scan); None sends the file to the handler pass."""
    doc = _validated(chunks, max_entries)
    return None if doc is None else _scanned(doc, max_entries)


def _expat():
    """defusedxml's expat parser with ElementTree's tree building removed: nothing is kept (the DTD guards stay)."""
    expat = DefusedXMLParser(forbid_dtd=True).parser
    for name in ("StartElementHandler", "EndElementHandler", "CharacterDataHandler", "DefaultHandlerExpand",
                 "CommentHandler", "ProcessingInstructionHandler", "StartNamespaceDeclHandler",
                 "EndNamespaceDeclHandler"):
        setattr(expat, name, None)
    return expat


def _validated(chunks: Iterator[bytes], max_entries: int) -> bytearray | None:
    """The whole XML (at most FAST_XML_BYTES) when expat with no handler finds it well-formed and DTD-free; None
    as soon as it is not, breaks a limit, or opens too many <anime> or two at once (the bombs stop early)."""
    doc, opened, closed = bytearray(), 0, 0
    try:
        for chunk in chunks:
            seen = len(doc)
            if seen + len(chunk) > FAST_XML_BYTES:
                return None
            doc += chunk
            opened += doc.count(b"<" + ENTRY.encode(), max(0, seen - len(ENTRY)))
            closed += doc.count(b"</" + ENTRY.encode(), max(0, seen - len(ENTRY) - 1))
            if opened > max_entries or opened - closed > 1:
                return None
        _expat().Parse(doc, True)  # the whole text at once: fed 64 KiB at a time expat ran ~30 % slower
    except (ExportError, ExpatError, DefusedXmlException):
        return None
    return doc


def _scanned(doc: bytearray, max_entries: int) -> list[tuple[str, ...]] | None:
    """The entries' FIELDS read by mal_scan (C speed), at most FIELD_CHARS each; None when it cannot be sure."""
    texts = mal_scan.columns(doc, root=ROOT, entry=ENTRY, fields=list(FIELDS), max_entries=max_entries)
    if texts is None:
        return None
    return list(zip(*([t[:FIELD_CHARS] for t in text] if max(map(len, text)) > FIELD_CHARS else text
                      for text in texts), strict=True))


def _plain(data: bytes, limits: ExportLimits) -> Iterator[bytes]:
    """An uncompressed upload, in parser-sized chunks."""
    if len(data) > limits.max_xml_bytes:
        raise ExportError(f"the list is too large: at most {limits.max_xml_bytes // 2**20} MB of XML", too_large=True)
    for start in range(0, len(data), CHUNK):
        yield data[start:start + CHUNK]


def _inflated(data: bytes, cap: int) -> Iterator[bytes]:
    """The gzip's content one chunk at a time: ONE member (data after it refused), at most `cap` bytes.
    The input is fed a chunk at a time too, so what zlib holds back (`unused_data`) stays small."""
    inflate = zlib.decompressobj(wbits=31)  # 31: a gzip header and trailer, one member
    total = fed = 0
    while fed < len(data) and not inflate.eof:
        piece, fed = data[fed:fed + CHUNK], fed + CHUNK
        for out in _drained(inflate, piece):
            total += len(out)
            if total > cap:
                raise ExportError(f"the list is too large once decompressed: at most {cap // 2**20} MB of XML",
                                  too_large=True)
            yield out
    if not inflate.eof:
        raise ExportError("the .gz file is cut short (truncated download?): export your list again")
    if inflate.unused_data or fed < len(data):
        raise ExportError("the .gz file has data after its end (a list export is one compressed file): "
                          "export your list again")


def _drained(inflate, piece: bytes) -> Iterator[bytes]:
    """Everything one piece of input inflates to, at most CHUNK bytes per step."""
    while not inflate.eof:
        try:
            out = inflate.decompress(piece, CHUNK)
        except zlib.error:
            raise ExportError("the .gz file is damaged: it does not decompress") from None
        piece = inflate.unconsumed_tail
        yield out
        if not piece and len(out) < CHUNK:
            return


def _read_entries(chunks: Iterator[bytes], max_entries: int) -> MalExport:
    """Feed the chunks to defusedxml's expat parser, keeping only the open entry's three fields."""
    expat = _expat()
    entries: list[list[str | None]] = []
    expat.StartElementHandler, expat.EndElementHandler = _handlers(expat, entries, max_entries)
    head = b""
    try:
        for chunk in chunks:
            head = head or chunk[:64]
            expat.Parse(chunk, False)
        expat.Parse(b"", True)
    except DefusedXmlException:
        raise ExportError("the file declares a DTD or entities, which a list export never does: refused") from None
    except ExpatError as exc:
        raise _parse_error(exc, head) from None
    if not entries:
        raise ExportError("the list is empty: the export has no <anime> entries")
    return _export(entries)


def _handlers(expat, entries: list[list[str | None]], max_entries: int):
    """expat's start and end handlers: depth counted, entries refused when nested or past the cap, and the
    text of the open entry's FIELDS (at most FIELD_CHARS each) appended to `entries` as each entry closes.
    Closures over plain locals: they run for every element, ~25 per entry."""
    depth, field, entry, text = 0, -1, None, []

    def keep_text(data: str) -> None:
        if len(text) < FIELD_CHARS:
            text.extend(data[:FIELD_CHARS])

    def start(name: str, _attributes) -> None:
        nonlocal depth, field, entry
        depth += 1
        if depth == 3:
            if name == ENTRY:
                raise _nested()
            field = FIELDS.get(name, -1) if entry is not None else -1
            if field >= 0:
                text.clear()
                expat.CharacterDataHandler = keep_text
        elif depth == 2:
            if name == ENTRY and len(entries) >= max_entries:
                raise ExportError(f"the list has more than {max_entries} entries: at most {max_entries}",
                                  too_large=True)
            entry = [None] * len(FIELDS) if name == ENTRY else None
        elif depth == 1:
            if name != ROOT:
                raise ExportError(f"this XML is not a MyAnimeList export: its root is <{name[:40]}>, "
                                  f"expected <{ROOT}>")
        elif name == ENTRY:
            raise _nested()

    def end(_name: str) -> None:
        nonlocal depth, field, entry
        depth -= 1
        if field >= 0 and depth == 2:
            if entry[field] is None:
                entry[field] = "".join(text[:FIELD_CHARS])
            field = -1
            expat.CharacterDataHandler = None
        elif depth == 1 and entry is not None:
            entries.append(entry)
            entry = None

    return start, end


def _nested() -> ExportError:
    return ExportError("an <anime> entry is inside another element: in an export every <anime> sits directly "
                       "under <myanimelist>; export your list again")


def _export(entries: list) -> MalExport:
    """The read entries as rows: ids checked, scores in 0-10 (others counted), statuses decoded (each distinct
    score and status text parsed once: a list has a dozen of them)."""
    scores_read = {text: (_int(text, MAX_SCORE), bool((text or "").strip())) for text in {e[1] for e in entries}}
    statuses_read = {text: Status.parse(text) for text in {e[2] for e in entries}}
    ids, scores, statuses, titles, bad_scores = [], [], [], [], 0
    for anime_id, score, status, title in entries:
        anime_id = _int(anime_id, MAX_ID)
        if anime_id is None:
            continue
        if title and title.strip():
            titles.append((anime_id, title.strip()))
        value, written = scores_read[score]
        bad_scores += value is None and written
        ids.append(anime_id)
        scores.append(value or 0)
        statuses.append(statuses_read[status])
    rows = _distinct(ids, scores, statuses)
    return MalExport(rows, len(entries), len(entries) - len(ids), bad_scores, len(ids) - len(rows), tuple(titles))


def _distinct(ids: list[int], scores: list[int], statuses: list[int]) -> ListRows:
    """One row per anime id (the first entry wins; MalExport.duplicates counts the others)."""
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


def _parse_error(exc: ExpatError, head: bytes) -> ExportError:
    """A readable message for expat's error: not XML at all, cut short, or broken at a line."""
    line, column = exc.lineno, exc.offset
    if (line, column) == (1, 0) or not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"<", b"\xff\xfe", b"\xfe\xff")):
        return ExportError("this file is not XML: upload the animelist_….xml.gz file MyAnimeList's export gives")
    if expat_errors.messages[exc.code] in _CUT_SHORT:
        return ExportError(f"the file ends too early (line {line}): it looks cut short; export your list again")
    return ExportError(f"the file is not well-formed XML (line {line}, column {column}): export your list again")
