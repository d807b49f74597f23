"""The hand-written MyAnimeList export fixture, and hostile files built around it for the parser and web tests."""
from __future__ import annotations

import functools
import gzip
import io
from pathlib import Path

from anime_recommender.config import load_config
from anime_recommender.recommend.mal_export import ExportLimits

FIXTURE = Path(__file__).with_name("exports") / "animelist_1700000000_-_test_fan.xml"
# what the fixture holds (tiny-run anime ids): 15 <anime> entries, one without an id, 106 listed twice
FIXTURE_ENTRIES, FIXTURE_SKIPPED = 15, 1
FIXTURE_IDS = [106, 108, 110, 112, 101, 103, 114, 116, 118, 900, 40748, 52991, 120]
PLANNED = (114, 116)            # Plan to Watch (numeric code 6, and the word)
NOT_IN_CATALOG = [40748, 52991]
UNSEEN_BY_MODEL_LIKED = 900     # scored 9, in the catalog, never seen by the model


def fixture_bytes() -> bytes:
    return FIXTURE.read_bytes()


def limits() -> ExportLimits:
    """The shipped config's limits (10 MB upload, 20 MB of XML, 5,000 entries)."""
    cfg = load_config(env={}).serving
    return ExportLimits(cfg.import_max_bytes, cfg.import_max_xml_bytes, cfg.import_max_entries)


def entries_xml(n: int, first_id: int = 100) -> bytes:
    """A minimal well-formed export of n entries."""
    entries = "".join(f"<anime><series_animedb_id>{first_id + i}</series_animedb_id><my_score>8</my_score>"
                      f"<my_status>Completed</my_status></anime>" for i in range(n))
    return f'<?xml version="1.0" encoding="UTF-8" ?><myanimelist><myinfo/>{entries}</myanimelist>'.encode()


def gzip_bomb(decompressed: int) -> bytes:
    """A valid-looking .xml.gz whose content decompresses to `decompressed` bytes (mostly spaces), made in chunks."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as stream:
        stream.write(b'<?xml version="1.0"?><myanimelist><myinfo/>')
        chunk = b" " * 2**20
        for _ in range(decompressed // len(chunk)):
            stream.write(chunk)
        stream.write(b"</myanimelist>")
    return out.getvalue()


def nested_bomb(depth: int) -> bytes:
    """The audit's 2 KB upload: `depth` <anime> nested in each other around 1.5 MB of comment, gzipped."""
    return gzip.compress(b"<myanimelist>" + b"<anime>" * depth + b"<series_animedb_id>1</series_animedb_id>"
                         b"<my_comments>" + b"x" * 1_500_000 + b"</my_comments>" + b"</anime>" * depth
                         + b"</myanimelist>", 9)


def empty_members(total: int) -> bytes:
    """A real export's gzip followed by empty gzip members up to `total` bytes (each costs gzip a restart)."""
    head = gzip.compress(entries_xml(3))
    empty = gzip.compress(b"")
    return head + empty * ((total - len(head)) // len(empty))


# name -> (file content, HTTP status, words the message must contain); contents are made on first use
HOSTILE = {
    "not xml": (lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)), 400, "not XML"),
    "plain text": (lambda: b"Cowboy Bebop, 10\nToradora, 9\n", 400, "not XML"),
    "wrong root": (lambda: b'<?xml version="1.0"?><html><body>hi</body></html>', 400, "root is <html>"),
    "truncated": (lambda: entries_xml(3)[:-40], 400, "cut short"),
    "broken in the middle": (lambda: entries_xml(3).replace(b"</my_score>", b"</my_scor>", 1), 400, "not well-formed"),
    "dtd with entities": (lambda: b'<?xml version="1.0"?><!DOCTYPE myanimelist [<!ENTITY lol "lol">]>'
                          b"<myanimelist>&lol;</myanimelist>", 400, "DTD"),
    "billion laughs": (lambda: b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                       + b"".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                                  .encode() for i in range(1, 10))
                       + b"]><myanimelist>&lol9;</myanimelist>", 400, "DTD"),
    "external entity": (lambda: b'<?xml version="1.0"?><!DOCTYPE myanimelist [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                        b"<myanimelist><anime><series_title>&xxe;</series_title></anime></myanimelist>", 400, "DTD"),
    "truncated gzip": (lambda: gzip.compress(entries_xml(50))[:-30], 400, "cut short"),
    "damaged gzip": (lambda: b"\x1f\x8b\x08\x00" + b"\x00" * 6 + b"not deflate data at all", 400, "damaged"),
    "gzip bomb": (lambda: gzip_bomb(64 * 2**20), 413, "too large once decompressed"),
    "truncated export": (lambda: FIXTURE.read_bytes()[:5000], 400, "cut short"),
    "over 10 MB": (lambda: b" " * (10 * 2**20 + 1), 413, "too large"),
    "too many entries": (lambda: entries_xml(5001), 413, "more than 5000 entries"),
    "empty file": (lambda: b"", 400, "empty"),
    "only whitespace": (lambda: b"  \n\t ", 400, "empty"),
    "nested anime (2 KB gzip)": (lambda: nested_bomb(800), 400, "inside another element"),
    "nested anime 2,000 deep": (lambda: nested_bomb(2000), 400, "inside another element"),
    "anime inside myinfo": (lambda: b"<myanimelist><myinfo><anime><series_animedb_id>1</series_animedb_id></anime>"
                            b"</myinfo></myanimelist>", 400, "inside another element"),
    "empty gzip members after the list": (lambda: empty_members(10 * 2**20 - 1024), 400, "data after its end"),
    "bytes after the gzip": (lambda: gzip.compress(entries_xml(3)) + b"garbage", 400, "data after its end"),
    "1.4M empty entries, 40 KiB gzip": (lambda: gzip.compress(b"<myanimelist>" + b"<anime></anime>" * 1_400_000
                                                             + b"</myanimelist>", 9), 413, "more than 5000"),
    "no entries": (lambda: b'<?xml version="1.0"?><myanimelist><myinfo><user_id>1</user_id></myinfo>'
                           b"</myanimelist>", 400, "no <anime> entries"),
}


@functools.cache
def hostile(name: str) -> tuple[bytes, int, str]:
    """(content, HTTP status, words of the message) of one hostile file."""
    make, code, words = HOSTILE[name]
    return make(), code, words
