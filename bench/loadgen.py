"""Closed-loop HTTP load generator: N threads, keep-alive connections, bounded time and count.

    python bench/loadgen.py http://127.0.0.1:5000 paths.json --concurrency 8 --duration 15

Prints one JSON object: requests, errors, p50/p90/p99 latency in ms, requests per second.
A path is a GET; an object {"method", "path", "body" (a file), "content_type"} sends that body instead.
"""
from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from urllib.parse import urlparse

import numpy as np


def _worker(host: str, port: int, paths: list[str], start: int, stride: int, deadline: float,
            budget: list[int], lock: threading.Lock, latencies: list[float], errors: list[int]) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=600)
    i = start
    while time.monotonic() < deadline:
        with lock:
            if budget[0] <= 0:
                break
            budget[0] -= 1
        path = paths[i % len(paths)]
        i += stride
        began = time.perf_counter()
        try:
            _send(conn, path)
            response = conn.getresponse()
            response.read()
            ok = response.status < 400
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=600)
            ok = False
        latencies.append(time.perf_counter() - began)
        if not ok:
            errors.append(1)
    conn.close()


def _send(conn: http.client.HTTPConnection, request) -> None:
    """A GET for a path; a request object's method, body and content type otherwise."""
    if isinstance(request, str):
        conn.request("GET", request)
    else:
        conn.request(request["method"], request["path"], body=request["data"],
                     headers={"Content-Type": request["content_type"]})


def _load_bodies(paths: list) -> list:
    """Request objects with their body files read once, before any timing."""
    bodies: dict[str, bytes] = {}
    for request in paths:
        if isinstance(request, dict) and request["body"] not in bodies:
            with open(request["body"], "rb") as handle:
                bodies[request["body"]] = handle.read()
    return [r if isinstance(r, str) else {**r, "data": bodies[r["body"]]} for r in paths]


def _drive(url, paths: list[str], concurrency: int, duration: float, max_requests: int):
    """One closed-loop phase; returns latencies (s), error count and elapsed seconds."""
    latencies: list[float] = []
    errors: list[int] = []
    lock, budget = threading.Lock(), [max_requests]
    began = time.monotonic()
    threads = [threading.Thread(target=_worker, args=(url.hostname, url.port, paths, k, concurrency,
                                                      began + duration, budget, lock, latencies, errors))
               for k in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.monotonic() - began


def run_load(base: str, paths: list[str], concurrency: int, duration: float, max_requests: int,
             warmup: float = 2.0) -> dict:
    """Warm up (unmeasured), then drive `paths` round-robin from `concurrency` threads; summarise."""
    url = urlparse(base)
    _drive(url, paths[::-1], concurrency, warmup, max(1, min(max_requests // 10, 1000)))
    latencies, errors, elapsed = _drive(url, paths, concurrency, duration, max_requests)
    ms = np.array(latencies) * 1000
    return {"requests": len(ms), "errors": len(errors), "seconds": round(elapsed, 2),
            "p50_ms": float(np.percentile(ms, 50)), "p90_ms": float(np.percentile(ms, 90)),
            "p99_ms": float(np.percentile(ms, 99)), "rps": len(ms) / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("paths", help="JSON file with a list of request paths")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    args = parser.parse_args()
    with open(args.paths, encoding="utf-8") as handle:
        paths = _load_bodies(json.load(handle))
    print(json.dumps(run_load(args.base, paths, args.concurrency, args.duration, args.max_requests)))


if __name__ == "__main__":
    main()
