"""The one door for artifacts: versioned runs, published atomically, loaded with checksums verified.

Layout under an artifacts dir::

    runs/<run_id>/...         one directory per published run (manifest.json lists every file's sha256)
    runs/.tmp-<run_id>/       a run being written; never read, removed on failure
    current -> runs/<run_id>  symlink switched atomically (os.replace) when a run passes its gate
    .lock                     flock held by the one training writing here (holder's pid, host, start)

No pickle: arrays are .npy (loaded with allow_pickle=False), tables .parquet, metadata .json.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import shutil
import socket
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
CURRENT = "current"
RUNS = "runs"


class ArtifactError(RuntimeError):
    """Artifacts that cannot be served: missing, incomplete or tampered with."""


class ArtifactsNotFound(ArtifactError):
    """No published run where one was expected."""


class ArtifactIntegrityError(ArtifactError):
    """A run whose files do not match the checksums in its manifest."""


class LockHeld(ArtifactError):
    """Another training holds the artifacts dir: two runs there would corrupt each other's files."""


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Checksum a file without reading it into memory at once."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def new_run_id() -> str:
    """Sortable, unique run id: UTC timestamp plus a short random suffix."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class RunWriter:
    """Write one run into a temporary directory; `publish` makes it visible in one rename.

    Use as a context manager: an exception inside the block removes the temporary directory,
    so a crash never leaves a run that a reader could load.
    """

    def __init__(self, artifacts_dir: str | Path, run_id: str | None = None):
        self.artifacts_dir = Path(artifacts_dir)
        self.run_id = run_id or new_run_id()
        self.runs_dir = self.artifacts_dir / RUNS
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.runs_dir / f".tmp-{self.run_id}"
        self.path.mkdir()
        self.published: Path | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.published is None:
            shutil.rmtree(self.path, ignore_errors=True)

    def file(self, name: str) -> Path:
        """Path for a file that a library writes itself (model.keras, a PNG)."""
        return self.path / name

    def save_array(self, name: str, array: np.ndarray) -> Path:
        path = self.path / f"{name}.npy"
        np.save(path, np.ascontiguousarray(array), allow_pickle=False)
        return path

    def save_json(self, name: str, obj: Any) -> Path:
        path = self.path / f"{name}.json"
        path.write_text(json.dumps(obj, indent=2, sort_keys=True, default=_json_default), encoding="utf-8")
        return path

    def save_frame(self, name: str, frame: pd.DataFrame) -> Path:
        path = self.path / f"{name}.parquet"
        frame.to_parquet(path, index=False)
        return path

    def publish(self, manifest: dict[str, Any], make_current: bool = True) -> Path:
        """Checksum every file, write the manifest, rename into place, then switch `current`."""
        files = {
            str(p.relative_to(self.path)): {"sha256": sha256_file(p), "bytes": p.stat().st_size}
            for p in sorted(self.path.rglob("*"))
            if p.is_file()
        }
        full = {
            "run_id": self.run_id,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            **manifest,
            "files": files,
        }
        (self.path / MANIFEST).write_text(
            json.dumps(full, indent=2, sort_keys=True, default=_json_default), encoding="utf-8"
        )
        for p in self.path.rglob("*"):
            if p.is_file():
                with open(p, "rb") as handle:
                    os.fsync(handle.fileno())
        final = self.runs_dir / self.run_id
        os.replace(self.path, final)
        _fsync_dir(self.runs_dir)
        self.published = final
        if make_current:
            set_current(self.artifacts_dir, self.run_id)
        log.info("published run %s%s", final, " as current" if make_current else "")
        return final


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def set_current(artifacts_dir: str | Path, run_id: str) -> None:
    """Point `current` at a published run in one atomic rename (readers see old or new, never none)."""
    artifacts_dir = Path(artifacts_dir)
    target = artifacts_dir / RUNS / run_id
    if not (target / MANIFEST).is_file():
        raise ArtifactsNotFound(f"run {run_id} is not a published run in {artifacts_dir / RUNS}")
    tmp_link = artifacts_dir / f".{CURRENT}-{uuid.uuid4().hex[:8]}"
    os.symlink(Path(RUNS) / run_id, tmp_link)
    os.replace(tmp_link, artifacts_dir / CURRENT)
    _fsync_dir(artifacts_dir)


def resolve_run_dir(location: str | Path) -> Path:
    """Accept an artifacts dir (uses `current`) or a run dir itself."""
    location = Path(location)
    if (location / MANIFEST).is_file():
        return location
    current = location / CURRENT
    if current.exists() and (current / MANIFEST).is_file():
        return current.resolve()
    raise ArtifactsNotFound(
        f"no trained model in {location}: expected {current} to point at a published run "
        "(train one with `make train`)"
    )


class RunArtifacts:
    """A published run opened for reading; arrays load with allow_pickle=False."""

    def __init__(self, path: Path, manifest: dict[str, Any]):
        self.path = path
        self.manifest = manifest

    @property
    def run_id(self) -> str:
        return self.manifest["run_id"]

    def has(self, name: str) -> bool:
        return name in self.manifest["files"]

    def file(self, name: str) -> Path:
        if name not in self.manifest["files"]:
            raise ArtifactError(f"run {self.run_id} has no file {name}")
        return self.path / name

    def array(self, name: str, mmap: bool = False) -> np.ndarray:
        return np.load(self.file(f"{name}.npy"), allow_pickle=False, mmap_mode="r" if mmap else None)

    def json(self, name: str) -> Any:
        return json.loads(self.file(f"{name}.json").read_text(encoding="utf-8"))

    def frame(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.file(f"{name}.parquet"))


def verify_run(path: Path) -> dict[str, Any]:
    """Read the manifest and check every listed file's size and sha256; return the manifest."""
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ArtifactIntegrityError(f"unreadable manifest in {path}: {exc}") from None
    for name, meta in manifest.get("files", {}).items():
        file_path = path / name
        if not file_path.is_file():
            raise ArtifactIntegrityError(f"{file_path} is listed in the manifest but missing")
        if file_path.stat().st_size != meta["bytes"] or sha256_file(file_path) != meta["sha256"]:
            raise ArtifactIntegrityError(f"{file_path} does not match its manifest checksum")
    return manifest


