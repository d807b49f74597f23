"""The shipped nginx config (config/nginx.conf) run for real in front of a local gunicorn: loopback only,
unprivileged ports, a temporary directory for everything nginx writes."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import IN_CI, PROJECT_ROOT
from tests.web.browser import free_port

NGINX_CONF = PROJECT_ROOT / "config" / "nginx.conf"
SHIPPED_LISTEN, SHIPPED_UPSTREAM = "listen 8080;", "server 127.0.0.1:5000;"


def nginx_binary() -> str:
    """Debian's nginx (.ci/install-tools.sh installs it); missing: fail in CI, skip elsewhere."""
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    if found is None:
        message = "nginx is needed for the proxy tests (apt-get install nginx, or bash .ci/install-tools.sh)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


def local_conf(upstream_port: int, listen_port: int, workdir: Path) -> str:
    """The shipped config with only the ports and the /tmp paths changed (asserted: each appears once)."""
    text = NGINX_CONF.read_text(encoding="utf-8")
    assert text.count(SHIPPED_LISTEN) == 1 and text.count(SHIPPED_UPSTREAM) == 1
    return (text.replace(SHIPPED_LISTEN, f"listen 127.0.0.1:{listen_port};")
                .replace(SHIPPED_UPSTREAM, f"server 127.0.0.1:{upstream_port};")
                .replace(" /tmp/", f" {workdir}/"))


@contextmanager
def nginx_in_front(upstream_port: int, seconds: float = 60, *, log_path: Path | None = None):
    """nginx with the shipped config in front of 127.0.0.1:upstream_port; yields its port. Its error log goes
    to `log_path` when given (kept for a failing test's message), else into its temporary directory."""
    binary = nginx_binary()
    # nginx's worker drops root to `nobody` when started as root: its directory must be reachable by it
    workdir = Path(tempfile.mkdtemp(prefix="nginx-test-"))
    workdir.chmod(0o755)
    port = free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(local_conf(upstream_port, port, workdir), encoding="utf-8")
    (workdir / "conf").mkdir()  # nginx's prefix/conf: unused, but -p wants a prefix
    log_path = log_path or workdir / "nginx.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([binary, "-p", str(workdir), "-e", "stderr", "-c", str(conf)],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + seconds
        while not _accepts(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.05)
        yield port
    finally:
        stop(proc, seconds)
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)


def stop(proc: subprocess.Popen, seconds: float) -> None:
    """SIGTERM, then SIGKILL after `seconds`, unless the process has ended already."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
