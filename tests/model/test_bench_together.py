"""bench/together.py end to end on a tiny generated sample: every aggregation's solo and group recall, as numbers."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from anime_recommender.recommend.together import AGGREGATIONS

pytestmark = pytest.mark.slow


def test_together_bench_measures_every_aggregation(tmp_path, project_root):
    out = tmp_path / "figures.json"
    proc = subprocess.run(
        [sys.executable, "bench/together.py", "--only", "sample", "--seeds", "1", "--max-users", "20",
         "--group", "2", "--sample-dir", str(tmp_path / "sample"), "--json", str(out), "--set", "sample.users=300",
         "--set", "sample.anime=120", "--set", "training.epochs=2"],
        cwd=project_root, capture_output=True, text=True, timeout=900, check=False,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run,) = json.loads(out.read_text(encoding="utf-8"))["sample"]
    assert set(run) == {"model", "hybrid"}  # the model's scores alone and the solo list's blend, side by side
    for kind, grid in (("model", (0.25, 0.5, 1.0, 2.0)), ("hybrid", (0.5, 1.0, 2.0, 4.0, 8.0, 16.0))):
        for figures in (run[kind], run[kind]["inner"]):
            for aggregation in AGGREGATIONS:
                solo, group, alike, split = figures[aggregation]
                assert 0.0 < solo <= 1.0 and 0.0 <= group <= 1.0 and 0.0 <= alike <= 1.0 and 0.0 <= split <= solo, (
                    kind, aggregation)
        assert run[kind]["sharpness"] in grid
        assert "#### person scores: " + kind in proc.stdout
    assert all(f"| {aggregation} |" in proc.stdout for aggregation in AGGREGATIONS)
