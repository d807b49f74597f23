"""The config file is validated at start-up: a wrong key or type is an error naming the key."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from anime_recommender.config import Config, ConfigError, config_from_dict, load_config


def test_shipped_config_loads_and_is_typed(project_root):
    cfg = load_config(project_root / "config" / "config.yaml", env={})
    assert isinstance(cfg, Config)
    assert isinstance(cfg.processing.holdout_fraction, float)
    assert isinstance(cfg.data.list_statuses, tuple)
    assert cfg.paths.artifacts_dir.is_absolute()


def test_empty_mapping_gives_defaults():
    assert config_from_dict({}, env={}).training.epochs == Config().training.epochs


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"training": {"epochz": 3}}, "training.epochz"),
        ({"trainig": {}}, "trainig"),
        ({"training": {"epochs": "ten"}}, "training.epochs"),
        ({"training": {"epochs": 2.5}}, "training.epochs"),
        ({"processing": {"holdout_fraction": "a lot"}}, "processing.holdout_fraction"),
        ({"model": {"preset": "bert"}}, "model.preset"),
        ({"data": {"list_statuses": 2}}, "data.list_statuses"),
        ({"serving": {"hybrid_weights": {"model": "x"}}}, "serving.hybrid_weights.model"),
        ({"paths": {"data_dir": 5}}, "paths.data_dir"),
        ({"training": []}, "training"),
    ],
)
def test_wrong_key_or_type_names_the_key(raw, named):
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        config_from_dict(raw, env={})


def test_booleans_are_not_numbers():
    with pytest.raises(ConfigError, match="training.epochs"):
        config_from_dict({"training": {"epochs": True}}, env={})


@pytest.mark.parametrize(
    "raw",
    [
        {"processing": {"holdout_fraction": 1.0}},
        {"training": {"epochs": 0}},
        {"serving": {"default_n": 500}},
        {"serving": {"hybrid_weights": {"magic": 1.0}}},
        {"serving": {"import_weights": {"users": 1.0}}},
        {"serving": {"popularity_discount": 3.0}},
        {"serving": {"popularity_discount": -0.1}},
        {"serving": {"picks_popularity_discount": 2.5}},
        {"serving": {"popularity_shape": "cubic"}},
        {"serving": {"picks_strength": 0.0}},
        {"serving": {"picks_strength": 1.5}},
        {"serving": {"picks_strength_per_title": -0.1}},
    ],
)
def test_out_of_range_values_are_refused(raw):
    with pytest.raises(ConfigError):
        config_from_dict(raw, env={})


def test_env_overrides_data_and_artifacts_dirs(tmp_path):
    env = {"DATA_DIR": str(tmp_path / "d"), "ARTIFACTS_DIR": str(tmp_path / "a")}
    cfg = config_from_dict({}, env=env)
    assert cfg.paths.data_dir == tmp_path / "d"
    assert cfg.paths.artifacts_dir == tmp_path / "a"


def test_missing_and_malformed_files_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml", env={})
    bad = tmp_path / "bad.yaml"
    bad.write_text("training: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad, env={})


def test_app_config_env_selects_the_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"training": {"epochs": 7}}))
    assert load_config(env={"APP_CONFIG": str(path)}).training.epochs == 7


def test_replace_returns_a_new_config():
    cfg = Config()
    changed = cfg.replace("training", epochs=3)
    assert changed.training.epochs == 3
    assert cfg.training.epochs == Config().training.epochs != 3
    assert isinstance(changed.paths.data_dir, Path)


def test_code_defaults_are_the_shipped_yaml(project_root):
    """One source of truth: Config() is exactly what config/config.yaml says (paths aside: made absolute)."""
    shipped = yaml.safe_load((project_root / "config" / "config.yaml").read_text(encoding="utf-8"))
    defaults = Config()
    for section, values in shipped.items():
        for key, value in values.items():
            got = getattr(getattr(defaults, section), key)
            expected = tuple(value) if isinstance(value, list) else value
            assert got == (Path(value) if isinstance(got, Path) else expected), f"{section}.{key}"
    assert config_from_dict({}, env={}).training == Config().training


def test_a_field_without_a_shipped_key_fails_at_definition():
    from anime_recommender.config import shipped_defaults

    with pytest.raises(ConfigError, match="differ on.*'new_knob'"):
        @shipped_defaults("training")
        class Drifted:
            new_knob: int
