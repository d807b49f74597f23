"""CPU time per request, one thread, no HTTP: the cost that bounds throughput whatever the load.

    python bench/serve_cpu.py [bench/out/serve-run] [--only WORDS] [--before GIT_REVISION --repeat 3]

Uses Flask's test client on the app built by create_app (the same views, templates and engine as
gunicorn serves) and time.process_time, so other processes on a shared machine do not inflate it.
`--only` keeps the requests whose name contains WORDS. `--before` also runs the same requests on the
package as a git revision had it (its src/, in a subprocess), alternating with this tree's, `--repeat`
times each: the table gives both medians, the ratio and each side's range.
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, unquote

import numpy as np

from anime_recommender.config import load_config
from anime_recommender.web import create_app


def cpu_ms(fn, n: int = 200) -> float:
    """Mean CPU milliseconds of fn(i) over n calls, after one warm-up call."""
    fn(n)
    start = time.process_time()
    for i in range(n):
        fn(i)
    return (time.process_time() - start) / n * 1000


def import_cases(client, rec, rng: np.random.Generator, lists: int = 20) -> dict:
    """The list import of a 1,000-entry .xml.gz export: whole request, parsing alone, engine alone."""
    from serve import export_xml
    from werkzeug.datastructures import FileStorage

    from anime_recommender.recommend.mal_export import ExportLimits, read_export

    cfg = rec.cfg
    limits = ExportLimits(cfg.import_max_bytes, cfg.import_max_xml_bytes, cfg.import_max_entries)
    titles = {int(a): str(n) for a, n in zip(rec.catalog.anime_id, rec.catalog.name, strict=True) if n}
    size = min(1000, len(rec.m.anime_ids))  # fewer only on a tiny test run
    files = [gzip.compress(export_xml(rng.choice(rec.m.anime_ids, size, replace=False), rng, titles))
             for _ in range(lists)]
    others = [gzip.compress(export_xml(rng.choice(rec.m.anime_ids, size, replace=False), rng)) for _ in range(lists)]
    exports = [read_export(f, limits) for f in files]
    post = "/api/v1/recommendations/import"

    def upload(file: bytes):
        return client.post(post, data={"file": FileStorage(io.BytesIO(file), "animelist.xml.gz")})
    return {  # 60 calls each: ~40 ms apiece
        "list import API (1,000-entry .xml.gz)": (lambda i: upload(files[i % lists]), 60),
        "list import API, titles of another catalogue (every title folded)": (lambda i: upload(others[i % lists]),
                                                                               60),
        "list import: parse only (gunzip, defusedxml, fields)": (lambda i: read_export(files[i % lists], limits), 60),
        "list import: engine only (recommend_import)": (lambda i: rec.recommend_import(exports[i % lists]), 60),
    }


def unknown_titles(count: int, length: int, seed: int = 3) -> str:
    """A new-user query string of `count` typed titles that match nothing, `length` characters each."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz "))
    return "&".join("liked=" + quote("".join(rng.choice(letters, length))) for _ in range(count))


def limit_cases(client, rec) -> dict:
    """The costliest new-user request the limits allow, the issue-11 one they now refuse (a 400), and what
    that one cost before (its 20 title readings, run on the engine, which has no limits of its own)."""
    cfg = rec.cfg
    at_limit = unknown_titles(cfg.max_titles, cfg.max_text_length)
    beyond = unknown_titles(20, 150)
    titles = [t.removeprefix("liked=") for t in beyond.split("&")]

    def read_all(i):
        for title in titles:
            rec.read_title(unquote(title))
    return {
        f"new user page, {cfg.max_titles} unknown titles x {cfg.max_text_length} chars (the limits)":
            (lambda i: client.get(f"/new?{at_limit}"), 20),
        "new user page, 20 unknown titles x 150 chars (refused: 400)": (lambda i: client.get(f"/new?{beyond}"), 200),
        "engine: 20 unknown titles x 150 chars read (that page before the limits)": (read_all, 5),
    }


def measure(run: str, only: str | None) -> dict[str, float]:
    """CPU ms per request of every case (those whose name contains `only`)."""
    app = create_app(load_config(env={}), {"ARTIFACTS_DIR": run})
    logging.getLogger("anime_recommender").setLevel(logging.WARNING)
    client, rec = app.test_client(), app.extensions["recommender"].recommender
    rng = np.random.default_rng(2)
    users, anime = rng.choice(rec.m.user_ids, 401), rng.choice(rec.m.anime_ids, 403)
    cases = {
        "user page (hybrid, HTML)": lambda i: client.get(f"/user/{users[i]}"),
        "user recs API (hybrid, JSON)": lambda i: client.get(f"/api/v1/users/{users[i + 200]}/recommendations"),
        "engine: recommend (hybrid)": lambda i: rec.recommend(int(users[i])),
        "engine: user profile": lambda i: rec.user_profile(int(users[i + 200])),
        "similar anime page (HTML)": lambda i: client.get(f"/anime/{anime[i]}"),
        "new user API (3 liked)": lambda i: client.get(
            "/api/v1/recommendations/new-user?" + "&".join(f"liked={a}" for a in anime[i:i + 3])),
        "search API (typo)": lambda i: client.get("/api/v1/search?q=atack%20on%20titn"),
        "/healthz (framework floor)": lambda i: client.get("/healthz"),
        **limit_cases(client, rec),
    }
    cases.update(import_cases(client, rec, rng))
    out = {}
    for name, case in cases.items():
        fn, n = case if isinstance(case, tuple) else (case, 200)
        if only is None or only in name:
            out[name] = cpu_ms(fn, n)
    return out


def side_by_side(run: str, only: str | None, before: str, repeat: int) -> None:
    """The cases on `before`'s src/ and on this tree's, alternating, in subprocesses; medians and ranges."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as old:
        shipped = ["src", "config", "templates", "static", "setup.py"]  # what the package finds its files by
        archive = subprocess.run(["git", "archive", before, *shipped], cwd=root, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", old], input=archive, check=True)
        trees = {before: str(Path(old) / "src"), "this tree": str(root / "src")}
        runs = {label: [] for label in trees}
        for _ in range(repeat):
            for label, src in trees.items():
                command = [sys.executable, __file__, run, "--json"] + (["--only", only] if only else [])
                done = subprocess.run(command, env={**os.environ, "PYTHONPATH": src}, check=True,
                                      capture_output=True, text=True, cwd=root)
                runs[label].append(json.loads(done.stdout.splitlines()[-1]))
    print(f"| request | CPU ms at {before} (median, range) | this tree (median, range) | ratio |\n|---|---|---|---|")
    for name in runs["this tree"][0]:
        a, b = ([r[name] for r in runs[label]] for label in trees)
        print(f"| {name} | {np.median(a):.2f} ({min(a):.2f}–{max(a):.2f}) | {np.median(b):.2f} "
              f"({min(b):.2f}–{max(b):.2f}) | {np.median(a) / np.median(b):.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", nargs="?", default="bench/out/serve-run")
    parser.add_argument("--only", help="only the requests whose name contains this")
    parser.add_argument("--before", help="also measure the package as this git revision had it (e.g. main)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side with --before")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one side, for --before
    args = parser.parse_args()
    if args.before:
        side_by_side(args.run, args.only, args.before, args.repeat)
        return
    found = measure(args.run, args.only)
    if args.json:
        print(json.dumps(found))
        return
    print("| request | CPU ms per request (1 thread) |\n|---|---|")
    for name, ms in found.items():
        print(f"| {name} | {ms:.2f} |")


if __name__ == "__main__":
    main()
