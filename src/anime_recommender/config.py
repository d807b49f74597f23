"""Typed project configuration: one YAML file, validated at start-up, with env overrides."""
from __future__ import annotations

import copy
import dataclasses
import functools
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from anime_recommender.resources import default_config_path

# What the popularity discount β multiplies, per anime (recommend/popularity.py): ln(1 + train users), the
# same above its 90th / 99th percentile only, linear in users, or the model's own learned bias
PopularityShape = Literal["log", "log_above_p90", "log_above_p99", "linear", "bias"]


class ConfigError(ValueError):
    """A config file that is missing, unreadable, or has a wrong key or value."""


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


def _shipped_section(name: str) -> dict[str, Any]:
    """One section of the config.yaml that ships with the code (read once per process)."""
    if name not in _SHIPPED:
        path = default_config_path()
        _SHIPPED.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return _SHIPPED.get(name) or {}


_SHIPPED: dict[str, Any] = {}


def shipped_defaults(section: str):
    """A frozen dataclass whose defaults are the shipped config.yaml's `section`: one source of truth.

    The class only declares names and types; a field without a key in the YAML (or a YAML key
    without a field) is an error at import, so code and file cannot drift apart.
    """
    def wrap(cls: type) -> type:
        raw = _shipped_section(section)
        hints = typing.get_type_hints(cls)
        if set(raw) != set(hints):
            diff = sorted(set(raw) ^ set(hints))
            raise ConfigError(f"shipped config.yaml section {section!r} and {cls.__name__} differ on {diff}")
        for key, hint in hints.items():
            value = _coerce(raw[key], hint, f"{section}.{key}")
            if isinstance(value, (dict, list)):
                setattr(cls, key, field(default_factory=functools.partial(copy.deepcopy, value)))
            else:
                setattr(cls, key, value)
        return dataclass(frozen=True)(cls)
    return wrap


@shipped_defaults("paths")
class PathsConfig:
    data_dir: Path
    artifacts_dir: Path


@shipped_defaults("data")
class DataConfig:
    source: Literal["auto", "rating_complete", "animelist", "movielens"]
    generate_if_missing: bool
    max_rows: int | None
    max_users: int | None
    chunk_rows: int
    list_statuses: tuple[int, ...]
    max_shrink: float


@shipped_defaults("sample")
class SampleConfig:
    users: int
    anime: int
    seed: int


@shipped_defaults("processing")
class ProcessingConfig:
    min_user_ratings: int
    min_anime_ratings: int
    holdout_fraction: float
    validation_fraction: float
    cold_user_fraction: float
    cold_given_fraction: float
    seed: int


@shipped_defaults("model")
class ModelConfig:
    preset: Literal["ranking", "reference"]
    embedding_dim: int
    user_history: bool
    user_embedding: bool
    cosine_temperature: float | None


@shipped_defaults("training")
class TrainingConfig:
    epochs: int
    batching: Literal["users", "pairs"]
    batch_size: int
    max_steps_per_epoch: int
    negatives_per_positive: int
    softmax_negatives: int
    rating_weighted: bool
    learning_rate: float
    lr_rampup_epochs: int
    lr_sustain_epochs: int
    lr_decay: float
    min_learning_rate: float
    l2: float
    l2_per_anime_per_user: float
    early_stopping_patience: int
    refit_on_all: bool
    refit_epochs: int | None
    history_keep: float
    history_keep_draw: Literal["fixed", "per_user"]
    seed: int
    loss: Literal["bce", "bpr", "softmax"]
    negative_sampling: Literal["uniform", "popularity"]
    popularity_exponent: float
    validation_users: int
    strategy: Literal["default", "mirrored", "multi_worker"]


@shipped_defaults("evaluation")
class EvaluationConfig:
    k: int
    gate_margin: float
    gate_baseline: Literal["best", "popularity", "als", "ease"]
    gate_protocols: tuple[Literal["warm", "cold"], ...]
    ease_lambdas: tuple[float, ...]
    als_factors: int
    als_iterations: int
    als_regularization: float
    als_alpha: float
    ease_max_anime: int
    max_eval_users: int | None


@shipped_defaults("tracking")
class TrackingConfig:
    project_name: str
    workspace: str | None
    offline: Literal["auto", True, False]


