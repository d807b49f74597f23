"""Issue 17 against the image's real gunicorn command (no proxy in front): a chunked body whose chunk size is
`zz` is a 400 with one log line (not a 500 and a traceback), and an upload body still arriving at the
deadline is answered 408 and closed (a client sending one byte a second no longer holds a worker forever)."""
from __future__ import annotations

import pytest
import yaml

from anime_recommender.resources import resource_dir
from tests.web.test_server import DEADLINE, connect, gunicorn, read_response

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


def test_a_malformed_chunked_body_is_a_400_with_one_log_line(tiny_artifacts, tmp_path):
    request = (f"POST {API} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n"
               "Content-Type: multipart/form-data; boundary=b\r\n\r\nzz\r\nhello\r\n0\r\n\r\n").encode()
    with gunicorn(tiny_artifacts, tmp_path) as (_, port, log_path), connect(port, request) as sock:
        status, body = read_response(sock)
        log = log_path.read_text()
    assert status == 400 and b"malformed" in body
    assert "Traceback" not in log and log.count("malformed request body") == 1, log[-3000:]


def test_an_upload_body_still_arriving_at_the_deadline_is_a_408(tiny_artifacts, tmp_path, quick_deadline_config):
    head = (f"POST {API} HTTP/1.1\r\nHost: t\r\nContent-Length: {2**20}\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\n\r\n").encode()
    with gunicorn(tiny_artifacts, tmp_path, APP_CONFIG=str(quick_deadline_config)) as (_, port, log_path), \
            connect(port, head + b"--b\r\n") as sock:
        sock.settimeout(DEADLINE)  # the answer must come by itself: the client sends nothing more
        status, body = read_response(sock)
    assert status == 408 and f"within {BODY_DEADLINE} seconds".encode() in body, log_path.read_text()[-3000:]
