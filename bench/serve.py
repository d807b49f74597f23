"""Serving benchmark: gunicorn on a full-size model, p50/p99 latency and throughput per endpoint.

    python bench/serve.py                      # 350k users x 17.5k anime (real catalog), d=64
    python bench/serve.py --users 20000 --duration 5   # a quick look
    python bench/serve.py --compare-workers     # gevent vs gthread vs sync, each behind the shipped nginx

A full-size run is synthesised with RunWriter (random factors, a popularity-skewed seen CSR of
~300 anime per user, the real catalog from ../shared/data/anime-2020 when present) into
bench/out/serve-run and reused while the parameters match. gunicorn (gunicorn.conf.py, 2 workers)
serves it; a load generator in a separate process drives each endpoint over loopback with keep-alive
connections for a bounded time. The reference's pandas-based hybrid runs in its own gunicorn on the
same run, measured in the same invocation. Resident memory (RSS and PSS) is read per worker.
"""
from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
from synth import RunSize, synth_run

from tests.web.proxy import nginx_in_front

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
log = logging.getLogger("bench.serve")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(args: list[str], env: dict, url: str, timeout: float = 600) -> subprocess.Popen:
    """Start a gunicorn and wait for /readyz."""
    proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=open(OUT / "gunicorn.log", "ab"))  # noqa: SIM115
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see {OUT / 'gunicorn.log'}")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("server not ready in time")


def memory(master: int) -> list[dict]:
    """RSS and PSS (shared pages split between processes) of each worker, in MiB."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    out = []
    for pid in [master, *map(int, children)]:
        fields = {}
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            key, value = line.split(":", 1)
            fields[key] = int(value.split()[0]) / 1024
        out.append({"pid": pid, "role": "master" if pid == master else "worker",
                    "rss_mib": round(fields["Rss"]), "pss_mib": round(fields["Pss"])})
    return out


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def endpoints(run_dir: Path, rng: np.random.Generator, count: int) -> dict[str, list[str]]:
    """Request paths per endpoint, drawn from the run's users and anime."""
    users = np.load(run_dir / "user_ids.npy")
    anime = np.load(run_dir / "anime_ids.npy")
    u = rng.choice(users, count)
    a = rng.choice(anime, count)
    liked = rng.choice(anime, (count, 3))
    return {
        "user page (hybrid, HTML)": [f"/user/{x}" for x in u],
        "user recs API (hybrid, JSON)": [f"/api/v1/users/{x}/recommendations" for x in u],
        "similar anime page (HTML)": [f"/anime/{x}" for x in a],
        "similar anime API (JSON)": [f"/api/v1/anime/{x}/similar" for x in a],
        "new user API (3 liked)": [
            "/api/v1/recommendations/new-user?" + "&".join(f"liked={i}" for i in row) for row in liked],
        "reference hybrid (pandas)": [f"/reference/user/{x}" for x in u],
        **franchise_endpoints(u, a),
    }


def franchise_endpoints(users: np.ndarray, anime: np.ndarray) -> dict[str, list[str]]:
    """The grouped endpoints again with group_franchises=0: the franchise rules' baseline (issue #9)."""
    return {"user recs API (hybrid, JSON, group_franchises=0)":
            [f"/api/v1/users/{x}/recommendations?group_franchises=0" for x in users],
            "similar anime API (JSON, group_franchises=0)":
            [f"/api/v1/anime/{x}/similar?group_franchises=0" for x in anime]}


