"""Parsing a MyAnimeList export: read_export beside the straightforward defusedxml ElementTree iterparse, its
handler pass alone, (with --before) read_export as a git revision had it, in one run, CPU time per export
(time.process_time: other processes do not inflate it), each timed --repeat times, interleaved.

    python bench/import_parse.py [--entries 1000] [--lists 20] [--before GIT_REVISION] [--repeat 5] [--floors]

All read the same realistic .xml.gz exports (every tag a real export writes, ~0.9 MB of XML for 1,000
entries) into the same (id, score, status) rows; the script checks that they agree, and counts the exports
the fast read took.
"""
from __future__ import annotations

import argparse
import gzip
import importlib.util
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from pyexpat import ParserCreate

import numpy as np
from defusedxml.ElementTree import iterparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import export_xml

from anime_recommender.config import load_config
from anime_recommender.recommend import mal_export
from anime_recommender.recommend.mal_export import ExportLimits, read_export

ROOT = Path(__file__).resolve().parents[1]


def iterparse_baseline(data: bytes) -> list[tuple[str, str, str]]:
    """The obvious way: gunzip, defusedxml iterparse, findtext on each <anime>, clear as you go."""
    ids = []
    for _, element in iterparse(io.BytesIO(gzip.decompress(data)), events=("end",), forbid_dtd=True):
        if element.tag == "anime":
            ids.append((element.findtext("series_animedb_id"), element.findtext("my_score"),
                        element.findtext("my_status")))
            element.clear()
    return ids


def expat_floor(data: bytes, handlers: bool) -> None:
    """What any expat pass costs: gunzip and expat over the export with no element handler at all (`handlers`
    False: the least a validating pass can cost) or with empty start / end handlers (the least a pass that
    sees the elements can cost: pyexpat's call per element)."""
    parser = ParserCreate()
    if handlers:
        parser.StartElementHandler = lambda _name, _attributes: None
        parser.EndElementHandler = lambda _name: None
    parser.Parse(gzip.decompress(data), True)


def module_at(revision: str):
    """mal_export.py as `revision` had it, imported under its own name (the baseline of a change)."""
    source = subprocess.run(["git", "show", f"{revision}:src/anime_recommender/recommend/mal_export.py"], cwd=ROOT,
                            check=True, capture_output=True).stdout
    path = Path(tempfile.mkdtemp()) / "mal_export_before.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("mal_export_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def same_rows(module, data: bytes, limits: ExportLimits) -> bool:
    """Whether `module`'s read_export gives the same rows as today's."""
    theirs = module.read_export(data, module.ExportLimits(*vars(limits).values())).rows
    ours = read_export(data, limits).rows
    return all((a == b).all() for a, b in zip((theirs.anime_ids, theirs.scores, theirs.statuses),
                                              (ours.anime_ids, ours.scores, ours.statuses), strict=True))


def same_export(a, b) -> bool:
    """Whether two MalExports hold the same rows, counts and titles."""
    arrays = ("anime_ids", "scores", "statuses")
    return (all(np.array_equal(getattr(a.rows, n), getattr(b.rows, n)) for n in arrays)
            and (a.entries, a.skipped, a.bad_scores, a.duplicates, a.titles)
            == (b.entries, b.skipped, b.bad_scores, b.duplicates, b.titles))


def handler_pass(data: bytes, limits: ExportLimits):
    """read_export with its fast read switched off: every file through the expat handler pass."""
    return mal_export._read_entries(mal_export._inflated(data, limits.max_xml_bytes), limits.max_entries)


def took_fast(data: bytes, limits: ExportLimits) -> bool:
    """Whether read_export's fast read (not the handler pass) reads this export."""
    return mal_export._fast_entries(mal_export._inflated(data, limits.max_xml_bytes), limits.max_entries) is not None


def cpu_ms(fn, items: list, repeat: int = 3) -> float:
    """Mean CPU milliseconds of fn over items, after one warm-up pass."""
    for item in items:
        fn(item)
    start = time.process_time()
    for _ in range(repeat):
        for item in items:
            fn(item)
    return (time.process_time() - start) / (repeat * len(items)) * 1000


def timed(parsers: dict, files: list, repeat: int) -> dict[str, list[float]]:
    """CPU ms per export of each parser, `repeat` rounds, the parsers interleaved within each round."""
    out = {label: [] for label in parsers}
    for _ in range(repeat):
        for label, fn in parsers.items():
            out[label].append(cpu_ms(fn, files, repeat=1))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--lists", type=int, default=20)
    parser.add_argument("--before", help="also time read_export as this git revision had it (e.g. main)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of timing (median and range reported)")
    parser.add_argument("--floors", action="store_true", help="also time expat with no / empty handlers")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    files = [gzip.compress(export_xml(rng.choice(np.arange(1, 50_000), args.entries, replace=False), rng))
             for _ in range(args.lists)]
    cfg = load_config(env={}).serving
    limits = ExportLimits(cfg.import_max_bytes, cfg.import_max_xml_bytes, cfg.import_max_entries)
    ours = read_export(files[0], limits).rows
    assert ours.anime_ids.tolist() == [int(i) for i, _, _ in iterparse_baseline(files[0])]
    assert all(same_export(handler_pass(f, limits), read_export(f, limits)) for f in files), \
        "the fast read and the handler pass read different exports"
    parsers = {"defusedxml ElementTree iterparse + findtext (baseline)": iterparse_baseline}
    if args.before:
        before = module_at(args.before)
        assert same_rows(before, files[0], limits), f"read_export at {args.before} reads other rows"
        parsers[f"read_export at {args.before}"] = lambda f: before.read_export(
            f, before.ExportLimits(*vars(limits).values()))
    parsers["handler pass alone (expat with Python start / end handlers)"] = lambda f: handler_pass(f, limits)
    parsers[READ_LABEL] = lambda f: read_export(f, limits)
    if args.floors:
        parsers["floor: gunzip + expat, no element handler (validation only)"] = lambda f: expat_floor(f, False)
        parsers["floor: gunzip + expat, empty start / end handlers"] = lambda f: expat_floor(f, True)
    times = timed(parsers, files, args.repeat)
    size = len(gzip.decompress(files[0])) / 1e6
    fast = sum(took_fast(f, limits) for f in files)
    print(f"{args.lists} exports of {args.entries} entries, {size:.2f} MB of XML each; the fast read took {fast} "
          f"of {args.lists}; {args.repeat} rounds, interleaved\n")
    print("| parser | CPU ms per export: median (range) | ratio to the baseline |\n|---|---|---|")
    base = float(np.median(next(iter(times.values()))))
    for label, ms in times.items():
        median = float(np.median(ms))
        print(f"| {label} | {median:.1f} ({min(ms):.1f}–{max(ms):.1f}) | {base / median:.2f}x |")
    if args.before:
        paired = np.divide(times[f"read_export at {args.before}"], times[READ_LABEL])
        print(f"\nread_export at {args.before} / read_export now, round by round (the same load): median "
              f"{np.median(paired):.2f}x (range {paired.min():.2f}–{paired.max():.2f}x)")


READ_LABEL = "read_export (expat validation, then the C-speed scan; the handler pass as fallback)"

if __name__ == "__main__":
    main()
