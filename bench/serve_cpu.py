"""CPU time per request, one thread, no HTTP: the cost that bounds throughput whatever the load.

    python bench/serve_cpu.py [bench/out/serve-run]

Uses Flask's test client on the app built by create_app (the same views, templates and engine as
gunicorn serves) and time.process_time, so other processes on a shared machine do not inflate it.
"""
from __future__ import annotations

import gzip
import io
import logging
import sys
import time
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
    files = [gzip.compress(export_xml(rng.choice(rec.m.anime_ids, 1000, replace=False), rng)) for _ in range(lists)]
    exports = [read_export(f, limits) for f in files]
    post = "/api/v1/recommendations/import"
    return {
        "list import API (1,000-entry .xml.gz)": lambda i: client.post(
            post, data={"file": FileStorage(io.BytesIO(files[i % lists]), "animelist.xml.gz")}),
        "list import: parse only (gunzip, defusedxml, fields)": lambda i: read_export(files[i % lists], limits),
        "list import: engine only (recommend_import)": lambda i: rec.recommend_import(exports[i % lists]),
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


def main() -> None:
    run = sys.argv[1] if len(sys.argv) > 1 else "bench/out/serve-run"
    app = create_app(load_config(env={}), {"ARTIFACTS_DIR": run})
    logging.getLogger("anime_recommender").setLevel(logging.WARNING)
    client, rec = app.test_client(), app.extensions["recommender"][0]
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
    print("| request | CPU ms per request (1 thread) |\n|---|---|")
    for name, case in cases.items():
        fn, n = case if isinstance(case, tuple) else (case, 200)
        print(f"| {name} | {cpu_ms(fn, n):.2f} |")


if __name__ == "__main__":
    main()
