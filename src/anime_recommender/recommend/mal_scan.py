"""The fields of a MyAnimeList export that expat has already checked, read in C (numpy over the bytes) instead
of one Python call per element; None whenever strict checks cannot prove it reads exactly what mal_export's
handler pass reads, which then reads the file instead.

What makes the scan exact: in a well-formed document every '<' opens markup unless it sits inside a CDATA
section, a comment or a processing instruction. So when each of those ends at the first '>' after it opens
(it holds no '<' or '>') and no tag has attributes or spaces, the '<' bytes are the tags, the first '>' after
each closes it, and counting opens and closes gives every element's depth. A field is read only when it is
plain text without references ('&') or one CDATA section, with no '\r' (expat rewrites newlines), and the
document is UTF-8 (its bytes are then its text).
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

LT, GT, SLASH, BANG, QUESTION, EQUALS, BRACKET, BRACKET_END, DASH = b"<>/!?=[]-"
CDATA, COMMENT, INSTRUCTION = 0, 1, 2  # the sections whose text may hold markup-like bytes
MAX_MARKS = 2**17  # '<' scanned at most (1,000 entries: ~51,000): ~10 arrays of 8 bytes a mark stay ~10 MiB
SPACE = np.zeros(256, dtype=bool)
SPACE[list(b" \t\r\n")] = True
_DECLARED = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']")


def columns(doc: bytes | bytearray, *, root: str, entry: str, fields: Sequence[str],
            max_entries: int) -> list[list[str]] | None:
    """Each field's text (as expat gives it) for every entry, one list per field; None when unsure."""
    if not _utf8(doc):
        return None
    arr = np.frombuffer(doc, dtype=np.uint8)
    marks = _marks(arr)
    if marks is None:
        return None
    starts, ends = _entries(arr, marks, root=root.encode(), entry=entry.encode(), max_entries=max_entries)
    if starts is None:
        return None
    marks["returns"], marks["references"] = _found(arr, doc, b"\r"), _found(arr, doc, b"&")
    out = []
    for name in fields:
        opening = np.flatnonzero(_named(arr, marks, name.encode()) & ~marks["end"])
        each = _one_child_each(marks, opening, starts=starts, ends=ends)
        text = _texts(arr, doc, marks, opening=opening) if each else None
        if text is None:
            return None
        out.append(text)
    return out


def _utf8(doc: bytes | bytearray) -> bool:
    """Whether expat read the document as UTF-8: no BOM but UTF-8's, no NUL (UTF-16/32), UTF-8 if declared."""
    head = doc[3:256] if doc.startswith(b"\xef\xbb\xbf") else doc[:256]
    if not head.lstrip(b" \t\r\n").startswith(b"<") or b"\x00" in doc:
        return False
    declared = _DECLARED.match(head)
    return declared is None or declared.group(1).lower() == b"utf-8"


def _marks(arr: np.ndarray) -> dict[str, np.ndarray] | None:
    """Every '<' of the document: where it is, where its markup stops (its '>'), whether it opens a section
    (CDATA, comment, instruction), an end tag or an empty tag (<x/>), the depth before it, where its name is;
    None when a section holds a '<', or a tag has attributes or spaces (they would break the counting)."""
    lt = np.flatnonzero(arr == LT)
    if lt.size > MAX_MARKS:
        return None
    gt = np.flatnonzero(arr == GT)
    after = arr[lt + 1]
    section = (after == BANG) | (after == QUESTION)
    kind = np.where(after == QUESTION, INSTRUCTION, np.where(arr[np.minimum(lt + 2, arr.size - 1)] == BRACKET,
                                                            CDATA, COMMENT))[section]
    if lt.size == gt.size and (lt < gt).all() and (gt[:-1] < lt[1:]).all():
        stop = gt  # '<' and '>' alternate: each '>' ends the markup its '<' opened
    else:  # a '>' in text or in a section: a tag stops at the first '>', a section at its own end
        stop = gt[np.searchsorted(gt, lt)]
        stop[section] = _section_stops(arr, gt, at=lt[section], kind=kind)
        if (stop[section] > np.append(lt, arr.size)[np.flatnonzero(section) + 1]).any():
            return None  # a '<' inside a section
    if (not _sections_end(arr, lt[section], stop=stop[section], kind=kind)
            or _attributes(arr, lt, stop=stop, section=section)):
        return None
    tag = ~section
    end, empty = (after == SLASH) & tag, (arr[stop - 1] == SLASH) & tag
    if (SPACE[arr[stop - 1 - empty]] & tag).any():
        return None  # <name >, <name />, </name >
    step = np.where(section, 0, np.where(end, -1, np.where(empty, 0, 1)))
    name = lt + 1 + end
    return {"at": lt, "stop": stop, "section": section, "end": end, "empty": empty,
            "depth": np.cumsum(step) - step, "name": name, "length": np.where(tag, stop - empty - name, -1)}


SHORTEST = np.array([11, 6, 3])  # by kind (CDATA, COMMENT, INSTRUCTION): from its '<' to its last '>', at least