def franchise_rules_cost(run_dir: Path, requests: int = 300) -> dict[str, dict[str, float]]:
    """CPU ms per engine call with and without the franchise rules, same inputs, interleaved, one thread.

    In process (no HTTP): the difference is the rules' serving cost per request, which HTTP latency on a
    shared machine would drown. process_time counts only this process's CPU.
    """
    import threadpoolctl

    from anime_recommender import Recommender
    from anime_recommender.recommend.filters import Filters

    rec = Recommender.load(run_dir)
    rng = np.random.default_rng(3)
    users, anime = rng.choice(rec.m.user_ids, requests), rng.choice(rec.m.anime_ids, (requests, 3))
    cases = {"user recommendations (hybrid)": lambda f, i: rec.recommend(int(users[i]), filters=f),
             "similar anime": lambda f, i: rec.similar_anime(int(anime[i, 0]), filters=f),
             "new user (3 liked)": lambda f, i: rec.recommend_new_user(anime[i].tolist(), filters=f)}
    out = {}
    with threadpoolctl.threadpool_limits(1):
        for name, call in cases.items():
            spent = {True: [], False: []}
            for i in range(requests):
                for grouped in (True, False) if i % 2 else (False, True):
                    start = time.process_time()
                    call(Filters(group_franchises=grouped), i)
                    spent[grouped].append(time.process_time() - start)
            on, off = (np.mean(spent[g]) * 1000 for g in (True, False))
            out[name] = {"without_rules_ms": off, "with_rules_ms": on, "rules_ms": on - off, "ratio": on / off}
    return out


def report_franchise_rules(cost: dict[str, dict[str, float]], requests: int) -> None:
    """The rules' cost as a markdown table (target: at most 1 ms per request)."""
    print(f"\nFranchise rules, CPU ms per request ({requests} requests each, one thread, in process)\n")
    print("| list | without rules | with rules | rules cost | ratio |\n|---|---|---|---|---|")
    for name, c in cost.items():
        print(f"| {name} | {c['without_rules_ms']:.2f} | {c['with_rules_ms']:.2f} | {c['rules_ms']:+.2f} "
              f"| {c['ratio']:.2f}x |")


IMPORT_ENDPOINT = "list import API (1,000-entry .xml.gz, POST)"


def export_xml(anime_ids: np.ndarray, rng: np.random.Generator, titles: dict[int, str] | None = None) -> bytes:
    """A MyAnimeList export of these anime, every tag a real export writes (~900 bytes an entry), a realistic
    status mix and scores on most entries that are not Plan to Watch. <series_title> is the anime's name in
    `titles` (as MyAnimeList writes it), else 'Anime <id>' (a list made against another catalogue)."""
    titles = titles or {}
    statuses = rng.choice(["Completed", "Watching", "On-Hold", "Dropped", "Plan to Watch"], len(anime_ids),
                          p=[0.6, 0.05, 0.05, 0.05, 0.25])
    scores = np.where((rng.random(len(anime_ids)) < 0.8) & (statuses != "Plan to Watch"),
                      rng.integers(3, 11, len(anime_ids)), 0)
    entries = "".join(MAL_ENTRY.format(id=a, title=titles.get(a, f"Anime {a}").replace("]]>", "]] >"), score=s,
                                       status=st)
                      for a, s, st in zip(anime_ids.tolist(), scores.tolist(), statuses.tolist(), strict=True))
    return (MAL_HEAD + entries + "\t\t</myanimelist>\n").encode()


MAL_HEAD = ('<?xml version="1.0" encoding="UTF-8" ?>\n\t\t<!--\n\t\t Created by XML Export feature at MyAnimeList.net'
            "\n\t\t Version 1.1.0\n\t\t-->\n\n\t\t<myanimelist>\n\n\t\t\t<myinfo>\n\t\t\t\t<user_id>1</user_id>\n"
            "\t\t\t\t<user_name>bench</user_name>\n\t\t\t\t<user_export_type>1</user_export_type>\n\t\t\t</myinfo>\n\n")
