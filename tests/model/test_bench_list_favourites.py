"""bench/list_favourites.py end to end on a tiny generated sample: both rules measured, the old one restored."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_both_favourites_rules_are_measured(tmp_path, project_root):
    out = tmp_path / "figures.json"
    proc = subprocess.run(
        [sys.executable, "bench/list_favourites.py", "--only", "sample", "--seeds", "1", "--max-users", "15",
         "--sample-dir", str(tmp_path / "sample"), "--json", str(out), "--set", "sample.users=300",
         "--set", "sample.anime=120", "--set", "training.epochs=2"],
        cwd=project_root, capture_output=True, text=True, timeout=900, check=False,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    (seed,) = json.loads(out.read_text(encoding="utf-8"))["sample"]
    assert set(seed) == {"top quarter (shipped)", "every like (before)"}
    for figures in seed.values():
        assert all(0.0 <= figures[split]["ndcg"] <= 1.0 for split in ("valid", "test"))
    assert "| top quarter (shipped) |" in proc.stdout and "| every like (before) |" in proc.stdout
