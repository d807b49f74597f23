"""Faults in training, through the documented commands in real subprocesses: exit codes and cleanup.

`python pipeline/training_pipeline.py` and `anime-recommender train` (run as `python -m anime_recommender.cli
train`): 0 published, 1 gate failed, 2 data/config error, 3 unexpected runtime error, 4 lock held.
"""
from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml

from anime_recommender import artifacts
from anime_recommender.pipeline.run import config_dict
from tests.model.conftest import tiny_config
from tests.model.test_training import KILL_SCRIPT, previous_run

pytestmark = pytest.mark.slow
PIPELINE = ["pipeline/training_pipeline.py"]
SUBCOMMAND = ["-m", "anime_recommender.cli", "train"]


@pytest.fixture
def data_dir(tiny_data_dir, tmp_path) -> Path:
    """A private copy of the tiny dataset, for tests that damage it."""
    return Path(shutil.copytree(tiny_data_dir, tmp_path / "data"))


def config_file(tmp_path: Path, data_dir: Path, artifacts_dir: Path) -> Path:
    """A tiny two-epoch config on these dirs, written where the command can read it."""
    path = tmp_path / "config.yaml"
    cfg = tiny_config(data_dir, artifacts_dir, training={"epochs": 2})
    path.write_text(yaml.safe_dump(config_dict(cfg)), encoding="utf-8")
    return path


