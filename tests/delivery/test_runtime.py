"""The image's own command, run for real without Docker: the Dockerfile's CMD, ENV, EXPOSE and HEALTHCHECK
are parsed and executed here (cwd = the repo root, which is the image's WORKDIR /app), on a model trained
by the real pipeline, with the worker count of deployment.yaml; then the process is stopped with SIGTERM
as Kubernetes does. Also measures the memory that sizes the Deployment's requests/limits.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import PROJECT_ROOT
from tests.delivery.conftest import VENV_BIN, request_lines

pytestmark = [pytest.mark.delivery, pytest.mark.slow]

START_TIMEOUT = 180  # the Deployment's startupProbe allows 36 x 5 s


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def pick_port(preferred: int) -> int:
    """The EXPOSEd port when free; otherwise a free one (a developer's `make run` may hold 5000).

    Both are honest: the image reads its port from $PORT (ENV PORT=<EXPOSE>) and so does the
    HEALTHCHECK, so running with another $PORT exercises the same code path.
    """
    if port_is_free(preferred):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def image_env(dockerfile, tmp: Path, artifacts: Path, port: int, workers: str) -> dict[str, str]:
    """The final stage's ENV, with the image's paths mapped onto this machine."""
    env = {k: v for k, v in os.environ.items() if k not in {"BIND", "APP_CONFIG", "COMET_API_KEY"}}
    for name, value in dockerfile.env.items():
        if name == "PATH":
            value = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"  # /opt/venv/bin -> .venv/bin
        elif value.startswith("/tmp"):
            value = str(tmp / value.lstrip("/"))
        env[name] = value
    (tmp / "tmp").mkdir(exist_ok=True)
    env.update(ARTIFACTS_DIR=str(artifacts), DATA_DIR=str(tmp / "data"), PORT=str(port), WEB_CONCURRENCY=workers)
    return env


def get(url: str, timeout: float = 5) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def process_tree(root: int) -> list[int]:
    """root and its descendants (gunicorn master + workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def memory_kib(pid: int) -> dict[str, int]:
    """Rss and Pss (shared pages split between the processes sharing them) of one process."""
    text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    return {key: int(re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE).group(1)) for key in ("Rss", "Pss")}


def quantity_kib(value: str) -> int:
    units = {"Ki": 1, "Mi": 1024, "Gi": 1024 ** 2}
    number, unit = re.fullmatch(r"(\d+)(Ki|Mi|Gi)", value).groups()
    return int(number) * units[unit]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for the memory measurement")
def test_image_command_serves_health_on_the_exposed_port(dockerfile, web_container, trained_artifacts, tmp_path):
    port = pick_port(dockerfile.exposed_port)
    workers = next(e["value"] for e in web_container["env"] if e["name"] == "WEB_CONCURRENCY")
    env = image_env(dockerfile, tmp_path, trained_artifacts, port, workers)
    command = list(dockerfile.cmd)
    executable = shutil.which(command[0], path=env["PATH"])
    assert executable, f"{command[0]} (the image's CMD) is not on PATH"
    command[0] = executable
    options, healthcheck = dockerfile.healthcheck
    healthcheck = [shutil.which(healthcheck[0], path=env["PATH"]) or healthcheck[0], *healthcheck[1:]]
    check_timeout = float(options.get("timeout", "30s").rstrip("s"))

    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, _ = get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert status == 200, f"no 200 from /healthz (exit {server.poll()}):\n{log_path.read_text()[-4000:]}"

        # The HEALTHCHECK itself, exactly as Docker would run it.
        check = subprocess.run(healthcheck, env=env, capture_output=True, text=True, timeout=check_timeout + 5,
                               check=False)
        assert check.returncode == 0, f"HEALTHCHECK failed: {check.stdout}{check.stderr}"

        status, body = get(f"http://127.0.0.1:{port}/readyz")
        run_id = json.loads((trained_artifacts / "current" / "manifest.json").read_text())["run_id"]
        assert status == 200 and run_id in body, f"/readyz {status}: {body}"
        status, body = get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200 and "http_requests_total" in body, f"/metrics {status}"

        # Some real traffic on every worker before measuring: request temporaries and copy-on-write
        # pages that serving touches are part of what the pod needs.
        users = np.load(trained_artifacts / "current" / "user_ids.npy")[:12]
        anime = np.load(trained_artifacts / "current" / "anime_ids.npy")[:6]
        urls = [f"/api/v1/users/{u}/recommendations?mode={m}" for u in users
                for m in ("hybrid", "model", "users", "content", "popular")]
        urls += [f"/api/v1/anime/{a}/similar" for a in anime] + ["/api/v1/search?q=a"]
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda path: get(f"http://127.0.0.1:{port}{path}", timeout=30)[0], urls))
        assert statuses.count(200) == len(urls), dict(zip(urls, statuses, strict=True))

        tree = process_tree(server.pid)
        assert len(tree) == 1 + int(workers), f"expected a master and {workers} workers, got {tree}"
        usage = {pid: memory_kib(pid) for pid in tree}
        total_pss = sum(u["Pss"] for u in usage.values())
        total_rss = sum(u["Rss"] for u in usage.values())
        limit = quantity_kib(web_container["resources"]["limits"]["memory"])
        request = quantity_kib(web_container["resources"]["requests"]["memory"])
        report = {"workers": int(workers), "requests_served": len(urls), "processes": len(tree),
                  "pss_total_mib": round(total_pss / 1024, 1),
                  "rss_total_mib": round(total_rss / 1024, 1),
                  "per_process_mib": {str(p): {k: round(v / 1024, 1) for k, v in u.items()} for p, u in usage.items()},
                  "request_mib": request // 1024, "limit_mib": limit // 1024,
                  "model_files_mib": round(sum(f.stat().st_size for f in (trained_artifacts / "current").iterdir())
                                           / 2 ** 20, 2)}
        out = PROJECT_ROOT / "test-output" / "delivery"
        out.mkdir(parents=True, exist_ok=True)
        (out / "memory.json").write_text(json.dumps(report, indent=2))
        print("serving memory:", json.dumps(report))
        assert total_pss < 0.8 * limit, f"the pod would sit near its memory limit: {report}"
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)  # what the kubelet sends
        try:
            code = server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # this test's own process group only
            server.wait()
            pytest.fail(f"gunicorn ignored SIGTERM for 40 s:\n{log_path.read_text()[-4000:]}")
    assert code == 0, f"gunicorn exited {code} on SIGTERM:\n{log_path.read_text()[-4000:]}"
    for path in (f"/api/v1/anime/{a}/similar" for a in anime):
        lines = request_lines(log_path, path)  # the app's line; gunicorn's access log is off
        assert len(lines) == 1, f"one log line per request, got {lines}"
    after = subprocess.run(healthcheck, env=env, capture_output=True, timeout=check_timeout + 5, check=False)
    assert after.returncode != 0, "HEALTHCHECK must fail once the server is gone"
