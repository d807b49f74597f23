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
    }
    cases.update(import_cases(client, rec, rng))
    print("| request | CPU ms per request (1 thread) |\n|---|---|")
    for name, fn in cases.items():
        print(f"| {name} | {cpu_ms(fn):.2f} |")


if __name__ == "__main__":
    main()
