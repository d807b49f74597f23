"""The issue-17 benchmark commands of docs/benchmarks.md, end to end on small sizes: the parse comparison with
--before, and the worker-class comparison behind the shipped nginx (its table)."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.web.proxy import nginx_binary

pytestmark = pytest.mark.slow


def bench(project_root, *args: str, timeout: float) -> str:
    proc = subprocess.run([sys.executable, *args], cwd=project_root, capture_output=True, text=True,
                          timeout=timeout, check=False, env={**os.environ, "PYTHONPATH": str(project_root / "src")})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_import_parse_compares_with_a_git_revision(project_root):
    out = bench(project_root, "bench/import_parse.py", "--entries", "200", "--lists", "2", "--before", "HEAD",
                "--floors", timeout=300)
    number = r"[0-9.]+ \([0-9.]+–[0-9.]+\) \| [0-9.]+x"
    assert re.search(rf"\| read_export at HEAD \| {number} \|", out), out
    assert len(re.findall(rf"\| floor: gunzip \+ expat, [^|]+ \| {number} \|", out)) == 2, out
    assert re.search(rf"\| read_export \(expat validation, then the C-speed scan[^|]+\| {number} \|", out), out
    assert "the fast read took 2 of 2" in out, out


def test_serve_compares_the_worker_classes_behind_nginx(project_root, tmp_path):
    nginx_binary()
    out = bench(project_root, "bench/serve.py", "--compare-workers", "--users", "1500", "--duration", "0.5",
                "--concurrency", "2", timeout=900)
    header = next(line for line in out.splitlines() if line.startswith("| endpoint |"))
    assert all(f"{label} p50 / p99 ms" in header for label in ("gevent", "gthread, 4 threads", "sync")), out
    rows = [line for line in out.splitlines() if line.startswith("| user ")]
    assert len(rows) == 2 and all(line.count("|") == 7 for line in rows), out
    assert out.count("| 50 | 10 | 0 |") == 3, out  # every class behind nginx: no probe left unanswered
