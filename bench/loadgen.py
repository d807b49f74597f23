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
from dataclasses import dataclass, field
from urllib.parse import urlparse

import numpy as np


@dataclass
class _Phase:
    """One closed-loop phase, shared by its threads: its deadline, the requests left, what was measured."""

    deadline: float
    budget: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: list[float] = field(default_factory=list)
    errors: list[int] = field(default_factory=list)

    def take(self) -> bool:
        """One request from the budget; False when it is spent."""
        with self.lock:
            if self.budget <= 0:
                return False
            self.budget -= 1
            return True


def _worker(url, paths: list[str], start: int, stride: int, phase: _Phase) -> None:
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
    i = start
    while time.monotonic() < phase.deadline:
        if not phase.take():
            break
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
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
            ok = False
        phase.latencies.append(time.perf_counter() - began)
        if not ok:
            phase.errors.append(1)
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
    began = time.monotonic()
    phase = _Phase(deadline=began + duration, budget=max_requests)
    threads = [threading.Thread(target=_worker, args=(url, paths, k, concurrency, phase))
               for k in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return phase.latencies, phase.errors, time.monotonic() - began


@dataclass(frozen=True)
class Load:
    """How hard and how long: client threads, measured seconds, a request cap, unmeasured warm-up seconds."""

    concurrency: int
    duration: float
    max_requests: int
    warmup: float = 2.0


def run_load(base: str, paths: list[str], load: Load) -> dict:
    """Warm up (unmeasured), then drive `paths` round-robin from `load.concurrency` threads; summarise."""
    concurrency, duration, max_requests, warmup = load.concurrency, load.duration, load.max_requests, load.warmup
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
    load = Load(concurrency=args.concurrency, duration=args.duration, max_requests=args.max_requests)
    print(json.dumps(run_load(args.base, paths, load)))


if __name__ == "__main__":
    main()
