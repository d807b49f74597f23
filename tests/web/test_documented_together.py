"""The watch-together and continue curl commands of docs/web.md, run as written against a real gunicorn on the
tiny run (its Dragon Ball fans; the continue command's example user ID swapped for one of them)."""
from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess

import pytest

from tests.conftest import PROJECT_ROOT
from tests.recommend.exports import entries_xml
from tests.recommend.franchise_run import FAN_STARTED

pytestmark = pytest.mark.slow
DOCUMENTED = "http://127.0.0.1:5000"


def _command(pattern: str, server: str) -> list[str]:
    doc = (PROJECT_ROOT / "docs" / "web.md").read_text(encoding="utf-8")
    return [part.replace(DOCUMENTED, server) for part in shlex.split(re.search(pattern, doc, flags=re.M).group(0))]


def _run(command: list[str], cwd) -> dict:
    return json.loads(subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120,
                                     check=True).stdout)


@pytest.fixture(autouse=True)
def _curl():
    if not shutil.which("curl"):
        pytest.skip("curl is not installed")


def test_documented_together_commands(server, tmp_path):
    body = _run(_command(r"^curl '.*recommendations/together\?name1=.*$", server), tmp_path)
    assert [p["name"] for p in body["people"]] == ["Ana", "Ben"] and len(body["results"]) == 5
    assert all(r["explanation"].startswith("Ana: ") for r in body["results"])
    command = _command(r"^curl -F 'file1=.*recommendations/together.*$", server)
    for name in re.findall(r"file\d=@(\S+)", " ".join(command)):
        (tmp_path / name).write_bytes(entries_xml(4, 101 if "ana" in name else 100))
    body = _run(command, tmp_path)
    assert [p["given_as"] for p in body["people"]] == ["list", "list"] and len(body["results"]) == 5


def test_documented_continue_command(server, tmp_path):
    command = [re.sub(r"/users/\d+/", f"/users/{FAN_STARTED}/", part)
               for part in _command(r"^curl '.*/continue'$", server)]
    body = _run(command, tmp_path)
    assert [e["title"] for e in body["continue"]] == ["Dragon Ball Z"]
