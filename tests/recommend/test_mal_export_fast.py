"""The C-speed read of an export (expat without handlers, then mal_scan) against the handler pass: the same
MalExport or the same ExportError for realistic, odd, hostile and randomly mutated files, and the realistic
shape really read fast."""
from __future__ import annotations

import gzip
import re
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from anime_recommender.recommend import mal_export, mal_scan
from anime_recommender.recommend.mal_export import ExportError, ExportLimits, read_export
from tests.recommend.exports import HOSTILE, entries_xml, fixture_bytes, hostile, limits

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from serve import MAL_ENTRY, MAL_HEAD, export_xml  # noqa: E402

# titles as the catalogue has them ('&', '=', '[ ]', unicode), and a few no real title has
TITLES = {1: "Shingeki no Kyojin", 5: "Re:Zero kara Hajimeru Isekai Seikatsu", 6: "Fate/stay night [UBW]",
          7: "K-On!!", 8: "Neon Genesis Evangelion: Death & Rebirth", 9: "1+2=Paradise", 10: "進撃の巨人 — Ōkami",
          11: "]] ]", 12: "Ä" * 300, 13: "  spaced  ", 14: ""}
GT_TITLES = {**TITLES, 16: "Ran->Sem", 17: "]]]] ]]> a", 18: "a > b > c"}  # '>' in the CDATA (2 catalogue titles)
MARKUP_TITLES = {**GT_TITLES, 15: "Tom & Jerry <3"}  # '<' in the CDATA


def realistic(count: int = 40, seed: int = 0, titles: dict[int, str] = TITLES) -> bytes:
    """An export as bench/serve.py writes it (every tag MyAnimeList writes), the first titles odd ones."""
    rng = np.random.default_rng(seed)
    ids = np.concatenate([list(titles), rng.choice(np.arange(100, 50_000), count - len(titles), replace=False)])
    return export_xml(ids, rng, titles)


def outcome(data: bytes, cap: ExportLimits):
    """What read_export gives: the export's every field (arrays as lists, with dtypes), or the error."""
    try:
        export = read_export(data, cap)
    except ExportError as exc:
        return "refused", str(exc), exc.too_large
    rows = export.rows
    return ("read", [(a.tolist(), a.dtype) for a in (rows.anime_ids, rows.scores, rows.statuses)],
            export.entries, export.skipped, export.bad_scores, export.duplicates, export.titles)


