"""bench/serve_cpu.py, the CPU-per-request table of docs/benchmarks.md, end to end on the tiny run: alone, and
side by side with a git revision (--before)."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def serve_cpu(project_root, *args: str) -> str:
    proc = subprocess.run([sys.executable, "bench/serve_cpu.py", *args], cwd=project_root, capture_output=True,
                          text=True, timeout=600, check=False,
                          env={**os.environ, "PYTHONPATH": str(project_root / "src")})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_one_table_of_cpu_per_request(project_root, tiny_artifacts):
    out = serve_cpu(project_root, str(tiny_artifacts), "--only", "API")
    rows = [line for line in out.splitlines() if line.startswith("| ") and not line.startswith("| request")]
    assert any(row.startswith("| list import API (1,000-entry .xml.gz) | ") for row in rows), out
    assert all(re.fullmatch(r"\| [^|]*API[^|]* \| [0-9.]+ \|", row) for row in rows), out


def test_the_import_beside_a_git_revision(project_root, tiny_artifacts):
    out = serve_cpu(project_root, str(tiny_artifacts), "--only", "list import", "--before", "HEAD", "--repeat", "1")
    assert "| request | CPU ms at HEAD (median, range) | this tree (median, range) | ratio |" in out, out
    number = r"[0-9.]+ \([0-9.]+–[0-9.]+\)"
    rows = [line for line in out.splitlines() if line.startswith("| list import")]
    row = rf"\| [^|]+ \| {number} \| {number} \| [0-9.]+x \|"
    assert len(rows) == 4 and all(re.fullmatch(row, line) for line in rows), out
