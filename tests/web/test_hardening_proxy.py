"""Issue 17, the buffering proxy: the shipped config/nginx.conf in front of a real gunicorn (the image's command),
loopback only. A slow-body attack holds nginx connections, never a gunicorn worker: the probes are answered.

Every wait is on a condition with a deadline; the one fixed bound is the probes' own timeout (deployment.yaml).
"""
from __future__ import annotations

import gzip
import re
import socket
import subprocess

import pytest
import yaml
from werkzeug.test import encode_multipart

from anime_recommender.config import load_config
from anime_recommender.web.signed_list import MAX_TOKEN_BYTES
from tests.conftest import PROJECT_ROOT
from tests.recommend.exports import entries_xml
from tests.web.proxy import NGINX_CONF, local_conf, nginx_binary, nginx_in_front
from tests.web.test_import import _file
from tests.web.test_server import DEADLINE, connect, gunicorn, read_response, until

pytestmark = pytest.mark.slow

ATTACKERS = 420          # the audit's 420 connections (2 x 200 gevent connections, and then some)
ADDRESSES = 105          # ... from this many client addresses (127.0.1.x: the per-address limits are not the point)
PROBES = 10
API = "/api/v1/recommendations/import"


def manifests() -> list[dict]:
    return [d for d in yaml.safe_load_all((PROJECT_ROOT / "deployment.yaml").read_text()) if d]


def web_pod() -> dict:
    return next(d for d in manifests() if d["kind"] == "Deployment")["spec"]["template"]["spec"]


def container(name: str) -> dict:
    return next(c for c in web_pod()["containers"] if c["name"] == name)


def pod_gunicorn_env() -> dict[str, str]:
    """The GUNICORN_* settings the pods run with (the worker class behind nginx)."""
    return {e["name"]: e["value"] for e in container("web")["env"] if e["name"].startswith("GUNICORN_")}


def directive(name: str, text: str | None = None) -> list[str]:
    return re.findall(rf"^[ \t]*{name}[ \t]+([^;{{\n]+);", text or NGINX_CONF.read_text(), flags=re.M)


def gunicorn_setting(name: str) -> int:
    """A GUNICORN_* number the pods run with: deployment.yaml's value, else gunicorn.conf.py's default."""
    default = int(re.search(rf'"{name}", (\d+)', (PROJECT_ROOT / "gunicorn.conf.py").read_text())[1])
    return int(pod_gunicorn_env().get(name, default))


def test_nginx_drops_an_idle_upstream_connection_before_gunicorn_does():
    """Else a POST nginx sends on a connection gunicorn is closing that moment is answered 502 (the flake of
    test_a_watch_together_upload_past_64k_passes_the_proxy)."""
    upstream = re.search(r"upstream gunicorn \{([^}]*)\}", NGINX_CONF.read_text())[1]
    (idle,) = directive("keepalive_timeout", upstream)
    assert directive("keepalive", upstream) and int(idle.rstrip("s")) <= gunicorn_setting("GUNICORN_KEEPALIVE") - 2