def load_run(location: str | Path, verify: bool = True) -> RunArtifacts:
    """Open the current run of an artifacts dir (or a run dir), verifying checksums by default."""
    path = resolve_run_dir(location)
    manifest = verify_run(path) if verify else json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    return RunArtifacts(path, manifest)


def list_runs(artifacts_dir: str | Path) -> list[str]:
    """Published run ids, oldest first (temporary directories excluded)."""
    runs = Path(artifacts_dir) / RUNS
    if not runs.is_dir():
        return []
    return sorted(p.name for p in runs.iterdir() if p.is_dir() and not p.name.startswith("."))


LOCK = ".lock"


@contextlib.contextmanager
def training_lock(artifacts_dir: str | Path) -> Iterator[Path]:
    """Hold the artifacts dir's flock for one training; LockHeld naming the holder if another has it.

    flock is released by the kernel when the holder dies, so a killed run never leaves a stale lock.
    """
    artifacts_dir = Path(artifacts_dir)
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    path = artifacts_dir / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip() or "unknown holder"
            raise LockHeld(f"{artifacts_dir} is locked by another training ({holder})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since "
                      f"{dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}\n".encode(), 0)
        yield path
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def clean_leftovers(artifacts_dir: str | Path, archive_dir: str | Path | None = None) -> list[Path]:
    """Remove what killed runs left: runs/.tmp-* and comet archives without messages (call under the lock)."""
    runs = Path(artifacts_dir) / RUNS
    stale = sorted(runs.glob(".tmp-*")) if runs.is_dir() else []
    if archive_dir is not None and Path(archive_dir).is_dir():
        stale += [p for p in sorted(Path(archive_dir).glob("*.zip")) if not _complete_archive(p)]
    for path in stale:
        log.warning("removing %s, left by an interrupted run", path)
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return stale


def _complete_archive(path: Path) -> bool:
    """A comet offline archive that `comet upload` can use: a readable zip holding messages.json."""
    try:
        with zipfile.ZipFile(path) as archive:
            return "messages.json" in archive.namelist() and archive.testzip() is None
    except (zipfile.BadZipFile, OSError, EOFError):
        return False