def train(project_root: Path, config: Path, *flags: str, command=PIPELINE) -> subprocess.CompletedProcess:
    """Run a documented training command to its end."""
    return subprocess.run([sys.executable, *command, "--config", str(config), "--quiet", *flags],
                          cwd=project_root, capture_output=True, text=True, timeout=600, check=False,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


def last_line(proc: subprocess.CompletedProcess) -> str:
    return proc.stderr.strip().splitlines()[-1]


def archives(artifacts_dir: Path) -> list[Path]:
    return sorted((artifacts_dir / "comet-offline").glob("*.zip"))


def has_messages(archive: Path) -> bool:
    with zipfile.ZipFile(archive) as handle:
        return "messages.json" in handle.namelist()


def cut_in_half(path: Path) -> None:
    """What a copy interrupted half way leaves: the first half of the bytes, ending mid-line."""
    data = path.read_bytes()
    half = data[:len(data) // 2]
    path.write_bytes(half if not half.endswith(b"\n") else half[:-3])


def garbage_at_line(path: Path, line: int) -> None:
    """Binary bytes (not UTF-8) in place of one row."""
    lines = path.read_bytes().split(b"\n")
    lines[line - 1] = b"\xff\xfe,\x00\x9c,\x81garbage"
    path.write_bytes(b"\n".join(lines))


def binary_file(path: Path) -> None:
    path.write_bytes(random.Random(7).randbytes(10_000))


@pytest.mark.parametrize(("damage", "expected"), [
    (lambda d: cut_in_half(d / "anime.csv"), "anime.csv line "),
    (lambda d: binary_file(d / "rating_complete.csv"), "rating_complete.csv line 1: not UTF-8"),
    (lambda d: garbage_at_line(d / "rating_complete.csv", 300), "rating_complete.csv line 300: not UTF-8"),
    (lambda d: garbage_at_line(d / "anime.csv", 42), "anime.csv line 42: not UTF-8"),
], ids=["anime-cut-mid-line", "ratings-binary-file", "ratings-binary-row", "catalog-binary-row"])
def test_broken_data_exits_2_with_one_line_naming_file_and_line(damage, expected, data_dir, tmp_path,
                                                                 project_root):
    damage(data_dir)
    proc = train(project_root, config_file(tmp_path, data_dir, tmp_path / "artifacts"))
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert last_line(proc).startswith(f"error: {expected}")
    assert "Traceback" not in proc.stderr
    assert not artifacts.list_runs(tmp_path / "artifacts")


def test_cut_ratings_file_warns_and_does_not_replace_current(data_dir, tmp_path, project_root):
    artifacts_dir = tmp_path / "artifacts"
    config = config_file(tmp_path, data_dir, artifacts_dir)
    assert train(project_root, config).returncode == 0
    before = artifacts.load_run(artifacts_dir).run_id
    cut_in_half(data_dir / "rating_complete.csv")

    refused = train(project_root, config)
    assert refused.returncode == 2, refused.stderr[-3000:]
    assert "rating_complete.csv ends mid-line" in refused.stderr
    assert last_line(refused).startswith("error: rating_complete.csv: ") and "--allow-shrink" in last_line(refused)
    assert artifacts.list_runs(artifacts_dir) == [before]

    allowed = train(project_root, config, "--allow-shrink")
    assert allowed.returncode == 0, allowed.stderr[-3000:]
    assert artifacts.load_run(artifacts_dir).run_id != before


def test_second_training_exits_at_once_naming_the_lock_holder(tiny_data_dir, tmp_path, project_root):
    artifacts_dir = tmp_path / "artifacts"
    with artifacts.training_lock(artifacts_dir):
        proc = train(project_root, config_file(tmp_path, tiny_data_dir, artifacts_dir))
    assert proc.returncode == 4, proc.stderr[-3000:]
    assert f"pid {os.getpid()} on " in last_line(proc) and "Traceback" not in proc.stderr
    assert not (artifacts_dir / "runs").exists() and not (artifacts_dir / "comet-offline").exists()


HOLD_SCRIPT = """
import os, sys, time
sys.path.insert(0, {root!r})
from tests.model.conftest import tiny_config
from anime_recommender.pipeline.run import RunHooks, run_training

def hold(_writer):  # the run is trained and written, not yet published: wait for the test's signal
    open({ready!r}, "w").close()
    while not os.path.exists({go!r}):
        time.sleep(0.05)

run_training(tiny_config({data!r}, {artifacts!r}, training={{"epochs": 2}}), verbose=0,
             hooks=RunHooks(before_publish=hold))
"""


def wait_for_file(path: Path, proc: subprocess.Popen, log: Path, timeout: float = 300.0) -> None:
    """Block until `path` exists (the other process reached its point), failing if that process died."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, f"{path} did not appear within {timeout} s"
        time.sleep(0.05)


def test_two_trainings_on_one_dir_the_second_exits_4_the_first_publishes(tiny_data_dir, tmp_path, project_root):
    artifacts_dir, ready, go, log = tmp_path / "artifacts", tmp_path / "ready", tmp_path / "go", tmp_path / "first.log"
    script = HOLD_SCRIPT.format(root=str(project_root), data=str(tiny_data_dir), artifacts=str(artifacts_dir),
                                ready=str(ready), go=str(go))
    with log.open("wb") as stderr, subprocess.Popen(
            [sys.executable, "-c", script], cwd=project_root, stdout=subprocess.DEVNULL, stderr=stderr,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}) as first:
        try:
            wait_for_file(ready, first, log)
            second = train(project_root, config_file(tmp_path, tiny_data_dir, artifacts_dir))
            go.touch()
            assert first.wait(timeout=300) == 0, log.read_text(errors="replace")[-3000:]
        finally:
            first.kill()
    assert second.returncode == 4, second.stderr[-3000:]
    assert f"pid {first.pid} on " in last_line(second) and "Traceback" not in second.stderr
    assert len(artifacts.list_runs(artifacts_dir)) == 1 and len(archives(artifacts_dir)) == 1
    assert artifacts.load_run(artifacts_dir).manifest["files"]  # the first run, intact and current


def test_unwritable_artifacts_dir_exits_3_with_one_line(tiny_data_dir, tmp_path, project_root):
    """A read-only dir cannot be made as root (CI runs as root): a path that is a file fails the same way."""
    blocked = tmp_path / "artifacts"
    blocked.write_text("not a directory", encoding="utf-8")
    proc = train(project_root, config_file(tmp_path, tiny_data_dir, blocked))
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert last_line(proc).startswith("error: training failed: ") and str(blocked) in last_line(proc)
    assert "Traceback" in proc.stderr  # in the log, above the one line


INJECT_SCRIPT = """
import errno, runpy, sys
from anime_recommender import artifacts

def full(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")

artifacts.RunWriter.save_array = full  # the writer boundary: every .npy of the run goes through it
sys.argv = ["pipeline/training_pipeline.py", *sys.argv[1:]]
runpy.run_path("pipeline/training_pipeline.py", run_name="__main__")
"""


def test_disk_full_at_the_writer_exits_3_and_cleans_up(tiny_data_dir, tmp_path, project_root):
    """ENOSPC injected where the run's files are written (works everywhere; the tmpfs test is the real one)."""
    artifacts_dir = tmp_path / "artifacts"
    before = previous_run(artifacts_dir)
    proc = train(project_root, config_file(tmp_path, tiny_data_dir, artifacts_dir), command=["-c", INJECT_SCRIPT])
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert last_line(proc).startswith("error: training failed: OSError: [Errno 28] No space left on device")
    assert artifacts.load_run(artifacts_dir).run_id == before
    assert not (artifacts_dir / "checkpoints").exists() and not archives(artifacts_dir)
    assert not list((artifacts_dir / "runs").glob(".tmp-*"))


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 256 KiB tmpfs: a real full disk (needs root with CAP_SYS_ADMIN; skipped with the reason otherwise)."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip() or proc.returncode}); "
                    "test_disk_full_at_the_writer_exits_3_and_cleans_up covers the injected fault")
    yield mount_point
    subprocess.run(["umount", str(mount_point)], check=True)


def test_real_full_disk_exits_3_and_leaves_no_files(small_tmpfs, tiny_data_dir, tmp_path, project_root):
    artifacts_dir = small_tmpfs / "artifacts"
    proc = train(project_root, config_file(tmp_path, tiny_data_dir, artifacts_dir), command=SUBCOMMAND)
    assert proc.returncode == 3, proc.stderr[-3000:]  # was a segfault (139) in h5py
    assert last_line(proc).startswith("error: training failed: ") and "No space left on device" in last_line(proc)
    left = sorted(str(p.relative_to(artifacts_dir)) for p in artifacts_dir.rglob("*") if p.is_file())
    assert left == [".lock"]


def test_next_start_cleans_what_a_killed_run_left(tiny_data_dir, tmp_path, project_root):
    artifacts_dir = tmp_path / "artifacts"
    config = config_file(tmp_path, tiny_data_dir, artifacts_dir)
    assert train(project_root, config).returncode == 0
    kept = archives(artifacts_dir)
    # --fresh: a rerun of a run killed after its last epoch crashes in model/train.py today (reported)
    script = KILL_SCRIPT.format(root=str(project_root), data=str(tiny_data_dir), artifacts=str(artifacts_dir))
    killed = subprocess.run([sys.executable, "-c", script], cwd=project_root, capture_output=True, timeout=300,
                            check=False, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert killed.returncode == -9, killed.stderr.decode()[-2000:]
    assert list((artifacts_dir / "runs").glob(".tmp-*"))
    assert [a for a in archives(artifacts_dir) if not has_messages(a)]  # comet's archive of the killed run

    proc = train(project_root, config, "--fresh", command=SUBCOMMAND)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not list((artifacts_dir / "runs").glob(".tmp-*"))
    assert all(has_messages(a) for a in archives(artifacts_dir)) and len(archives(artifacts_dir)) == 2
    assert set(kept) <= set(archives(artifacts_dir))
