"""Experiment tracking with comet-ml: every run is logged, offline unless COMET_API_KEY is set.

Offline runs are real `comet_ml.OfflineExperiment`s whose archive lands in <artifacts_dir>/comet-offline/
(upload later with `comet upload <zip>`). Auto-logging that would reach the network or hook frameworks is
switched off, so nothing waits on a network that is not there.
"""
from __future__ import annotations

import io
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import keras

from anime_recommender.config import Config

log = logging.getLogger(__name__)
OFFLINE_DIR = "comet-offline"
_QUIET = {name: False for name in (
    "auto_metric_logging", "auto_param_logging", "auto_output_logging", "auto_histogram_weight_logging",
    "auto_histogram_gradient_logging", "auto_histogram_activation_logging", "log_code", "log_graph",
    "log_env_details", "log_git_metadata", "log_git_patch", "log_env_gpu", "log_env_host", "log_env_cpu",
    "parse_args")}
_QUIET["display_summary_level"] = 0


def flatten(mapping: Mapping, prefix: str = "") -> dict[str, Any]:
    """Nested dict → {"section.key": value} with lists/paths as strings (comet parameters are flat)."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value if isinstance(value, (int, float, str, bool)) or value is None else str(value)
    return flat


def is_offline(cfg: Config, env: Mapping[str, str] | None = None) -> bool:
    """Offline when configured so, or in `auto` mode when no COMET_API_KEY is present."""
    env = os.environ if env is None else env
    return cfg.tracking.offline is True or (cfg.tracking.offline == "auto" and not env.get("COMET_API_KEY"))


def _import_comet():
    """comet_ml with its Sentry error reporting and framework auto-logging off (read at import time)."""
    os.environ.setdefault("COMET_ERROR_TRACKING_ENABLE", "false")
    os.environ.setdefault("COMET_DISABLE_AUTO_LOGGING", "1")
    import comet_ml  # heavy import, only when a run starts

    return comet_ml


class Tracker:
    """The few things a training run logs, over one comet experiment."""

    def __init__(self, experiment, offline_dir: Path | None = None):
        self.experiment = experiment
        self.offline_dir = offline_dir

    @classmethod
    def start(cls, cfg: Config, artifacts_dir: Path, run_id: str, *, env: Mapping[str, str] | None = None):
        """Open an online Experiment (API key in env) or an OfflineExperiment under the artifacts dir."""
        env = os.environ if env is None else env
        comet_ml = _import_comet()
        common = dict(project_name=cfg.tracking.project_name, workspace=cfg.tracking.workspace, **_QUIET)
        if is_offline(cfg, env):
            directory = Path(artifacts_dir) / OFFLINE_DIR
            directory.mkdir(parents=True, exist_ok=True)
            experiment = comet_ml.OfflineExperiment(offline_directory=str(directory), **common)
            log.info("comet-ml offline: the archive goes to %s", directory)
        else:
            experiment = comet_ml.Experiment(api_key=env["COMET_API_KEY"], **common)
            directory = None
        experiment.set_name(run_id)
        return cls(experiment, directory)

    def log_config(self, config_dict: Mapping) -> None:
        self.experiment.log_parameters(flatten(config_dict))

    def log_data(self, fingerprint: str, counts: Mapping[str, int]) -> None:
        self.experiment.log_other("data_fingerprint", fingerprint)
        self.experiment.log_parameters(flatten(counts, "data."))

    def log_model(self, model: keras.Model) -> None:
        """The Keras summary as the experiment's model graph (text)."""
        buffer = io.StringIO()
        model.summary(print_fn=lambda line, **_: buffer.write(line + "\n"))
        self.experiment.set_model_graph(buffer.getvalue())

    def log_results(self, table: Mapping[str, Mapping[str, float]]) -> None:
        """Final metrics per model (as `model.metric`) and the same as a table asset (none without a test split)."""
        if not table:
            self.experiment.log_other("evaluation", "skipped: no test split")
            return
        columns = sorted({m for row in table.values() for m in row})
        for name, row in table.items():
            self.experiment.log_metrics(dict(row), prefix=name)
        rows = [[name] + [row.get(c) for c in columns] for name, row in table.items()]
        self.experiment.log_table("metrics.csv", tabular_data=rows, headers=["model"] + columns)

    def log_image(self, path: Path) -> None:
        self.experiment.log_image(str(path), name=Path(path).stem)

    def epoch_callback(self) -> keras.callbacks.Callback:
        return _EpochLogger(self.experiment)

    def end(self) -> None:
        self.experiment.end()


class _EpochLogger(keras.callbacks.Callback):
    """Per-epoch loss, validation metrics and learning rate to comet (step = epoch number)."""

    def __init__(self, experiment):
        super().__init__()
        self.experiment = experiment

    def on_epoch_end(self, epoch, logs=None):
        self.experiment.log_metrics({k: float(v) for k, v in (logs or {}).items()}, step=epoch + 1,
                                    epoch=epoch + 1)
