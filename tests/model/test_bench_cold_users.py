"""bench/cold_users.py end to end on a tiny generated sample: every protocol's rows, as numbers."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_cold_users_bench_measures_every_row(tmp_path, project_root):
    out = tmp_path / "figures.json"
    proc = subprocess.run(
        [sys.executable, "bench/cold_users.py", "--only", "sample", "--seeds", "1", "--max-users", "15",
         "--sample-dir", str(tmp_path / "sample"), "--json", str(out), "--set", "sample.users=300",
         "--set", "sample.anime=120", "--set", "training.epochs=2", "--set", "evaluation.ease_lambdas=[50.0]"],
        cwd=project_root, capture_output=True, text=True, timeout=900, check=False,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = json.loads(out.read_text(encoding="utf-8"))["sample"]
    for row in ("test: cold served import (config weights)", "test: cold served import, mode=model",
                "test: cold NCF alone (tower)", "test: cold EASE (x·B)", "test: cold ALS (recalculate_user)",
                "test: cold popularity", "test: warm served page, discount 0.0", "test: warm EASE (x·B)",
                "valid: pooling: every entry once (as training)", "valid: import discount 0.1"):
        assert 0.0 <= table[row]["ndcg"] <= 1.0 and len(table[row]["seeds"]) == 1, row
    assert table["test: cold popularity"]["top1"] > 0.5  # everyone gets the same #1 from popularity
    assert "| test: cold served import (config weights) |" in proc.stdout


def test_discount_shapes_measure_every_shape_and_beta(tmp_path, project_root):
    out = tmp_path / "figures.json"
    proc = subprocess.run(
        [sys.executable, "bench/cold_users.py", "--only", "sample", "--seeds", "1", "--max-users", "10",
         "--discount-shapes", "--with-test", "--sample-dir", str(tmp_path / "sample"), "--json", str(out),
         "--set", "sample.users=300", "--set", "sample.anime=120", "--set", "training.epochs=2",
         "--set", "evaluation.ease_lambdas=[50.0]"],
        cwd=project_root, capture_output=True, text=True, timeout=900, check=False,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = json.loads(out.read_text(encoding="utf-8"))["sample"]
    sys.path.insert(0, str(project_root / "bench"))
    from cold_users import SHAPE_BETAS, shape_grid

    assert "bias" in SHAPE_BETAS  # the model's own learned bias, beside the shapes of the train users
    assert shape_grid([]) == SHAPE_BETAS
    assert shape_grid(["bias:0.6", "log:0.1", "bias:1"]) == {"bias": (0.6, 1.0), "log": (0.1,)}
    for shape, betas in SHAPE_BETAS.items():
        for beta in betas:
            for row in (f"valid: import {shape}, β {beta}", f"test: cold served import {shape}, β {beta}",
                        f"valid: page {shape}, β {beta}", f"test: warm served page {shape}, β {beta}"):
                assert 0.0 <= table[row]["ndcg"] <= 1.0 and 0.0 < table[row]["top1"] <= 1.0, row
    assert "valid: page no discount" in table and "test: cold served import no discount" in table