def _section_stops(arr: np.ndarray, gt: np.ndarray, *, at: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """Where each section ends: the first ']]>', '-->' or '?>' after it opens (XML allows none inside);
    the document's end when there is none (expat refused that already)."""
    before, two_before = arr[np.maximum(gt - 1, 0)], arr[np.maximum(gt - 2, 0)]
    closers = {CDATA: (before == BRACKET_END) & (two_before == BRACKET_END),
               COMMENT: (before == DASH) & (two_before == DASH), INSTRUCTION: before == QUESTION}
    stop = np.full(at.size, arr.size, dtype=np.int64)
    for code, closer in closers.items():
        mine, ends = kind == code, np.append(gt[closer], arr.size)
        stop[mine] = ends[np.minimum(np.searchsorted(ends, at[mine] + SHORTEST[code]), ends.size - 1)]
    return stop


def _sections_end(arr: np.ndarray, at: np.ndarray, *, stop: np.ndarray, kind: np.ndarray) -> bool:
    """Whether each CDATA section, comment and processing instruction stops at its own end (']]>', '-->', '?>')."""
    stop = np.minimum(stop, arr.size - 1)
    before, two_before = arr[stop - 1], arr[stop - 2]
    ends = np.where(kind == CDATA, (before == BRACKET_END) & (two_before == BRACKET_END),
                    np.where(kind == COMMENT, (arr[at + 2] == DASH) & (before == DASH) & (two_before == DASH),
                             before == QUESTION))
    return bool((ends & (stop >= at + SHORTEST[kind])).all())


def _attributes(arr: np.ndarray, lt: np.ndarray, *, stop: np.ndarray, section: np.ndarray) -> bool:
    """Whether a tag has an attribute (an '=' between its '<' and the first '>' after it)."""
    equals = np.flatnonzero(arr == EQUALS)
    owner = np.searchsorted(lt, equals) - 1
    return bool(((owner >= 0) & ~section[owner] & (stop[owner] > equals)).any())


def _named(arr: np.ndarray, marks: dict[str, np.ndarray], name: bytes) -> np.ndarray:
    """Which tags (start or end) are named `name`."""
    mask = marks["length"] == len(name)
    candidates = np.flatnonzero(mask)
    letters = arr[marks["name"][candidates, None] + np.arange(len(name))]
    mask[candidates] = (letters == np.frombuffer(name, dtype=np.uint8)).all(axis=1)
    return mask


def _entries(arr: np.ndarray, marks: dict[str, np.ndarray], *, root: bytes, entry: bytes,
             max_entries: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Where each entry's start and end tag are, when the root is `root` and every entry sits directly under it,
    none empty, 1 to max_entries of them; (None, None) otherwise."""
    first = np.flatnonzero(~marks["section"])[0]
    named = _named(arr, marks, entry)
    opening, closing = named & ~marks["end"], named & marks["end"]
    starts, ends = marks["at"][opening], marks["at"][closing]
    if (not _named(arr, marks, root)[first] or marks["end"][first] or marks["empty"][first]
            or not 0 < starts.size <= max_entries or starts.size != ends.size or marks["empty"][opening].any()
            or (marks["depth"][opening] != 1).any() or (marks["depth"][closing] != 2).any()):
        return None, None
    return starts, ends


def _one_child_each(marks: dict[str, np.ndarray], opening: np.ndarray, *, starts: np.ndarray,
                    ends: np.ndarray) -> bool:
    """Whether each entry holds exactly one of these start tags, as its direct child, not empty, and nothing
    else does."""
    at = marks["at"][opening]
    return (at.size == starts.size and not marks["empty"][opening].any() and (marks["depth"][opening] == 2).all()
            and (starts < at).all() and (at < ends).all())


def _texts(arr: np.ndarray, doc: bytes | bytearray, marks: dict[str, np.ndarray], *,
           opening: np.ndarray) -> list[str] | None:
    """The elements' contents as expat's character data, when each is plain text (no '&': a reference) or one
    CDATA section; None when one holds other markup or a '\\r' (expat rewrites newlines)."""
    at, stop, end, section = marks["at"], marks["stop"], marks["end"], marks["section"]
    inner = opening + 1
    plain = end[inner]
    after_cdata = np.minimum(inner + 1, at.size - 1)
    wrapped = (section[inner] & (arr[at[inner] + 2] == BRACKET) & (at[inner] == stop[opening] + 1)
               & end[after_cdata] & (at[after_cdata] == stop[inner] + 1))
    if not (plain | wrapped).all():
        return None
    first = np.where(plain, stop[opening] + 1, at[inner] + 9)
    last = np.where(plain, at[inner], stop[inner] - 2)
    if _holds(marks["returns"], first, last) or _holds(marks["references"], first[plain], last[plain]):
        return None
    spans = zip(first.tolist(), last.tolist(), strict=True)
    return b"\0".join([doc[a:b] for a, b in spans]).decode().split("\0")  # NUL never occurs in XML


def _found(arr: np.ndarray, doc: bytes | bytearray, byte: bytes) -> np.ndarray:
    """Where `byte` occurs in the document (a C search first: usually nowhere)."""
    return np.flatnonzero(arr == byte[0]) if byte in doc else np.zeros(0, dtype=np.int64)


def _holds(where: np.ndarray, first: np.ndarray, last: np.ndarray) -> bool:
    """Whether any span [first, last) holds one of the positions `where`."""
    return bool(where.size) and bool((np.searchsorted(where, last) > np.searchsorted(where, first)).any())
