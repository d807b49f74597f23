"""Typed project configuration: one YAML file, validated at start-up, with env overrides."""
from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from anime_recommender.resources import default_config_path


class ConfigError(ValueError):
    """A config file that is missing, unreadable, or has a wrong key or value."""


@dataclass(frozen=True)
class PathsConfig:
    data_dir: Path = Path("data/sample")
    artifacts_dir: Path = Path("artifacts")


@dataclass(frozen=True)
class DataConfig:
    source: Literal["auto", "rating_complete", "animelist", "movielens"] = "auto"
    generate_if_missing: bool = True
    max_rows: int | None = None
    max_users: int | None = None
    chunk_rows: int = 4_000_000
    list_statuses: tuple[int, ...] = (1, 2, 3, 4)
    max_shrink: float = 0.10


@dataclass(frozen=True)
class SampleConfig:
    users: int = 3000
    anime: int = 1200
    seed: int = 7


@dataclass(frozen=True)
class ProcessingConfig:
    min_user_ratings: int = 5
    min_anime_ratings: int = 3
    holdout_fraction: float = 0.25
    validation_fraction: float = 0.1
    seed: int = 42


@dataclass(frozen=True)
class ModelConfig:
    preset: Literal["ranking", "reference"] = "ranking"
    embedding_dim: int = 64
    user_history: bool = True


@dataclass(frozen=True)
class TrainingConfig:
    epochs: int = 20
    batch_size: int = 4096
    negatives_per_positive: int = 4
    rating_weighted: bool = True
    learning_rate: float = 0.003
    lr_rampup_epochs: int = 2
    lr_sustain_epochs: int = 2
    lr_decay: float = 0.8
    min_learning_rate: float = 1e-4
    l2: float = 1e-6
    early_stopping_patience: int = 3
    seed: int = 42
    loss: Literal["bce", "bpr", "softmax"] = "bce"
    negative_sampling: Literal["uniform", "popularity"] = "uniform"
    popularity_exponent: float = 0.75
    validation_users: int = 2000


@dataclass(frozen=True)
class EvaluationConfig:
    k: int = 10
    gate_margin: float = 0.0
    ease_lambdas: tuple[float, ...] = (50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0)
    als_factors: int = 64
    als_iterations: int = 15
    als_regularization: float = 0.05
    als_alpha: float = 10.0
    ease_max_anime: int = 12000
    max_eval_users: int | None = None


@dataclass(frozen=True)
class TrackingConfig:
    project_name: str = "anime-recommender"
    workspace: str | None = None
    offline: Literal["auto", True, False] = "auto"


@dataclass(frozen=True)
class ServingConfig:
    default_n: int = 10
    max_n: int = 100
    show_adult: bool = False
    similar_users: int = 10
    hybrid_weights: dict[str, float] = field(
        default_factory=lambda: {"model": 0.7, "users": 0.0, "content": 0.3}
    )
    min_history_for_model: int = 3


