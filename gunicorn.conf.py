"""gunicorn settings for the anime recommender (`gunicorn -c gunicorn.conf.py application:app`).

The same file serves `make run` / `make serve` on a laptop, the Docker image and the Kubernetes
Deployment; everything a deployment may want to change is an environment variable:

    BIND                 full bind address; default 0.0.0.0:$PORT (`make run` sets 127.0.0.1:5000)
    PORT                 port when BIND is not set; default 5000 (the Dockerfile's EXPOSE)
    WEB_CONCURRENCY      worker processes; default: the CPUs this process may use (cgroup quota aware),
                         at most 8
    GUNICORN_WORKER_CLASS  gevent (default: safe with no proxy in front) or gthread (the pods, behind
                         nginx: the better tail latency, docs/benchmarks.md "Worker classes behind nginx")
    GUNICORN_THREADS     threads per gthread worker; default 4
    GUNICORN_WORKER_CONNECTIONS  connections one worker holds at once (slow and idle ones included);
                         default 200
    GUNICORN_TIMEOUT     seconds a worker may spend on one request before it is killed; default 60
    GUNICORN_GRACEFUL_TIMEOUT  seconds to finish in-flight requests after SIGTERM; default 25
    GUNICORN_KEEPALIVE   seconds an idle keep-alive connection is held, and the most a request's headers
                         may take to arrive (slower ones are dropped); default 5
    GUNICORN_MAX_REQUESTS      recycle a worker after N requests (0 = never); default 0
    GUNICORN_CONTROL_SOCKET    path of gunicorn's control socket; default: none (see below)
    LOG_LEVEL            gunicorn's error-log level; default info
    PROMETHEUS_MULTIPROC_DIR   when set, prometheus_client's multi-process mode (one /metrics view
                         across workers); created if missing, its metric files (`*_<pid>.db`) from a
                         previous run are removed at start (nothing else in it), and dead workers'
                         live gauges are dropped
"""
from __future__ import annotations

import math
import os
import re
from pathlib import Path


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"gunicorn.conf.py: {name}={value!r} is not an integer") from None


def available_cpus() -> int:
    """CPUs this process may really use: the affinity mask, capped by a cgroup v2 CPU quota.

    os.cpu_count() in a container reports the node's CPUs, not the pod's limit; a pod limited to
    2 CPUs on a 64-core node would otherwise start 64 workers, each holding the model arrays.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS has no sched_getaffinity
        cpus = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text(encoding="ascii").split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cpus)


# --- where to listen -------------------------------------------------------------------------
PORT = _env_int("PORT", 5000)
bind = [os.environ.get("BIND") or f"0.0.0.0:{PORT}"]

# --- processes ---------------------------------------------------------------------------------
# One worker per usable CPU, not the usual 2*CPU+1: each worker holds the model's arrays and the
# catalog (copy-on-write shared after preload, but pages that Python touches get copied; measured
# about 50 MiB per worker on the sample model, 260 MiB on a full-size one), and a recommendation is
# CPU-bound numpy work, so more processes than CPUs only adds memory and contention. Capped at 8 by
# default so that `make run` on a big workstation does not start dozens of model-holding processes;
# past that, scale out with pods (or set WEB_CONCURRENCY).
MAX_DEFAULT_WORKERS = 8
workers = _env_int("WEB_CONCURRENCY", min(available_cpus(), MAX_DEFAULT_WORKERS))

# Without a buffering proxy in front (`make run`, `docker run`), async workers (gunicorn docs, "Design": a
# client that sends its request slowly must not hold a worker). gthread parks one thread per connection
# while the request trickles in, so 8 half-sent requests stopped 2 workers x 4 threads (issue 11); a gevent
# worker waits for each connection in a cheap greenlet and runs a request only once it has arrived. A request
# still sending its headers after `keepalive` seconds is dropped. But a greenlet runs to completion (the
# numpy work never yields), so every request waits behind the others its worker holds: behind nginx, which
# hands gunicorn only whole requests, gthread's time-sliced threads gave the better tail (issue 17, bench/serve.py
# --compare-workers), and the pods set GUNICORN_WORKER_CLASS=gthread.
WORKER_CLASSES = ("gevent", "gthread")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "").strip() or "gevent"
if worker_class not in WORKER_CLASSES:
    raise SystemExit(f"gunicorn.conf.py: GUNICORN_WORKER_CLASS={worker_class!r} is not one of {WORKER_CLASSES}")
threads = _env_int("GUNICORN_THREADS", 4)
# Connections one worker holds at once (slow, idle keep-alive and running ones). It also bounds what a
# worker must finish after SIGTERM: 200 x the costliest request (about 0.1 s of CPU once the request
# limits of `serving.*` apply) stays inside graceful_timeout.
worker_connections = _env_int("GUNICORN_WORKER_CONNECTIONS", 200)

# Load the application (config, artifacts verified by checksum, the recommender arrays) once in
# the master before forking, so workers share those pages instead of loading the model N times,
# and a broken config fails the start instead of crash-looping workers.
preload_app = True

# --- time limits -------------------------------------------------------------------------------
timeout = _env_int("GUNICORN_TIMEOUT", 60)
# Kubernetes sends SIGTERM, waits terminationGracePeriodSeconds (30 in deployment.yaml), then
# SIGKILLs: finish in-flight requests well inside that window.
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 25)
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10

# --- logs: stdout / stderr, collected by the container runtime --------------------------------
# One line per request: the app logs it (method, path, status, milliseconds; anime_recommender.web.metrics)
# under any server, so gunicorn's own access log stays off instead of repeating it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
capture_output = False

# The worker heartbeat file: on a tmpfs so a slow disk never stalls a worker (gunicorn docs,
# "blocking os.fchmod"). /dev/shm is a tmpfs on Linux and in Kubernetes pods, and stays writable
# with readOnlyRootFilesystem; macOS has no /dev/shm, so fall back to the default temp dir there.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None

# gunicorn >= 25.1 opens a control socket under $HOME/.gunicorn by default: two local servers
# (tests, `make run`) would fight over that one path, and $HOME is read-only in the pod. Off unless
# asked for.
_control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "").strip()
if _control_socket:
    control_socket = _control_socket
else:
    control_socket_disable = True

proc_name = "anime-recommender"

# --- Prometheus across workers -----------------------------------------------------------------
# prometheus_client's files in multi-process mode: <type>_<pid>.db (values.MultiProcessValue).
METRIC_FILE = re.compile(r"(counter|histogram|summary|gauge_[a-z]+)_[0-9]+\.db")


def clear_metric_files(directory: str) -> list[str]:
    """Create the metrics directory, or remove only prometheus_client's files from a previous run there.

    Stale files would be summed into the new counters. The directory itself may be shared (/tmp, a
    volume, a path set by mistake): nothing else in it is touched. Returns the names removed.
    """
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    removed = []
    for entry in path.iterdir():
        if METRIC_FILE.fullmatch(entry.name) and entry.is_file() and not entry.is_symlink():
            entry.unlink(missing_ok=True)
            removed.append(entry.name)
    return removed


_prom_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
if _prom_dir:
    clear_metric_files(_prom_dir)  # once, in the master, before the app is imported (preload)


def child_exit(server, worker):  # gunicorn hook signature; server unused
    """Drop a dead worker's live gauges from the multi-process metrics directory."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    try:
        from prometheus_client import multiprocess
    except ImportError:  # pragma: no cover - prometheus_client is a runtime dependency
        return
    multiprocess.mark_process_dead(worker.pid)