MAL_ENTRY = "".join(f"\t\t\t\t\t<{tag}>{value}</{tag}>\n" for tag, value in (
    ("series_animedb_id", "{id}"), ("series_title", "<![CDATA[{title}]]>"), ("series_type", "TV"),
    ("series_episodes", "12"), ("my_id", "0"), ("my_watched_episodes", "12"), ("my_start_date", "0000-00-00"),
    ("my_finish_date", "0000-00-00"), ("my_rated", ""), ("my_score", "{score}"), ("my_storage", ""),
    ("my_storage_value", "0.00"), ("my_status", "{status}"), ("my_comments", "<![CDATA[]]>"),
    ("my_times_watched", "0"), ("my_rewatch_value", ""), ("my_priority", "LOW"), ("my_tags", "<![CDATA[]]>"),
    ("my_rewatching", "0"), ("my_rewatching_ep", "0"), ("my_discuss", "1"), ("my_sns", "default"),
    ("update_on_import", "0"))).join(("\t\t\t\t<anime>\n", "\t\t\t\t</anime>\n\n"))


def catalog_titles(catalog) -> dict[int, str]:
    """MAL id -> the name a MyAnimeList export writes for it (the catalogue's romaji name)."""
    return {int(a): str(n) for a, n in zip(catalog["anime_id"], catalog["name"], strict=True) if isinstance(n, str)}


def import_requests(run_dir: Path, rng: np.random.Generator, lists: int = 20, entries: int = 1000) -> list[dict]:
    """POST requests of `lists` different 1,000-entry gzipped exports (5% of ids unknown to the catalog)."""
    anime = np.load(run_dir / "anime_ids.npy")
    popularity = np.load(run_dir / "anime_popularity.npy").astype(np.float64) + 1
    titles = catalog_titles(pd.read_parquet(run_dir / "catalog.parquet", columns=["anime_id", "name"]))
    out = []
    for i in range(lists):
        ids = rng.choice(anime, entries, replace=False, p=popularity / popularity.sum())
        ids[rng.random(entries) < 0.05] += 10**7  # ids newer than the catalog
        gz = gzip.compress(export_xml(ids, rng, titles))
        stream, _, boundary = stream_encode_multipart({"file": FileStorage(io.BytesIO(gz), "animelist.xml.gz")},
                                                      use_tempfile=False)
        body = OUT / f"import-body-{i}.bin"
        body.write_bytes(stream.read())
        out.append({"method": "POST", "path": "/api/v1/recommendations/import", "body": str(body),
                    "content_type": f'multipart/form-data; boundary="{boundary}"'})
    return out


def measure(url: str, paths: list[str], concurrency: int, duration: float, max_requests: int = 10**6) -> dict:
    """Run the load generator in its own process (it must not share the servers' interpreter)."""
    spec = OUT / "paths.json"
    spec.write_text(json.dumps(paths))
    cmd = [sys.executable, str(Path(__file__).with_name("loadgen.py")), url, str(spec),
           "--concurrency", str(concurrency), "--duration", str(duration), "--max-requests", str(max_requests)]
    result = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return {**result, "concurrency": concurrency}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=350_000)
    parser.add_argument("--anime", type=int, default=17_500, help="used only without the real catalog")
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--items-per-user", type=int, default=300)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--reference-duration", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[2, 8],
                        help="client threads; one measurement per value")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--franchise-rules-only", action="store_true",
                        help="only the in-process cost of the franchise rules (no gunicorn)")
    parser.add_argument("--compare-workers", action="store_true",
                        help="only the worker-class comparison (gevent / gthread / sync behind nginx, side by side)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    OUT.mkdir(parents=True, exist_ok=True)
    run_dir = synth_run(OUT / "serve-run", RunSize(users=args.users, anime=args.anime, dim=args.dim,
                                                   per_user=args.items_per_user))
    if args.franchise_rules_only:
        report_franchise_rules(franchise_rules_cost(run_dir), 300)
        return
    paths = endpoints(run_dir, np.random.default_rng(0), 5000)
    paths[IMPORT_ENDPOINT] = import_requests(run_dir, np.random.default_rng(1))
    if args.compare_workers:
        compare_workers(args, paths)
        return
    results, mem = {}, {}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"ARTIFACTS_DIR": str(OUT / "serve-run"), "BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": str(args.workers), "LOG_LEVEL": "warning"}
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    started = time.perf_counter()
    proc = start([gunicorn, "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null", "application:app"], env, url)
    log.info("app ready in %.1fs", time.perf_counter() - started)
    try:
        for concurrency in args.concurrency:
            for name, plist in paths.items():
                if "reference" in name:
                    continue
                results[f"{name} @{concurrency}"] = measure(url, plist, concurrency, args.duration)
                log.info("%s @%d: %s", name, concurrency, results[f"{name} @{concurrency}"])
        mem["app"] = memory(proc.pid)
    finally:
        stop(proc)
    if not args.skip_reference:
        env.update(REF_RUN_DIR=str(run_dir))
        proc = start([gunicorn, "-w", str(args.workers), "--preload", "-b", env["BIND"], "--chdir", "bench",
                      "--timeout", "600", "reference_hybrid:app"], env, url)
        try:
            name = "reference hybrid (pandas)"
            results[f"{name} @2"] = measure(url, paths[name], 2, args.reference_duration, 40)
            log.info("%s: %s", name, results[f"{name} @2"])
            mem["reference"] = memory(proc.pid)
        finally:
            stop(proc)
    report(results, mem, args)
    report_franchise_rules(franchise_rules_cost(run_dir), 300)


