"""Shipped files are found in the source checkout, relative paths follow the cwd, the commit comes from the env."""
from __future__ import annotations

from pathlib import Path

import pytest

from anime_recommender import resources
from anime_recommender.config import config_from_dict, load_config


def test_checkout_finds_the_top_level_folders(project_root):
    assert resources.checkout_root() == project_root
    assert resources.resource_dir("templates") == project_root / "templates"
    assert (resources.resource_dir("static") / "style.css").is_file()
    assert resources.default_config_path() == project_root / "config" / "config.yaml"


def test_unknown_folder_is_refused():
    with pytest.raises(ValueError, match="unknown shipped folder"):
        resources.resource_dir("secrets")


def test_default_config_is_the_shipped_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not the checkout: the default config must still be found
    assert load_config(env={}) == load_config(resources.default_config_path(), env={})


def test_relative_paths_resolve_from_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = config_from_dict({"paths": {"data_dir": "d", "artifacts_dir": "runs/a"}}, env={})
    assert (cfg.paths.data_dir, cfg.paths.artifacts_dir) == (tmp_path / "d", tmp_path / "runs" / "a")
    cfg = config_from_dict({}, env={"ARTIFACTS_DIR": "elsewhere"})
    assert cfg.paths.artifacts_dir == tmp_path / "elsewhere"


def test_code_version_from_the_environment_first():
    assert resources.code_version({"GIT_COMMIT": " abc123 \n"}) == "abc123"
    checkout = resources.code_version({})
    assert checkout != "unknown" and len(checkout.removesuffix("-dirty")) == 40, checkout
    assert Path(resources.__file__).is_relative_to(resources.checkout_root())
