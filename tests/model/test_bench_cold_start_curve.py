"""bench/cold_start_curve.py end to end on MovieLens-100k (one seed, two epochs, a few users): every row at
every number of titles as numbers, the tables and the chart; --replot draws them again from the JSON."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow
POINTS = ["1", "3", "5", "10", "20"]


def bench(project_root, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "bench/cold_start_curve.py", *args], cwd=project_root,
                          capture_output=True, text=True, timeout=900, check=False,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


def test_the_curve_measures_every_row_and_draws_the_chart(tmp_path, project_root, real_movielens_dir):
    out, svg = tmp_path / "curve.json", tmp_path / "curve.svg"
    proc = bench(project_root, "--only", "movielens", "--seeds", "1", "--max-users", "12",
                 "--shared-data", str(real_movielens_dir.parent), "--json", str(out), "--chart", str(svg),
                 "--set", "training.epochs=2", "--set", "evaluation.ease_lambdas=[250.0]")
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = json.loads(out.read_text(encoding="utf-8"))["MovieLens-100k"]
    (users,) = table["users"]  # validation: those of the 12 sampled with 25+ titles; test: a sample of 12
    assert 0 < users["valid"] <= 12 and users["test"] == 12
    for split in ("valid", "test"):
        for row in ("picks as served (config)", "tower alone, strength 1.0", "EASE (x·B)", "popularity"):
            cells = table[split][row]
            assert list(cells) == POINTS and all(0 <= cells[n]["recall@20"] <= 1 for n in POINTS), (split, row)
            assert all(0 <= cells[n]["ndcg@10"] <= 1 for n in POINTS)
    assert table["test"]["picks as served (config)"]["3"]["recall@20"] > 0  # the served path finds something
    ceiling = table["test"]["ceiling: 20 titles all on the rest of the list"]
    for n in POINTS:  # nothing passes the ceiling, and it is a perfect ranking
        assert ceiling[n]["ndcg@10"] == pytest.approx(1.0)
        assert all(table["test"][row][n]["recall@20"] <= ceiling[n]["recall@20"] + 1e-9 for row in table["test"])
    assert "| picks as served (config) ÷ popularity |" in proc.stdout
    assert "<svg" in svg.read_text(encoding="utf-8")

    again = bench(project_root, "--replot", str(out), "--chart", str(tmp_path / "again.svg"),
                  "--served-row", "picks {model 1}, β 0")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "| picks {model 1}, β 0 ÷ popularity |" in again.stdout and (tmp_path / "again.svg").is_file()


def one_grid(tmp_path, project_root, movielens_dir, grid: str) -> dict:
    """The MovieLens table of one grid: one seed, one epoch, 8 users per split."""
    out = tmp_path / f"{grid}.json"
    proc = bench(project_root, "--only", "movielens", "--seeds", "1", "--max-users", "8", "--grid", grid,
                 "--shared-data", str(movielens_dir.parent), "--json", str(out),
                 "--set", "training.epochs=1", "--set", "evaluation.ease_lambdas=[250.0]")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8"))["MovieLens-100k"]


def test_the_growing_grid_measures_each_slope_with_its_top_share(tmp_path, project_root, real_movielens_dir):
    table = one_grid(tmp_path, project_root, real_movielens_dir, "growing")
    growing = [row for row in table["valid"] if "min(1, " in row]
    assert len(growing) == 4 and "picks {model 1}, β 0, strength 1" in table["valid"]
    for row in growing:
        cells = table["test"][row]
        assert all(0 <= cells[n]["recall@20"] <= 1 and 0 < cells[n]["top1"] <= 1 for n in POINTS), row
    # at 20 titles every slope is at full strength: the model alone at strength 1, the same list
    full = table["test"]["picks {model 1}, β 0, strength 1"]["20"]
    assert all(table["test"][row]["20"] == full for row in growing if row.startswith("picks {model 1}"))


def test_the_neighbours_grid_adds_the_item_co_occurrence_rows(tmp_path, project_root, real_movielens_dir):
    test = one_grid(tmp_path, project_root, real_movielens_dir, "neighbours")["test"]
    rows = [row for row in test if row.startswith("offline: item co-occurrence, α ")]
    assert len(rows) == 4
    for row in rows:
        assert all(0 < test[row][n]["recall@20"] <= 1 for n in POINTS), row  # a real ranking: it finds some