def report(results: dict, mem: dict, args) -> None:
    """Markdown table on stdout, raw numbers in bench/out/serve.json."""
    (OUT / "serve.json").write_text(json.dumps({"args": vars(args), "results": results, "memory": mem}, indent=2))
    print(f"\n{args.users} users, d={args.dim}, ~{args.items_per_user} anime per user; "
          f"{args.workers} gunicorn workers\n")
    print("| endpoint | client threads | requests | errors | p50 ms | p99 ms | req/s |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name.rsplit(' @', 1)[0]} | {r['concurrency']} | {r['requests']} | {r['errors']} "
              f"| {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['rps']:.1f} |")
    print("\n| server | process | RSS MiB | PSS MiB |\n|---|---|---|---|")
    for server, procs in mem.items():
        for p in procs:
            print(f"| {server} | {p['role']} | {p['rss_mib']} | {p['pss_mib']} |")


# --- worker classes (issue 17): each behind the shipped nginx (config/nginx.conf), as in the pod ---------------
WORKER_CLASSES = {"gevent": ["-k", "gevent"], "gthread, 4 threads": ["-k", "gthread", "--threads", "4"],
                  "sync": ["-k", "sync"]}
SLOW_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: bench\r\n"  # the blank line that ends it never comes


def slow_clients_probe(port: int, clients: int = 50, probes: int = 10, timeout: float = 5.0) -> dict:
    """Latency of /healthz while `clients` connections hold half-sent requests; unanswered probes counted."""
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(clients)]
    for sock in held:
        sock.sendall(SLOW_REQUEST)
    seconds, failed = [], 0
    for _ in range(probes):
        began = time.perf_counter()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as response:
                response.read()
            seconds.append(time.perf_counter() - began)
        except OSError:
            failed += 1
    for sock in held:
        sock.close()
    ms = np.array(seconds or [np.nan]) * 1000
    return {"slow_clients": clients, "probes": probes, "unanswered": failed,
            "p50_ms": float(np.median(ms)), "max_ms": float(np.max(ms))}


def tree_cpu_seconds(master: int) -> float:
    """CPU time (user + system) of a gunicorn master and its workers so far: other processes do not count."""
    pids = [master, *map(int, Path(f"/proc/{master}/task/{master}/children").read_text().split())]
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def served(port: int) -> float:
    """Page and API requests the server has counted (its /metrics, summed over workers)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
        text = response.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("http_requests_total{") and "endpoint=\"metrics\"" not in line)


def measure_with_cpu(proc: subprocess.Popen, port: int, paths: list[str], concurrency: int, duration: float) -> dict:
    """measure(), plus the server's CPU milliseconds per request over the same requests (warm-up included)."""
    cpu, count = tree_cpu_seconds(proc.pid), served(port)
    result = measure(f"http://127.0.0.1:{port}", paths, concurrency, duration)
    requests = served(port) - count
    return {**result, "cpu_ms": (tree_cpu_seconds(proc.pid) - cpu) / requests * 1000}


