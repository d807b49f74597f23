"""The artifact store: runs appear whole or not at all, and tampered files are refused."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest

from anime_recommender.artifacts import (
    ArtifactIntegrityError,
    ArtifactsNotFound,
    LockHeld,
    RunWriter,
    clean_leftovers,
    list_runs,
    load_run,
    resolve_run_dir,
    set_current,
    training_lock,
)


def _publish(artifacts_dir, value: float, make_current: bool = True) -> str:
    with RunWriter(artifacts_dir) as writer:
        writer.save_array("vectors", np.full((3, 2), value, dtype=np.float32))
        writer.save_json("metrics", {"ndcg@10": value})
        writer.save_frame("catalog", pd.DataFrame({"anime_id": [1, 2], "name": ["a", "b"]}))
        writer.publish({"note": "test"}, make_current=make_current)
    return writer.run_id


def test_round_trip_returns_what_was_written(tmp_path):
    run_id = _publish(tmp_path, 0.5)
    run = load_run(tmp_path)
    assert run.run_id == run_id
    np.testing.assert_array_equal(run.array("vectors"), np.full((3, 2), 0.5, dtype=np.float32))
    assert run.json("metrics") == {"ndcg@10": 0.5}
    assert list(run.frame("catalog")["name"]) == ["a", "b"]
    assert set(run.manifest["files"]) == {"vectors.npy", "metrics.json", "catalog.parquet"}


def test_tampered_file_is_refused(tmp_path):
    _publish(tmp_path, 0.5)
    path = resolve_run_dir(tmp_path) / "metrics.json"
    path.write_text(json.dumps({"ndcg@10": 0.99}))
    with pytest.raises(ArtifactIntegrityError, match="metrics.json"):
        load_run(tmp_path)


def test_missing_listed_file_is_refused(tmp_path):
    _publish(tmp_path, 0.5)
    (resolve_run_dir(tmp_path) / "vectors.npy").unlink()
    with pytest.raises(ArtifactIntegrityError, match="missing"):
        load_run(tmp_path)


def test_no_run_is_a_clear_error(tmp_path):
    with pytest.raises(ArtifactsNotFound, match="no trained model"):
        load_run(tmp_path)


def test_exception_while_writing_leaves_nothing_loadable(tmp_path):
    first = _publish(tmp_path, 0.1)
    with pytest.raises(RuntimeError), RunWriter(tmp_path) as writer:
        writer.save_array("vectors", np.zeros(3))
        raise RuntimeError("crash mid-write")
    assert list_runs(tmp_path) == [first]
    assert not any(p.name.startswith(".tmp-") for p in (tmp_path / "runs").iterdir())
    assert load_run(tmp_path).run_id == first


def test_killed_writer_leaves_current_untouched(tmp_path):
    first = _publish(tmp_path, 0.1)
    script = (
        "import os, numpy as np, sys\n"
        "from anime_recommender.artifacts import RunWriter\n"
        f"w = RunWriter({str(tmp_path)!r})\n"
        "w.save_array('vectors', np.ones(10))\n"
        "os.kill(os.getpid(), 9)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], check=False)
    assert result.returncode == -9
    assert load_run(tmp_path).run_id == first
    assert list_runs(tmp_path) == [first]


def test_unpassed_run_is_kept_but_not_current(tmp_path):
    first = _publish(tmp_path, 0.1)
    second = _publish(tmp_path, 0.2, make_current=False)
    assert list_runs(tmp_path) == sorted([first, second])
    assert load_run(tmp_path).run_id == first
    set_current(tmp_path, second)
    assert load_run(tmp_path).run_id == second


def test_current_cannot_point_at_an_unpublished_run(tmp_path):
    with pytest.raises(ArtifactsNotFound):
        set_current(tmp_path, "does-not-exist")


def test_arrays_refuse_pickled_objects(tmp_path):
    with RunWriter(tmp_path) as writer:
        np.save(writer.file("objects.npy"), np.array([{"a": 1}], dtype=object), allow_pickle=True)
        writer.publish({})
    with pytest.raises(ValueError):
        load_run(tmp_path).array("objects")


def test_current_is_a_relative_symlink(tmp_path):
    run_id = _publish(tmp_path, 0.3)
    assert os.readlink(tmp_path / "current") == os.path.join("runs", run_id)


def test_a_second_lock_on_one_dir_names_the_holder(tmp_path):
    with training_lock(tmp_path), pytest.raises(LockHeld, match=rf"pid {os.getpid()} on "), \
            training_lock(tmp_path):
        pass
    with training_lock(tmp_path):  # released on exit
        pass


def test_leftovers_of_killed_runs_are_removed_and_good_archives_kept(tmp_path):
    _publish(tmp_path, 1.0)
    (tmp_path / "runs" / ".tmp-killed").mkdir()
    (tmp_path / "runs" / ".tmp-killed" / "model.keras").write_bytes(b"half")
    archives = tmp_path / "comet-offline"
    archives.mkdir()
    with zipfile.ZipFile(archives / "good.zip", "w") as good:
        good.writestr("messages.json", "{}\n")
    zipfile.ZipFile(archives / "empty.zip", "w").close()  # what comet leaves when its run is killed
    (archives / "cut.zip").write_bytes((archives / "good.zip").read_bytes()[:40])
    removed = clean_leftovers(tmp_path, archives)
    assert sorted(p.name for p in removed) == [".tmp-killed", "cut.zip", "empty.zip"]
    assert [p.name for p in archives.iterdir()] == ["good.zip"] and len(list_runs(tmp_path)) == 1
