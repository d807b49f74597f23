"""Where the shipped files (templates, static, default config) are, installed or in a source checkout.

A wheel carries them inside the package (setup.py maps the top-level folders into it); a source
checkout (PYTHONPATH=src, `make run`, the tests) keeps them at the repository's top level.
"""
from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path

# folder in the checkout -> folder inside the installed package (not "config": config.py is a module)
SHIPPED = {"templates": "templates", "static": "static", "config": "default_config"}


def checkout_root() -> Path | None:
    """The repository root when the package runs from its src/ layout, else None (installed)."""
    package = Path(__file__).resolve().parent
    root = package.parents[1]
    return root if package.parent.name == "src" and (root / "setup.py").is_file() else None


def resource_dir(name: str) -> Path:
    """A shipped folder: inside the installed package first, else the checkout's top-level folder."""
    if name not in SHIPPED:
        raise ValueError(f"unknown shipped folder {name!r} (known: {', '.join(SHIPPED)})")
    packaged = Path(str(files("anime_recommender"))) / SHIPPED[name]
    if packaged.is_dir():
        return packaged
    root = checkout_root()
    if root is not None and (root / name).is_dir():
        return root / name
    raise FileNotFoundError(f"{name}/ is neither in the installed package nor in a source checkout")


def default_config_path() -> Path:
    """The config/config.yaml that ships with the code."""
    return resource_dir("config") / "config.yaml"


def code_version(env: Mapping[str, str] | None = None) -> str:
    """$GIT_COMMIT (set in the image), else the checkout's git commit ("-dirty" with changes), else "unknown"."""
    env = os.environ if env is None else env
    if env.get("GIT_COMMIT", "").strip():
        return env["GIT_COMMIT"].strip()
    root = checkout_root()
    if root is None:
        return "unknown"
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10, check=False).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