def compare_workers(args, paths: dict[str, list[str]], rounds: int = 3) -> None:
    """Every worker class serves the same run at once, each behind its own nginx with the shipped config;
    measurements go through nginx and alternate between them, round after round, so a busy machine's load
    falls on all alike. Then each gets 50 slow clients (through nginx). One table."""
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    servers = {}
    with contextlib.ExitStack() as stack:
        for i, (label, flags) in enumerate(WORKER_CLASSES.items()):
            port = free_port()
            env = {"ARTIFACTS_DIR": str(OUT / "serve-run"), "BIND": f"127.0.0.1:{port}",
                   "WEB_CONCURRENCY": str(args.workers), "LOG_LEVEL": "warning",
                   "PROMETHEUS_MULTIPROC_DIR": str(OUT / f"metrics-{i}")}
            proc = start([gunicorn, "-c", "gunicorn.conf.py", *flags, "application:app"], env,
                         f"http://127.0.0.1:{port}")
            stack.callback(stop, proc)
            servers[label] = (proc, stack.enter_context(nginx_in_front(port)))
        rows: dict[tuple, list[dict]] = {}
        for _ in range(rounds):
            for concurrency in args.concurrency:
                for name in ("user page (hybrid, HTML)", "user recs API (hybrid, JSON)"):
                    for label, (proc, port) in servers.items():
                        result = measure_with_cpu(proc, port, paths[name], concurrency, args.duration)
                        rows.setdefault((name, concurrency, label), []).append(result)
                        log.info("%s @%d %s: %s", name, concurrency, label, result)
        slow = {label: slow_clients_probe(port) for label, (_, port) in servers.items()}
        log.info("slow clients: %s", slow)
    report_workers({key: _median_of(results) for key, results in rows.items()}, slow, args, rounds)


def _median_of(results: list[dict]) -> dict:
    """Per statistic, the median over the rounds."""
    return {key: float(np.median([r[key] for r in results])) for key in ("p50_ms", "p99_ms", "rps", "cpu_ms")}


def report_workers(rows: dict, slow: dict, args, rounds: int) -> None:
    """Markdown: p50 / p99 and server CPU per request for each worker class, side by side; the slow clients."""
    (OUT / "serve-workers.json").write_text(json.dumps(
        {"args": vars(args), "rounds": rounds, "rows": [[*k, v] for k, v in rows.items()], "slow_clients": slow},
        indent=2))
    labels = list(WORKER_CLASSES)
    print(f"\n{args.users} users, d={args.dim}; {args.workers} workers, each class behind its own nginx (the "
          f"shipped config); medians of {rounds} alternating rounds of {args.duration:g} s\n")
    print("| endpoint | client threads | " + " | ".join(f"{label} p50 / p99 ms" for label in labels)
          + " | server CPU ms per request (" + " / ".join(labels) + ") |")
    print("|---|---|" + "---|" * len(labels) + "---|")
    for name, concurrency in dict.fromkeys((n, c) for n, c, _ in rows):
        cells = [rows[(name, concurrency, label)] for label in labels]
        print(f"| {name} | {concurrency} | " + " | ".join(f"{r['p50_ms']:.1f} / {r['p99_ms']:.1f}" for r in cells)
              + " | " + " / ".join(f"{r['cpu_ms']:.2f}" for r in cells) + " |")
    print("\n| worker class (behind nginx) | slow clients held | /healthz probes | unanswered (5 s) | p50 ms "
          "| max ms |")
    print("|---|---|---|---|---|---|")
    for label, r in slow.items():
        print(f"| {label} | {r['slow_clients']} | {r['probes']} | {r['unanswered']} | {r['p50_ms']:.1f} "
              f"| {r['max_ms']:.1f} |")


if __name__ == "__main__":
    main()
