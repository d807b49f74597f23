"""The list-import curl command of docs/web.md, run as written against a real gunicorn on the tiny run."""
from __future__ import annotations

import gzip
import json
import re
import shlex
import shutil
import subprocess

import pytest

from tests.conftest import PROJECT_ROOT
from tests.recommend.exports import FIXTURE

pytestmark = pytest.mark.slow
DOCUMENTED = "http://127.0.0.1:5000"


def test_documented_import_curl_command(server, tmp_path):
    if not shutil.which("curl"):
        pytest.skip("curl is not installed")
    doc = (PROJECT_ROOT / "docs" / "web.md").read_text(encoding="utf-8")
    command = shlex.split(re.search(r"^curl -F .*recommendations/import.*$", doc, flags=re.M).group(0))
    export = re.search(r"file=@(\S+)", " ".join(command)).group(1)
    (tmp_path / export).write_bytes(gzip.compress(FIXTURE.read_bytes()))
    command = [part.replace(DOCUMENTED, server) for part in command]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=True)
    body = json.loads(done.stdout)
    assert body["imported"]["entries"] == 15 and len(body["results"]) == 5
    assert {r["type"] for r in body["results"]} == {"TV"}