def handler_outcome(data: bytes, cap: ExportLimits):
    """outcome() with the fast read switched off: the handler pass reads every file."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mal_export, "_fast_entries", lambda _chunks, _max_entries: None)
        return outcome(data, cap)


def fast(data: bytes, cap: ExportLimits) -> bool:
    """Whether the fast read takes this file (instead of handing it to the handler pass)."""
    return mal_export._fast_entries(mal_export.xml_chunks(data, cap), cap.max_entries) is not None


def entry(*fields: str, wrap: str = "{}") -> str:
    return wrap.format("<anime>" + "".join(fields) + "</anime>")


def f(tag: str, value: str) -> str:
    return f"<{tag}>{value}</{tag}>"


def plain(*entries: str, head: str = "<myanimelist><myinfo><user_id>1</user_id></myinfo>",
          tail: str = "</myanimelist>") -> bytes:
    return (head + "".join(entries) + tail).encode()


FULL = entry(f("series_animedb_id", "21"), f("series_title", "<![CDATA[One Piece]]>"), f("my_score", "9"),
             f("my_status", "Watching"))
ODD = {
    "realistic": lambda: realistic(),
    "realistic gzipped": lambda: gzip.compress(realistic(60, 1)),
    "realistic with '<' in titles": lambda: realistic(titles=MARKUP_TITLES),
    "realistic with '>' in titles": lambda: realistic(titles=GT_TITLES),
    "realistic with crlf": lambda: realistic().replace(b"\n", b"\r\n"),
    "realistic with a utf-8 bom": lambda: b"\xef\xbb\xbf" + realistic(),
    "realistic, no xml declaration": lambda: realistic().split(b"?>", 1)[1],
    "realistic, no myinfo": lambda: re.sub(rb"<myinfo>.*</myinfo>", b"", realistic(), flags=re.S),
    "realistic, myinfo in a comment": lambda: realistic().replace(b"<myinfo>", b"<!--").replace(b"</myinfo>", b"-->"),
    "realistic as utf-16": lambda: realistic().decode().replace('"UTF-8"', '"UTF-16"').encode("utf-16"),
    "realistic declared latin-1": lambda: realistic().decode().replace('"UTF-8"', '"ISO-8859-1"')
                                                    .replace(TITLES[10], "Café").encode("latin-1"),
    "realistic declared lowercase utf-8": lambda: realistic().replace(b'"UTF-8"', b"'utf-8'"),
    "fixture": fixture_bytes,
    "minimal": lambda: entries_xml(7),
    "a comment with fields inside the body": lambda: plain(FULL, "<!-- <anime>" + FULL + "<my_score>3</my_score> -->",
                                                            FULL.replace("21", "22")),
    "a comment inside an entry": lambda: plain(FULL.replace("<my_score>", "<!-- <my_score>1</my_score> --><my_score>")),
    "a comment inside a field": lambda: plain(FULL.replace("<my_score>9", "<my_score>9<!-- 1 -->")),
    "markup in a cdata comment": lambda: plain(FULL.replace("</anime>", "<my_comments><![CDATA[</anime><anime>"
                                                            "<series_animedb_id>4</series_animedb_id>]]></my_comments>"
                                                            "</anime>")),
    "markup in a cdata title": lambda: plain(FULL.replace("One Piece", "</series_title><my_score>1</my_score>")),
    "an instruction with markup": lambda: plain(FULL, "<?note <anime><my_score>2</my_score></anime> ?>", FULL),
    "an instruction inside an entry": lambda: plain(FULL.replace("<my_status>", "<?x y?><my_status>")),
    "entities in a plain title": lambda: plain(FULL.replace("<![CDATA[One Piece]]>", "Tom &amp; Jerry &lt;3&gt;")),
    "character references in the id and score": lambda: plain(FULL.replace(">21<", ">2&#49;<")
                                                                  .replace(">9<", ">&#x39;<")),
    "an ampersand in cdata": lambda: plain(FULL.replace("One Piece", "A &amp; B & C")),
    "a '>' in a cdata title": lambda: plain(FULL.replace("One Piece", "Ran->Sem")),
    "a '>' in plain text": lambda: plain(FULL.replace("<![CDATA[One Piece]]>", "a > b")),
    "a '>' inside a comment": lambda: plain(FULL, "<!-- a > b -->", FULL),
    "an '=' in plain text": lambda: plain(FULL.replace("<![CDATA[One Piece]]>", "a=b")),
    "a carriage return in a title": lambda: plain(FULL.replace("One Piece", "One\r\nPiece")),
    "a newline in a status": lambda: plain(FULL.replace(">Watching<", ">Plan to\nWatch<")),
    "spaces around a cdata title": lambda: plain(FULL.replace("<![CDATA[One Piece]]>", " <![CDATA[One Piece]]> ")),
    "two cdata sections in a title": lambda: plain(FULL.replace("<![CDATA[One Piece]]>",
                                                                "<![CDATA[One]]><![CDATA[ Piece]]>")),
    "an empty cdata title": lambda: plain(FULL.replace("One Piece", "")),
    "mixed plain and cdata titles": lambda: plain(FULL, FULL.replace("<![CDATA[One Piece]]>", "Naruto")),
    "empty fields": lambda: plain(FULL.replace(">9<", "><").replace(">Watching<", "><")),
    "a title longer than FIELD_CHARS": lambda: plain(FULL.replace("One Piece", "ワ" * 400)),
    "a nested anime": lambda: plain(FULL.replace("</anime>", "<tags><anime/></tags></anime>")),
    "an anime inside an anime": lambda: plain(FULL.replace("</anime>", FULL + "</anime>")),
    "an anime inside myinfo": lambda: plain(FULL, head="<myanimelist><myinfo>" + FULL + "</myinfo>"),
    "a field nested deeper": lambda: plain(FULL.replace("<my_score>9</my_score>", "<x><my_score>9</my_score></x>")),
    "a field nested deeper beside the real one": lambda: plain(FULL.replace("</anime>", "<x><my_score>2</my_score></x>"
                                                                            "</anime>")),
    "a field under myinfo": lambda: plain(FULL, head="<myanimelist><myinfo><my_score>1</my_score></myinfo>"),
    "a field after the entries": lambda: plain(FULL, "<my_score>1</my_score>"),
    "a missing field": lambda: plain(FULL, FULL.replace("<my_score>9</my_score>", "")),
    "a repeated field": lambda: plain(FULL.replace("</anime>", "<my_score>2</my_score></anime>")),
    "a repeated id": lambda: plain(FULL.replace("</anime>", "<series_animedb_id>5</series_animedb_id></anime>")),
    "an attribute on an entry": lambda: plain(FULL.replace("<anime>", '<anime kind="tv">')),
    "an attribute on a field": lambda: plain(FULL.replace("<my_score>", "<my_score v='1'>")),
    "an attribute holding a '>'": lambda: plain(FULL.replace("<my_score>", '<my_score v=">">')),
    "an attribute ending in '/>'": lambda: plain(FULL.replace("<my_score>9</my_score>",
                                                              '<x a="/>"><my_score>9</my_score></x>')),
    "an attribute on a field before a plain one": lambda: plain(FULL.replace("<my_score>", '<my_score a="1">5'
                                                                             "</my_score><my_score>")),
    "a spaced field before a plain one": lambda: plain(FULL.replace("<my_score>", "<my_score >5</my_score><my_score>")),
    "an attribute on the root": lambda: plain(FULL, head='<myanimelist version="1"><myinfo/>'),
    "a namespace on the root": lambda: plain(FULL, head='<myanimelist xmlns="urn:x"><myinfo/>'),
    "an unbound prefix": lambda: plain(FULL.replace("</anime>", "<x:tag>1</x:tag></anime>")),
    "a bound prefix": lambda: plain(FULL.replace("</anime>", "<x:tag>1</x:tag></anime>"),
                                    head='<myanimelist xmlns:x="urn:x"><myinfo/>'),
    "self-closing fields": lambda: plain(FULL.replace("<my_score>9</my_score>", "<my_score/>")),
    "a self-closing entry": lambda: plain(FULL, "<anime/>", FULL),
    "spaces in tags": lambda: plain(FULL.replace("<anime>", "<anime >").replace("</my_score>", "</my_score\n>")),
    "a space before a self-closing end": lambda: plain(FULL, "<other />"),
    "other empty elements": lambda: plain(FULL.replace("</anime>", "<my_rated/><my_tags/></anime>")),
    "an empty list": lambda: plain(),
    "an empty list, empty myinfo": lambda: b"<myanimelist><myinfo/></myanimelist>",
    "only an entry": lambda: b"<myanimelist>" + FULL.encode() + b"</myanimelist>",
    "root named anime": lambda: FULL.encode(),
    "a wrong root": lambda: plain(FULL, head="<mylist>", tail="</mylist>"),
    "a wrong root wrapped around the list": lambda: plain(FULL, head="<x><myanimelist>", tail="</myanimelist></x>"),
    "text between entries": lambda: plain(FULL, "words", FULL),
    "an entry with no fields": lambda: plain(FULL, "<anime>\n</anime>", FULL),
    "bad ids and scores": lambda: plain(FULL.replace(">21<", "> x <"), FULL.replace(">9<", ">11<"),
                                        FULL.replace(">9<", "> 7 ")),
    "duplicates": lambda: plain(FULL, FULL.replace(">9<", ">3<"), FULL.replace(">21<", "> 21 ")),
    "broken in the middle": lambda: plain(FULL, FULL.replace("</my_score>", "</my_scor>")),
    "cut short": lambda: plain(FULL, FULL)[:-30],
    "a dtd": lambda: b"<!DOCTYPE myanimelist []>" + plain(FULL),
    "the fixture's entry written by hand": lambda: (MAL_HEAD + MAL_ENTRY.format(id=5, title="T", score=7,
                                                                              status="Completed")
                                                   + "</myanimelist>").encode(),
    **{f"hostile: {name}": (lambda name=name: hostile(name)[0]) for name in HOSTILE
       if name not in ("gzip bomb", "over 10 MB", "empty gzip members after the list")},
}
NOT_FAST = {
    "realistic as utf-16", "realistic declared latin-1", "realistic with '<' in titles", "fixture",
    "realistic, myinfo in a comment", "a comment inside a field", "markup in a cdata comment",
    "markup in a cdata title",
    "an instruction with markup", "entities in a plain title", "character references in the id and score",
    "a carriage return in a title", "spaces around a cdata title", "two cdata sections in a title",
    "a field nested deeper", "a field under myinfo",
    "a missing field", "a repeated field", "an attribute on an entry", "self-closing fields", "spaces in tags",
    "an empty list", "root named anime", "a wrong root", "broken in the middle", "cut short", "a dtd"}


@pytest.mark.parametrize("name", list(ODD))
def test_the_fast_read_gives_what_the_handler_pass_gives(name):
    data = ODD[name]()
    assert outcome(data, limits()) == handler_outcome(data, limits())


@pytest.mark.parametrize("name", sorted(NOT_FAST))
def test_what_the_scan_cannot_prove_goes_to_the_handler_pass(name):
    assert not fast(ODD[name](), limits())


@pytest.mark.parametrize("name", ["realistic", "realistic gzipped", "realistic with crlf", "realistic with a utf-8 bom",
                                  "realistic, no myinfo", "realistic declared lowercase utf-8",
                                  "an ampersand in cdata", "a '>' in plain text", "a title longer than FIELD_CHARS",
                                  "an '=' in plain text", "other empty elements",
                                  "mixed plain and cdata titles", "realistic with '>' in titles",
                                  "a '>' in a cdata title", "a '>' inside a comment"])
def test_the_realistic_shape_is_read_fast(name):
    """The speed of the import rests on this: an export as MyAnimeList writes it never reaches the handler pass."""
    assert fast(ODD[name](), limits())


def test_a_realistic_1000_entry_export_is_read_fast_and_the_same():
    data = gzip.compress(realistic(1000, 3))
    assert fast(data, limits()) and outcome(data, limits()) == handler_outcome(data, limits())


def test_the_entry_cap_is_the_handler_pass_refusal():
    entries = len(TITLES) + 3
    data = realistic(entries, 4)
    at_cap, below = ExportLimits(2**20, 2**20, entries), ExportLimits(2**20, 2**20, entries - 1)
    assert fast(data, at_cap) and not fast(data, below)
    assert outcome(data, at_cap) == handler_outcome(data, at_cap)
    assert outcome(data, below) == handler_outcome(data, below) == (
        "refused", f"the list has more than {entries - 1} entries: at most {entries - 1}", True)


SNIPPETS = [b"<", b">", b"&", b"&amp;", b"&#55;", b"\r", b"\r\n", b" ", b"/", b"=", b'"', b"]]>", b"<![CDATA[x",
            b"<!-- ", b" -->", b"<?p ", b"?>", b"<anime>", b"</anime>", b"<anime/>", b"<my_score>", b"</my_score>",
            b"<my_score/>", b"<series_title>", b"</series_title>", b"<x>", b"</x>", b"<my_status>", b"9",
            b"<series_animedb_id>", b"</series_animedb_id>", b"\xc3\xa9", b"\xff", b"\x00", b"<x a='1'>", b"\t"]


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """One to three random edits: a snippet of markup inserted, a span deleted, or a span copied elsewhere."""
    for _ in range(rng.integers(1, 4)):
        at, kind = int(rng.integers(0, len(data))), rng.integers(0, 3)
        if kind == 0:
            data = data[:at] + SNIPPETS[rng.integers(len(SNIPPETS))] + data[at:]
        elif kind == 1:
            data = data[:at] + data[at + int(rng.integers(1, 40)):]
        else:
            start = int(rng.integers(0, len(data)))
            data = data[:at] + data[start:start + int(rng.integers(1, 200))] + data[at:]
    return data


def test_random_mutations_of_a_realistic_export_read_the_same_both_ways():
    rng = np.random.default_rng(15)
    base = realistic(len(TITLES) + 6, 5)
    cap, fast_reads = limits(), 0
    for _ in range(1000):
        data = mutate(base, rng)
        assert outcome(data, cap) == handler_outcome(data, cap), data
        fast_reads += fast(data, cap)
    assert fast_reads >= 20  # some mutants stay in the shape the scan reads (a text edit, whitespace)


def test_past_its_size_caps_the_fast_read_hands_over_to_the_handler_pass():
    """The fast read holds the whole XML: at most FAST_XML_BYTES of it and MAX_MARKS tags; past them the file is
    read by the handler pass (one chunk at a time), with the same result."""
    big = realistic(2300, 6)  # ~2.2 MB of XML
    assert len(big) > mal_export.FAST_XML_BYTES and not fast(gzip.compress(big), limits())
    many = plain(*[FULL.replace("</anime>", "<x/>" * 60 + "</anime>")] * 2100)  # ~0.6 MB, ~140,000 tags
    assert len(many) < mal_export.FAST_XML_BYTES and many.count(b"<") > mal_scan.MAX_MARKS
    assert not fast(many, limits())
    for data in (gzip.compress(big), many):
        assert outcome(data, limits()) == handler_outcome(data, limits())


@pytest.mark.parametrize("shape", ["realistic", "tiny tags"])
def test_the_fast_read_at_its_caps_holds_a_few_times_its_xml(shape):
    """deploy.md's per-upload memory term (3x the 10 MiB upload limit) holds with the fast read at its largest."""
    xml = (realistic(2000, 7) if shape == "realistic"
           else plain(*[entry(f("series_animedb_id", "1"), f("series_title", "t"), f("my_score", "1"),
                              f("my_status", "1"), "<x/>" * 40)] * 2400))
    data = gzip.compress(xml)
    assert fast(data, limits())
    tracemalloc.start()
    try:
        read_export(data, limits())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 12 * 2**20, f"{peak / 2**20:.1f} MiB traced reading {len(xml) / 2**20:.1f} MiB of XML"
