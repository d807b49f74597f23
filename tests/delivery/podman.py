"""Podman without a registry, as the image test runs it: a stand-in base image made with debootstrap
(cached as a tarball, keyed by what debootstrap is asked for), private storage, runc, explicit ulimits.

Why each setting (found on these machines, see docs/deploy.md "The image, built in the tests"):
- no registry is reachable, so the Dockerfile's BASE_IMAGE is a local Debian bookworm with Python 3.11;
- runc, not crun: crun refuses this kernel's hybrid cgroups ("cgroups in hybrid mode not supported");
- ulimits: podman's defaults exceed the machine's hard limits;
- the host's CA bundle is mounted for the build only (HTTPS goes through an intercepting proxy); it is
  not in the image;
- `--format docker` keeps the HEALTHCHECK (OCI images have none).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = ("python3.11", "python3.11-venv", "python3-pip", "ca-certificates")
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=1024:20000", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
"""


def cache_root() -> Path:
    """Kept between runs, outside the repository: the stand-in base tarball and podman's layer store."""
    base = os.environ.get("DELIVERY_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "anime-recommender-delivery"


def debootstrap_command(target: Path) -> list[str]:
    return ["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", DEBIAN_SUITE,
            str(target), DEBIAN_MIRROR]


def base_key() -> str:
    """Names the stand-in by what it was asked for: another package list or suite makes a new one."""
    return hashlib.sha256(" ".join(debootstrap_command(Path("-"))).encode()).hexdigest()[:12]


def base_tarball(cache: Path, timeout: float) -> tuple[Path, bool]:
    """The stand-in root filesystem as a tarball (made now with debootstrap unless cached); (path, was cached)."""
    tarball = cache / f"bookworm-python3.11-{base_key()}.tar"
    if tarball.is_file():
        return tarball, True
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix="debootstrap-") as work:
        root = Path(work) / "root"
        done = subprocess.run(debootstrap_command(root), capture_output=True, text=True, timeout=timeout,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(f"debootstrap failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        (root / "usr/bin/python").symlink_to("python3.11")  # the official image's `python`
        partial = Path(work) / "base.tar"
        subprocess.run(["tar", "-C", str(root), "-cf", str(partial), "."], check=True, timeout=timeout)
        partial.replace(tarball)  # atomic: a killed run leaves no half tarball under the final name
    return tarball, False


@dataclass(frozen=True)
class Podman:
    """`podman` with private storage (`root`, kept between runs) and run state (`runroot`, this run's)."""

    root: Path
    runroot: Path
    conf: Path

    @classmethod
    def private(cls, cache: Path) -> Podman:
        """Storage under `cache`; the run state at a fixed short path (podman's database records it, and
        conmon's socket paths have a length limit)."""
        runroot = Path(tempfile.gettempdir()) / f"anime-podman-{hashlib.sha256(str(cache).encode()).hexdigest()[:8]}"
        runroot.mkdir(parents=True, exist_ok=True)
        conf = cache / "containers.conf"
        cache.mkdir(parents=True, exist_ok=True)
        conf.write_text(CONTAINERS_CONF, encoding="utf-8")
        return cls(cache / "storage", runroot, conf)

    def command(self, *args: str | Path) -> list[str]:
        return ["podman", "--root", str(self.root), "--runroot", str(self.runroot), *map(str, args)]

    def run(self, *args: str | Path, timeout: float, check: bool = True) -> subprocess.CompletedProcess:
        env = {**os.environ, "CONTAINERS_CONF": str(self.conf)}
        done = subprocess.run(self.command(*args), capture_output=True, text=True, timeout=timeout, env=env,
                              check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"podman {' '.join(map(str, args))} exited {done.returncode}:\n"
                                 f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
        return done

    def has_image(self, name: str) -> bool:
        return self.run("image", "exists", name, timeout=60, check=False).returncode == 0

    def import_base(self, tarball: Path, name: str, timeout: float) -> None:
        """The tarball under `name` (the stand-in's own name, tagged with its key) unless already stored."""
        if not self.has_image(name):
            self.run("import", "--change", "CMD [\"python3\"]", tarball, name, timeout=timeout)


def tools_missing() -> list[str]:
    return [tool for tool in ("podman", "runc", "debootstrap") if shutil.which(tool) is None]