@shipped_defaults("serving")
class ServingConfig:
    default_n: int
    max_n: int
    show_adult: bool
    similar_users: int
    hybrid_weights: dict[str, float]
    import_weights: dict[str, float]
    picks_weights: dict[str, float]
    picks_strength: float
    picks_strength_per_title: float
    genres_weight: float
    popular_without_model: float
    popularity_discount: float
    popularity_shape: PopularityShape
    picks_popularity_discount: float
    max_popularity_discount: float
    min_history_for_model: int
    import_max_bytes: int
    import_max_xml_bytes: int
    import_max_entries: int
    upload_slots: int
    upload_body_timeout_s: float
    upload_retry_after_s: int
    model_recheck_s: float
    max_text_length: int
    max_list_values: int
    max_titles: int
    max_query_string: int
    max_body_bytes: int
    search_n: int
    together_aggregation: str
    together_max_people: int
    together_sharpness: float


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
        (0.0 <= cfg.processing.cold_user_fraction < 1.0, "processing.cold_user_fraction must be in [0, 1)"),
        (0.0 < cfg.processing.cold_given_fraction < 1.0, "processing.cold_given_fraction must be in (0, 1)"),
        (cfg.processing.min_user_ratings >= 1, "processing.min_user_ratings must be >= 1"),
        (cfg.processing.min_anime_ratings >= 1, "processing.min_anime_ratings must be >= 1"),
        (cfg.model.embedding_dim >= 1, "model.embedding_dim must be >= 1"),
        (cfg.model.user_history or cfg.model.user_embedding,
         "model.user_history and model.user_embedding cannot both be false (nothing would describe a user)"),
        (cfg.model.cosine_temperature is None or cfg.model.cosine_temperature > 0,
         "model.cosine_temperature must be > 0 (or null)"),
        (cfg.training.softmax_negatives >= 0, "training.softmax_negatives must be >= 0 (0 = every anime)"),
        (cfg.training.epochs >= 1, "training.epochs must be >= 1"),
        (0.0 < cfg.training.history_keep <= 1.0, "training.history_keep must be in (0, 1]"),
        (cfg.training.l2 >= 0 and cfg.training.l2_per_anime_per_user >= 0,
         "training.l2 and training.l2_per_anime_per_user must be >= 0"),
        (cfg.training.batch_size >= 1, "training.batch_size must be >= 1"),
        (cfg.training.max_steps_per_epoch >= 1, "training.max_steps_per_epoch must be >= 1"),
        (cfg.training.negatives_per_positive >= 1, "training.negatives_per_positive must be >= 1"),
        (cfg.training.learning_rate > 0, "training.learning_rate must be > 0"),
        (0.0 < cfg.training.lr_decay <= 1.0, "training.lr_decay must be in (0, 1]"),
        (cfg.training.validation_users >= 1, "training.validation_users must be >= 1"),
        (len(cfg.evaluation.ease_lambdas) >= 1, "evaluation.ease_lambdas must not be empty"),
        (cfg.evaluation.k >= 1, "evaluation.k must be >= 1"),
        (1 <= cfg.serving.default_n <= cfg.serving.max_n, "serving.default_n must be in [1, max_n]"),
        (1 <= cfg.serving.search_n <= cfg.serving.max_n, "serving.search_n must be in [1, max_n]"),
        (cfg.serving.max_text_length >= 1, "serving.max_text_length must be >= 1"),
        (cfg.serving.upload_slots >= 1, "serving.upload_slots must be >= 1"),
        (cfg.serving.upload_body_timeout_s > 0, "serving.upload_body_timeout_s must be > 0"),
        (1 <= cfg.serving.max_titles <= cfg.serving.max_list_values,
         "serving.max_titles must be in [1, max_list_values]"),
        (cfg.serving.together_aggregation in ("mean", "least_misery", "rank_mean", "rank_min", "rank_max",
                                              "probability_mean"),
         "serving.together_aggregation must be mean, least_misery, rank_mean, rank_min, rank_max or probability_mean"),
        (cfg.serving.together_sharpness > 0, "serving.together_sharpness must be > 0"),
        (cfg.serving.together_max_people >= 2, "serving.together_max_people must be >= 2"),
        (cfg.data.chunk_rows >= 1000, "data.chunk_rows must be >= 1000"),
        (0.0 <= cfg.data.max_shrink <= 1.0, "data.max_shrink must be in [0, 1]"),
        (set(cfg.serving.hybrid_weights) <= {"model", "users", "content"},
         "serving.hybrid_weights keys must be model, users, content"),
        (set(cfg.serving.import_weights) | set(cfg.serving.picks_weights) <= {"model", "content", "popular"},
         "serving.import_weights and picks_weights keys must be model, content, popular"),
        (0.0 <= cfg.serving.popularity_discount <= cfg.serving.max_popularity_discount,
         "serving.popularity_discount must be in [0, max_popularity_discount]"),
        (0.0 <= cfg.serving.picks_popularity_discount <= cfg.serving.max_popularity_discount,
         "serving.picks_popularity_discount must be in [0, max_popularity_discount]"),
        (0 < cfg.serving.picks_strength <= 1, "serving.picks_strength must be in (0, 1]"),
        (cfg.serving.picks_strength_per_title >= 0, "serving.picks_strength_per_title must be >= 0"),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(message)


def config_from_dict(raw: dict[str, Any], env: typing.Mapping[str, str] | None = None) -> Config:
    """Build and validate a Config from a parsed mapping; DATA_DIR/ARTIFACTS_DIR override paths."""
    cfg = _build(Config, raw, "")
    env = os.environ if env is None else env
    names = (("data_dir", "DATA_DIR"), ("artifacts_dir", "ARTIFACTS_DIR"))
    overrides = {k: Path(env[v]) for k, v in names if env.get(v)}
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
