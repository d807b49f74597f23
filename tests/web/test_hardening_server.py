"""Issue 17 against the image's real gunicorn command (no proxy in front): a chunked body whose chunk size is
`zz` is a 400 with one log line (not a 500 and a traceback), and an upload body still arriving at the
deadline is answered 408 and closed (a client sending one byte a second no longer holds a worker forever), and a
broken run is served as a 503 (the master no longer exits) until its repair is served, without a restart."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from anime_recommender.resources import resource_dir
from tests.conftest import PROJECT_ROOT
from tests.web.browser import free_port
from tests.web.proxy import stop
from tests.web.test_hardening_loading import copy_run, rewrite
from tests.web.test_server import DEADLINE, connect, gunicorn, read_response, until

pytestmark = pytest.mark.slow

API = "/api/v1/recommendations/import"
BODY_DEADLINE = 2


@pytest.fixture()
def quick_deadline_config(tmp_path):
    """The shipped config with a 2 s upload body deadline."""
    config = yaml.safe_load((resource_dir("config") / "config.yaml").read_text())
    config["serving"]["upload_body_timeout_s"] = BODY_DEADLINE
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.parametrize("worker_class", ["gevent", "gthread"])
def test_a_malformed_chunked_body_is_a_400_with_one_log_line(tiny_artifacts, tmp_path, worker_class):
    request = (f"POST {API} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n"
               "Content-Type: multipart/form-data; boundary=b\r\n\r\nzz\r\nhello\r\n0\r\n\r\n").encode()
    with gunicorn(tiny_artifacts, tmp_path, GUNICORN_WORKER_CLASS=worker_class) as (_, port, log_path), \
            connect(port, request) as sock:
        status, body = read_response(sock)
        log = log_path.read_text()
    assert status == 400 and b"malformed" in body
    assert "Traceback" not in log and log.count("malformed request body") == 1, log[-3000:]


@pytest.mark.parametrize("worker_class", ["gevent", "gthread"])  # the default, and the pods' (behind nginx)
def test_an_upload_body_still_arriving_at_the_deadline_is_a_408(tiny_artifacts, tmp_path, quick_deadline_config,
                                                                worker_class):
    head = (f"POST {API} HTTP/1.1\r\nHost: t\r\nContent-Length: {2**20}\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\n\r\n").encode()
    with gunicorn(tiny_artifacts, tmp_path, APP_CONFIG=str(quick_deadline_config),
                  GUNICORN_WORKER_CLASS=worker_class) as (_, port, log_path), \
            connect(port, head + b"--b\r\n") as sock:
        sock.settimeout(DEADLINE)  # the answer must come by itself: the client sends nothing more
        status, body = read_response(sock)
    assert status == 408 and f"within {BODY_DEADLINE} seconds".encode() in body, log_path.read_text()[-3000:]


def test_a_broken_run_is_served_as_a_503_and_its_repair_without_a_restart(tiny_artifacts, tmp_path):
    """The audit's crash loop: an empty .npy whose checksum matches made the master exit before binding."""
    artifacts, run = copy_run(tiny_artifacts, tmp_path)
    good = (run / "anime_ids.npy").read_bytes()
    rewrite(run, "anime_ids.npy", b"")
    config = yaml.safe_load((resource_dir("config") / "config.yaml").read_text())
    config["serving"]["model_recheck_s"] = 1
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    port = free_port()
    env = {**os.environ, "ARTIFACTS_DIR": str(artifacts), "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2",
           "APP_CONFIG": str(tmp_path / "config.yaml")}
    with open(tmp_path / "server.log", "wb") as log:
        proc = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py",
                                 "application:app"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            until(lambda: proc.poll() is not None or status(port, "/healthz") == 200, "gunicorn to answer")
            assert proc.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            assert status(port, "/readyz") == 503 and b"could not be read (EOFError)" in body(port, "/readyz")
            rewrite(run, "anime_ids.npy", good)
            until(lambda: all(status(port, "/readyz") == 200 for _ in range(4)), "both workers to load the repair")
        finally:
            stop(proc, DEADLINE)


def status(port: int, path: str) -> int:
    return fetch(port, path)[0]


def body(port: int, path: str) -> bytes:
    return fetch(port, path)[1]


def fetch(port: int, path: str) -> tuple[int, bytes]:
    try:
        with connect(port, f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode()) as sock:
            sock.settimeout(10)
            return read_response(sock)
    except OSError:
        return 0, b""
