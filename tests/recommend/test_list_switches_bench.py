"""bench/list_switches.py (docs/benchmarks.md, the import's switches) runs end to end on the real slice."""
from __future__ import annotations

import importlib.util
import json

import pytest

from tests.conftest import PROJECT_ROOT

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def test_the_switches_bench_runs_as_documented(real_anime_dir, tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("list_switches", PROJECT_ROOT / "bench" / "list_switches.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--data-dir", str(real_anime_dir), "--out", str(tmp_path), "--seeds", "1", "--epochs", "1"]) == 0
    summary = json.loads((tmp_path / "list_switches.json").read_text())
    assert summary["users"] == 16 and summary["dropped_rows"] == 81 and set(summary["results"]) == set(bench.SETTINGS)
    shipped, planned = summary["results"][next(iter(bench.SETTINGS))], summary["results"]["include_planned=1"]
    assert shipped["planned_shown"] == 0 and planned["planned_shown"] > 0
    assert all(0 <= r["ndcg@10"] <= 1 for r in summary["results"].values())
    assert json.loads(capsys.readouterr().out) == summary
