"""Issue 17, probes under a burst of legal load: the audit's 64 concurrent 2,000-entry imports sent straight to
gunicorn (the image's command with the pod's GUNICORN_* settings: the probes' path in the pod). Every readiness
probe (an HTTP /readyz) and liveness probe (a TCP connect) is answered within the timeout deployment.yaml gives
it, and every import is answered: 200, or 503 with Retry-After when the worker's upload slots are taken.

No latency is asserted: probe answers are counted against the probes' own timeouts; every loop is bounded. The
burst is repeated until a few probe pairs were taken under it, so the test does not rely on imports being slow.
"""
from __future__ import annotations

import gzip
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from werkzeug.test import encode_multipart

from tests.recommend.exports import entries_xml
from tests.web.test_hardening_proxy import container, pod_gunicorn_env
from tests.web.test_import import _file
from tests.web.test_server import DEADLINE, connect, gunicorn, read_response

pytestmark = pytest.mark.slow

IMPORTS = 64
ENTRIES = 2000
MIN_PROBES = 4  # probe pairs taken under load: the burst is sent again until there are (imports got faster)
MAX_BURSTS = 20
API = "/api/v1/recommendations/import"


def import_request() -> bytes:
    """One POST of a 2,000-entry .xml.gz export (ids of the tiny run's catalog and unknown ones)."""
    boundary, body = encode_multipart(_file(gzip.compress(entries_xml(ENTRIES, first_id=90))))
    return (f"POST {API} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: {len(body)}\r\n"
            f'Content-Type: multipart/form-data; boundary="{boundary}"\r\n\r\n').encode() + body


def send(port: int, request: bytes) -> tuple[int, bytes]:
    with connect(port, request) as sock:
        return read_response_with_head(sock)


def read_response_with_head(sock: socket.socket) -> tuple[int, bytes]:
    """(status, head) of a `Connection: close` response."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head = data.partition(b"\r\n\r\n")[0]
    return (int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0), head


def readiness(port: int, timeout: float) -> bool:
    try:
        with connect(port, b"GET /readyz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n") as sock:
            sock.settimeout(timeout)
            return read_response(sock)[0] == 200
    except OSError:
        return False


def liveness(port: int, timeout: float) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def test_64_concurrent_imports_leave_every_probe_answered_in_time(tiny_artifacts, tmp_path):
    web = container("web")
    ready_timeout, live_timeout = web["readinessProbe"]["timeoutSeconds"], web["livenessProbe"]["timeoutSeconds"]
    assert "tcpSocket" in web["livenessProbe"]
    request = import_request()
    with gunicorn(tiny_artifacts, tmp_path, **pod_gunicorn_env()) as (_, port, log_path):
        done = threading.Event()
        probes: list[tuple[bool, bool]] = []

        def probe_until_done() -> None:
            for _ in range(int(DEADLINE / 0.25)):  # bounded; one probe pair per ~quarter second
                probes.append((readiness(port, ready_timeout), liveness(port, live_timeout)))
                if done.wait(0.25):
                    return

        prober = threading.Thread(target=probe_until_done)
        prober.start()
        answers = []
        with ThreadPoolExecutor(IMPORTS) as pool:
            for _ in range(MAX_BURSTS):  # bounded; however fast an import is, the probes meet the load
                answers += pool.map(lambda _: send(port, request), range(IMPORTS))
                if len(probes) >= MIN_PROBES:
                    break
        done.set()
        prober.join(DEADLINE)
    statuses = np.array([status for status, _ in answers])
    assert set(statuses.tolist()) <= {200, 503}, f"{statuses}\n{log_path.read_text()[-3000:]}"
    assert all(b"Retry-After: " in head for status, head in answers if status == 503)
    assert (statuses == 200).sum() >= 2, "the upload slots admit imports, not only refusals"
    ready, live = (np.array(column) for column in zip(*probes, strict=True))
    assert len(probes) >= MIN_PROBES and ready.all() and live.all(), f"{len(probes)} probes: ready {ready}, live {live}"
