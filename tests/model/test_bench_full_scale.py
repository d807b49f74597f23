"""bench/full_scale.py end to end on a small set: generation, the real training command, the doc's table."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from full_scale import generator_version  # noqa: E402

pytestmark = pytest.mark.slow
STAGES = ("load", "process", "franchises", "train", "export", "evaluate", "write", "publish")


def test_full_scale_bench_times_every_stage_and_writes_its_table_into_the_doc(tmp_path, project_root):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("before\n<!-- full-scale:begin -->\nold table\n<!-- full-scale:end -->\nafter\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "bench/full_scale.py", "--users", "600", "--anime", "300", "--list-rows", "24000",
         "--epochs", "2", "--out", str(tmp_path / "out"), "--doc", str(doc)],
        cwd=project_root, capture_output=True, text=True, timeout=900, check=False,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("before\n<!-- full-scale:begin -->\n") and text.endswith("<!-- full-scale:end -->\nafter\n")
    assert "old table" not in text and "600 users" in text or "599 users" in text or "598 users" in text
    for stage in STAGES:
        assert f"\n| {stage} | " in text
    assert "| **end to end** (command start to exit) |" in text and "NOT FINISHED" not in text
    assert "\n| 1 | " in text and "\n| 2 | " in text  # the two epochs, timed
    assert "| ncf |" in text and "gate: " in text
    done = json.loads((tmp_path / "out" / "full-600x300-24000-7" / "COMPLETE.json").read_text(encoding="utf-8"))
    assert done["generator"] == generator_version()  # cached for the next run, made again if the generator changes


def test_ease_only_times_one_float32_fit_in_a_child(tmp_path, project_root):
    """`python bench/full_scale.py --ease-only` (docs/benchmarks.md, Full size), on a small catalogue."""
    proc = subprocess.run(
        [sys.executable, "bench/full_scale.py", "--ease-only", "--anime", "400", "--ease-users", "300",
         "--out", str(tmp_path)], cwd=project_root, capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "EASE at 400 anime" in proc.stdout and "random 300 users x 400 anime" in proc.stdout
    assert "(float32)" in proc.stdout and "peak RSS" in proc.stdout
