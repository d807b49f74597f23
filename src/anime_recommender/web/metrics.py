"""Prometheus metrics: request count by endpoint and status, latency histogram, request log lines.

With PROMETHEUS_MULTIPROC_DIR set (gunicorn.conf.py prepares it) /metrics sums every worker;
without it each worker reports only its own requests.
"""
from __future__ import annotations

import logging
import os
import time

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

log = logging.getLogger(__name__)

REQUESTS = Counter("http_requests_total", "HTTP requests", ["endpoint", "method", "status"])
LATENCY = Histogram("http_request_duration_seconds", "Request latency", ["endpoint"],
                    buckets=(0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))


# Label values come only from these sets: a client that invents methods or paths must not add series
# (one file per series and worker in multi-process mode).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _endpoint() -> str:
    """A bounded label: the matched route's endpoint name (a fixed set), never the raw path."""
    return request.endpoint or "unmatched"


def _method() -> str:
    """A bounded label: the standard method, or `other`."""
    return request.method if request.method in METHODS else "other"


def _status(code: int) -> str:
    """A bounded label: the status code when it is a real one (100-599), else `other`."""
    return str(code) if 100 <= code <= 599 else "other"


def _start() -> None:
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    endpoint = _endpoint()
    REQUESTS.labels(endpoint, _method(), _status(response.status_code)).inc()
    LATENCY.labels(endpoint).observe(elapsed)
    log.info("%s %s %d %.1fms", request.method, ascii(request.path[:200]), response.status_code, elapsed * 1000)
    return response


def metrics_view() -> Response:
    """Prometheus text format, across workers when multi-process mode is on."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    """Time every request and expose /metrics."""
    app.before_request(_start)
    app.after_request(_finish)
    app.add_url_rule("/metrics", "metrics", metrics_view)