def test_the_shipped_config_is_valid_nginx(tmp_path):
    conf = tmp_path / "nginx.conf"
    tmp_path.chmod(0o755)
    conf.write_text(local_conf(5000, 8080, tmp_path))
    result = subprocess.run([nginx_binary(), "-t", "-p", str(tmp_path), "-e", "stderr", "-c", str(conf)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_the_proxy_limits_are_the_apps():
    cfg = load_config(env={}).serving
    form = cfg.max_body_bytes  # every route's body, and the form fields around an import's file
    assert directive("client_max_body_size") == [f"{form // 1024}k", f"{(cfg.import_max_bytes + form) // 1024}k",
                                                 f"{(MAX_TOKEN_BYTES + form) // 1024}k"]
    assert directive("client_body_buffer_size") == [f"{(cfg.import_max_bytes + form) // 1024}k"]
    assert int(directive("proxy_read_timeout")[0].rstrip("s")) > gunicorn_setting("GUNICORN_TIMEOUT")
    web_port = next(p["containerPort"] for p in container("web")["ports"])
    assert directive("server") == [f"127.0.0.1:{web_port}"]
    proxy_port = next(p["containerPort"] for p in container("proxy")["ports"])
    assert directive("listen") == [str(proxy_port)]


def test_the_pod_ships_this_file_and_the_service_points_at_nginx():
    config_map = next(d for d in manifests() if d["kind"] == "ConfigMap" and d["metadata"]["name"] ==
                      "anime-recommender-nginx")
    assert config_map["data"]["nginx.conf"] == NGINX_CONF.read_text(), \
        "deployment.yaml's ConfigMap anime-recommender-nginx must hold config/nginx.conf verbatim"
    service = next(d for d in manifests() if d["kind"] == "Service")
    (port,) = service["spec"]["ports"]
    assert port["targetPort"] in [p["name"] for p in container("proxy")["ports"]]


@pytest.fixture(scope="module")
def stack(tiny_artifacts, tmp_path_factory):
    """gunicorn (the image's command with the pod's GUNICORN_* settings) and nginx with the shipped config."""
    logs = tmp_path_factory.mktemp("stack")
    with gunicorn(tiny_artifacts, logs, **pod_gunicorn_env()) as (_, app_port, log_path), \
            nginx_in_front(app_port, log_path=logs / "nginx.log") as proxy_port:
        yield app_port, proxy_port, log_path


def logs_of(stack) -> str:
    """The ends of nginx's and gunicorn's logs, for a failing assertion's message."""
    server_log = stack[2]
    return "\n".join(f"--- {path.name}:\n{path.read_text(errors='replace')[-3000:]}"
                     for path in (server_log.parent / "nginx.log", server_log))


def probe_timeout() -> int:
    return container("web")["readinessProbe"]["timeoutSeconds"]


def answered(port: int, path: str, seconds: float) -> bool:
    """One probe: a 200 within `seconds`, as the kubelet counts it."""
    try:
        with connect(port, f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode()) as sock:
            sock.settimeout(seconds)
            return read_response(sock)[0] == 200
    except OSError:
        return False


def slow_upload(port: int, address: str) -> socket.socket:
    """An upload that declares 10 MB and sends its first 100 bytes (then, at the attack's pace, nothing)."""
    sock = socket.socket()
    sock.bind((address, 0))
    sock.settimeout(DEADLINE)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"POST {API} HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                 f"Content-Length: {10 * 2**20}\r\n\r\n".encode() + b"--b\r\n" + b"x" * 95)
    return sock


def upload_limits() -> tuple[int, int]:
    """nginx's limits on uploads held at once: in the pod, per client address (config/nginx.conf)."""
    limits = dict(re.findall(r"limit_conn (uploads\w*) (\d+);", NGINX_CONF.read_text()))
    return int(limits["uploads"]), int(limits["uploads_per_client"])


def peeked(sock: socket.socket) -> bytes | None:
    """What the server has sent on this connection so far, unread (b"" once closed); None: nothing yet."""
    sock.setblocking(False)
    try:
        return sock.recv(64, socket.MSG_PEEK)
    except BlockingIOError:
        return None
    except OSError:
        return b""
    finally:
        sock.settimeout(DEADLINE)


def refused(sock: socket.socket) -> bool:
    """nginx answered 503 (a connection limit) without reading the body."""
    return (peeked(sock) or b"").startswith(b"HTTP/1.1 503")


def test_a_slow_body_attack_holds_nginx_not_gunicorn_and_probes_answer(stack):
    app_port, proxy_port, log_path = stack
    in_pod, _ = upload_limits()
    attackers = [slow_upload(proxy_port, f"127.0.1.{1 + i % ADDRESSES}") for i in range(ATTACKERS)]
    try:
        timeout = probe_timeout()
        direct = sum(answered(app_port, "/readyz", timeout) for _ in range(PROBES))      # the kubelet's path
        proxied = sum(answered(proxy_port, "/healthz", timeout) for _ in range(PROBES))  # the users' path
        until(lambda: sum(map(refused, attackers)) >= ATTACKERS - in_pod, "nginx to refuse the uploads past its limit")
        held = sum(peeked(sock) is None for sock in attackers)
    finally:
        for sock in attackers:
            sock.close()
    assert (direct, proxied) == (PROBES, PROBES)
    assert held == in_pod, f"nginx holds {in_pod} slow uploads itself and refuses the rest (held {held})"
    assert f"POST '{API}'" not in log_path.read_text(), "no half-sent upload may reach gunicorn"


def test_a_get_of_the_upload_routes_is_not_counted_as_an_upload(stack):
    """With every upload slot held, the /together and /import pages and the together API's GET still answer;
    one more upload is refused."""
    _, proxy_port, _ = stack
    in_pod, _ = upload_limits()
    holders = [slow_upload(proxy_port, f"127.0.3.{1 + i}") for i in range(in_pod)]
    extra = slow_upload(proxy_port, "127.0.3.200")
    try:
        until(lambda: refused(extra), "the upload past the limit to be refused")
        for path, status in (("/together", 200), ("/import", 200),
                             ("/api/v1/recommendations/together", 400)):
            with connect(proxy_port, f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode()) as sock:
                assert read_response(sock)[0] == status, (path, logs_of(stack))
        assert all(peeked(sock) is None for sock in holders)
    finally:
        for sock in [*holders, extra]:
            sock.close()


def test_an_upload_through_the_proxy_is_answered_and_an_oversized_one_refused_by_nginx(stack):
    _, proxy_port, _ = stack
    boundary, body = encode_multipart(_file(gzip.compress(entries_xml(2000))))
    head = (f"POST {API} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: {len(body)}\r\n"
            f'Content-Type: multipart/form-data; boundary="{boundary}"\r\n\r\n').encode()
    with connect(proxy_port, head + body) as sock:
        assert read_response(sock)[0] == 200, logs_of(stack)
    too_big = (f"POST {API} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: {10 * 2**20 + 2**17}\r\n"
               "Content-Type: multipart/form-data; boundary=b\r\n\r\n").encode()
    with connect(proxy_port, too_big) as sock:
        assert read_response(sock)[0] == 413


def test_a_watch_together_upload_past_64k_passes_the_proxy(stack):
    """web/together.py's uploads share the import's nginx location: a group's files beyond the 64k default."""
    _, proxy_port, _ = stack
    files = {f"file{i}": _file(entries_xml(1500, 100 + i))["file"] for i in (1, 2)}
    boundary, body = encode_multipart(files)
    assert len(body) > 64 * 1024
    head = (f"POST /api/v1/recommendations/together HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
            f'Content-Length: {len(body)}\r\nContent-Type: multipart/form-data; boundary="{boundary}"\r\n\r\n').encode()
    with connect(proxy_port, head + body) as sock:
        assert read_response(sock)[0] == 200, logs_of(stack)