@dataclass(frozen=True)
class Config:
    paths: PathsConfig = field(default_factory=PathsConfig)
    data: DataConfig = field(default_factory=DataConfig)
    sample: SampleConfig = field(default_factory=SampleConfig)
    processing: ProcessingConfig = field(default_factory=ProcessingConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    serving: ServingConfig = field(default_factory=ServingConfig)

    def replace(self, section: str, **changes: Any) -> Config:
        """A copy with some fields of one section changed (CLI flags, tests)."""
        new_section = dataclasses.replace(getattr(self, section), **changes)
        return dataclasses.replace(self, **{section: new_section})


def _coerce(value: Any, hint: Any, key: str) -> Any:
    """Check `value` against a type hint, converting lists/paths; raise ConfigError naming `key`."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, key)
    if origin in (typing.Union, types.UnionType):
        errors = []
        for option in args:
            try:
                return _coerce(value, option, key)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(f"{key}: {value!r} is not a valid value ({'; '.join(errors)})")
    if origin is Literal:
        if value in args and type(value) in {type(a) for a in args if a == value}:
            return value
        raise ConfigError(f"{key}: {value!r} is not one of {list(args)}")
    if hint is type(None):
        if value is None:
            return None
        raise ConfigError(f"{key}: expected null, got {value!r}")
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key}: expected a list, got {type(value).__name__} {value!r}")
        return tuple(_coerce(v, args[0], f"{key}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping, got {type(value).__name__}")
        return {str(k): _coerce(v, args[1], f"{key}.{k}") for k, v in value.items()}
    if hint is Path:
        if not isinstance(value, (str, Path)):
            raise ConfigError(f"{key}: expected a path string, got {type(value).__name__}")
        return Path(value)
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"{key}: expected a number, got {type(value).__name__} {value!r}")
    if hint in (int, bool, str):
        if type(value) is hint:
            return value
        raise ConfigError(f"{key}: expected {hint.__name__}, got {type(value).__name__} {value!r}")
    raise ConfigError(f"{key}: unsupported type {hint!r}")  # pragma: no cover - programming error


def _build(cls: type, raw: Any, prefix: str) -> Any:
    """Build dataclass `cls` from a mapping, refusing unknown keys."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{prefix or 'config'}: expected a mapping, got {type(raw).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - names)
    if unknown:
        where = f"{prefix}." if prefix else ""
        raise ConfigError(
            f"unknown config key {where}{unknown[0]} (known keys: {', '.join(sorted(names))})"
        )
    kwargs = {
        name: _coerce(value, hints[name], f"{prefix}.{name}" if prefix else name)
        for name, value in raw.items()
    }
    return cls(**kwargs)


def _validate(cfg: Config) -> None:
    """Range checks that types alone cannot express."""
    checks = [
        (0.0 <= cfg.processing.holdout_fraction < 1.0, "processing.holdout_fraction must be in [0, 1)"),
        (0.0 <= cfg.processing.validation_fraction < 1.0, "processing.validation_fraction must be in [0, 1)"),
        (cfg.processing.min_user_ratings >= 1, "processing.min_user_ratings must be >= 1"),
        (cfg.processing.min_anime_ratings >= 1, "processing.min_anime_ratings must be >= 1"),
        (cfg.model.embedding_dim >= 1, "model.embedding_dim must be >= 1"),
        (cfg.training.epochs >= 1, "training.epochs must be >= 1"),
        (cfg.training.batch_size >= 1, "training.batch_size must be >= 1"),
        (cfg.training.negatives_per_positive >= 1, "training.negatives_per_positive must be >= 1"),
        (cfg.training.learning_rate > 0, "training.learning_rate must be > 0"),
        (0.0 < cfg.training.lr_decay <= 1.0, "training.lr_decay must be in (0, 1]"),
        (cfg.training.validation_users >= 1, "training.validation_users must be >= 1"),
        (len(cfg.evaluation.ease_lambdas) >= 1, "evaluation.ease_lambdas must not be empty"),
        (cfg.evaluation.k >= 1, "evaluation.k must be >= 1"),
        (1 <= cfg.serving.default_n <= cfg.serving.max_n, "serving.default_n must be in [1, max_n]"),
        (cfg.data.chunk_rows >= 1000, "data.chunk_rows must be >= 1000"),
        (0.0 <= cfg.data.max_shrink <= 1.0, "data.max_shrink must be in [0, 1]"),
        (set(cfg.serving.hybrid_weights) <= {"model", "users", "content"},
         "serving.hybrid_weights keys must be model, users, content"),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(message)


def config_from_dict(raw: dict[str, Any], env: typing.Mapping[str, str] | None = None) -> Config:
    """Build and validate a Config from a parsed mapping; DATA_DIR/ARTIFACTS_DIR override paths."""
    cfg = _build(Config, raw, "")
    env = os.environ if env is None else env
    overrides = {k: Path(env[v]) for k, v in (("data_dir", "DATA_DIR"), ("artifacts_dir", "ARTIFACTS_DIR")) if env.get(v)}
    if overrides:
        cfg = cfg.replace("paths", **overrides)
    cfg = cfg.replace(
        "paths",
        data_dir=_absolute(cfg.paths.data_dir),
        artifacts_dir=_absolute(cfg.paths.artifacts_dir),
    )
    _validate(cfg)
    return cfg


def _absolute(path: Path) -> Path:
    """Relative paths resolve from the working directory (DATA_DIR / ARTIFACTS_DIR set absolute ones)."""
    return path if path.is_absolute() else Path.cwd() / path


def load_config(path: str | Path | None = None, env: typing.Mapping[str, str] | None = None) -> Config:
    """Read and validate the YAML config ($APP_CONFIG, else the config.yaml shipped with the code)."""
    env = os.environ if env is None else env
    path = Path(path or env.get("APP_CONFIG") or default_config_path())
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from None
    return config_from_dict(raw, env)
