"""The image's server command (`gunicorn -c gunicorn.conf.py application:app`, 2 workers) under hostile and
ending conditions, with real sockets: slow clients, SIGTERM with requests in flight, multi-process metrics.

Every wait is on a condition with a deadline (the kernel's accept queue, a socket closing, a process
exiting). No latency is asserted: a request must be answered at all (a socket timeout is a failure, never a
measurement); how fast, with the slow clients connected, is bench/serve.py's (`slow_clients_probe`).
"""
from __future__ import annotations

import signal
import socket
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.web.browser import start_gunicorn
from tests.web.proxy import stop

pytestmark = pytest.mark.slow

SLOW_CLIENTS = 50
PROBES = 10
DEADLINE = 60.0       # how long a condition may take on a busy CI box before the test gives up


@contextmanager
def gunicorn(artifacts: Path, tmp_path: Path, **env: str):
    """The server on the tiny run; stopped (SIGTERM, then SIGKILL after 60 s) unless the test already did."""
    proc, url, log = start_gunicorn(str(artifacts), tmp_path, **env)
    try:
        yield proc, int(url.rsplit(":", 1)[1]), tmp_path / "server.log"
    finally:
        stop(proc, DEADLINE)
        log.close()


def until(condition, what: str, seconds: float = DEADLINE):
    """Poll `condition` until it returns something truthy; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out after {seconds:.0f} s waiting for {what}")


def accept_queue(port: int) -> int | None:
    """Connections the kernel holds for the listening socket on `port` that no worker has accepted yet."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state = fields[1], fields[3]
        if state == "0A" and int(local.split(":")[1], 16) == port:
            return int(fields[4].split(":")[1], 16)
    return None


def all_accepted(port: int) -> bool:
    return accept_queue(port) == 0


def connect(port: int, first_bytes: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    sock.sendall(first_bytes)
    return sock


def read_response(sock: socket.socket) -> tuple[int, bytes]:
    """Status and body of one `Connection: close` response (the server closes after it)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), -1)
    assert length == len(body), f"truncated response: {head!r}"
    return status, body


def get(port: int, path: str) -> int:
    """One request on a fresh connection: its status; 0 if none came (within a generous socket timeout)."""
    try:
        with connect(port, f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode()) as sock:
            sock.settimeout(DEADLINE)
            status, _ = read_response(sock)
    except OSError:
        status = 0
    return status


def still_open(sock: socket.socket) -> bool:
    """The server has not closed this connection (nothing to read yet, no EOF)."""
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.settimeout(timeout)


HALF_REQUEST = b"GET /user/10 HTTP/1.1\r\nHost: t\r\nUser-Agent: slow\r\n"  # the blank line never comes


def test_fifty_slow_clients_do_not_stop_normal_requests(tiny_artifacts, tmp_path):
    # keepalive 60: the server would drop a request still arriving after `keepalive` seconds (5 by
    # default, tested below); here the 50 must stay connected for the whole measurement
    with gunicorn(tiny_artifacts, tmp_path, GUNICORN_KEEPALIVE="60") as (_, port, _):
        slow = [connect(port, HALF_REQUEST) for _ in range(SLOW_CLIENTS)]
        until(lambda: all_accepted(port), "the workers to accept the 50 slow connections")
        probes = [get(port, path) for path in ["/healthz", "/user/10"] * (PROBES // 2)]
        connected = sum(still_open(s) for s in slow)
        for sock in slow:
            sock.close()
    assert probes == [200] * PROBES, probes
    assert connected == SLOW_CLIENTS, "the slow clients must be connected during the probes"


def test_a_request_that_never_finishes_arriving_is_dropped_after_keepalive(tiny_artifacts, tmp_path):
    with gunicorn(tiny_artifacts, tmp_path, GUNICORN_KEEPALIVE="2") as (_, port, _), \
            connect(port, HALF_REQUEST) as sock:
        until(lambda: not still_open(sock), "the server to close a connection whose headers never end")


def test_sigterm_lets_every_request_in_flight_finish(tiny_artifacts, tmp_path):
    """Requests fully sent, and requests still arriving, when SIGTERM comes: all answered, exit 0."""
    costly = b"GET /new?liked=101&liked=" + b"zq" * 60 + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    # keepalive 60: the half-sent requests must not be dropped for slowness before the test completes them
    with gunicorn(tiny_artifacts, tmp_path, GUNICORN_KEEPALIVE="60") as (proc, port, log_path):
        sent = [connect(port, costly) for _ in range(60)]
        arriving = [connect(port, HALF_REQUEST) for _ in range(5)]
        until(lambda: all_accepted(port), "the workers to accept the 65 connections")
        proc.send_signal(signal.SIGTERM)
        for sock in arriving:
            sock.sendall(b"Connection: close\r\n\r\n")
        answers = [read_response(sock)[0] for sock in sent + arriving]
        code = proc.wait(timeout=DEADLINE)
        for sock in sent + arriving:
            sock.close()
    assert answers == [200] * 65, f"{answers}\n{log_path.read_text()[-3000:]}"
    assert code == 0


def test_metrics_add_up_across_workers_and_leave_other_files_alone(tiny_artifacts, tmp_path):
    metrics_dir = tmp_path / "shared-dir"
    metrics_dir.mkdir()
    (metrics_dir / "notes.txt").write_text("not ours")
    (metrics_dir / "keep").mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"stale")  # a previous run's file: removed
    with gunicorn(tiny_artifacts, tmp_path, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)) as (_, port, log_path):
        assert [get(port, "/healthz") for _ in range(20)] == [200] * 20
        with connect(port, b"GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n") as sock:
            status, body = read_response(sock)
    text = body.decode()
    assert status == 200
    assert 'http_requests_total{endpoint="health.healthz",method="GET",status="200"} 20.0' in text
    assert (metrics_dir / "notes.txt").read_text() == "not ours" and (metrics_dir / "keep").is_dir()
    assert not (metrics_dir / "counter_999999.db").exists()
    loads = [line for line in log_path.read_text().splitlines() if "loaded run" in line]
    assert len(loads) == 1, f"the model loads once, in the master (preload): {loads}"
