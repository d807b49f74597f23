"""tf.distribute for training: the strategy named by `training.strategy`, and datasets spread over it.

- default: TensorFlow's default strategy (one device, no replication);
- mirrored: MirroredStrategy over every local GPU, or over every logical CPU device when there is no GPU
  (a CPU split into logical devices with tf.config.set_logical_device_configuration, as the tests do);
- multi_worker: MultiWorkerMirroredStrategy, cluster and task read from the TF_CONFIG environment variable.
Variables are made under strategy.scope(); each replica takes whole steps of the per-user input.
"""
from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Callable

import tensorflow as tf

from anime_recommender.config import ConfigError

log = logging.getLogger(__name__)
STRATEGIES = ("default", "mirrored", "multi_worker")


class StrategyError(ConfigError):
    """A strategy that cannot run here (unknown name, or multi_worker without a usable TF_CONFIG)."""


def make_strategy(name: str, env: dict[str, str] | None = None) -> tf.distribute.Strategy:
    """The tf.distribute strategy called `name` (see the module docstring)."""
    env = os.environ if env is None else env
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        devices = [d.name for d in tf.config.list_logical_devices("GPU")] or \
                  [d.name for d in tf.config.list_logical_devices("CPU")]
        log.info("training.strategy mirrored over %s", ", ".join(devices))
        return tf.distribute.MirroredStrategy(devices)
    if name == "multi_worker":
        _check_tf_config(env.get("TF_CONFIG"))
        return _multi_worker(env["TF_CONFIG"])
    raise StrategyError(f"unknown training.strategy {name!r} (expected one of {', '.join(STRATEGIES)})")


@functools.cache
def _multi_worker(tf_config: str) -> tf.distribute.Strategy:
    """One MultiWorkerMirroredStrategy per process and cluster: a second one (the refit on every row after
    the validation fit) re-enables collective ops after start-up, which TensorFlow warns may break tensors
    already made; seen here as an aborted collective broadcast on a busy machine."""
    del tf_config  # the cache key: TensorFlow reads TF_CONFIG from the environment itself
    return tf.distribute.MultiWorkerMirroredStrategy()


def _check_tf_config(raw: str | None) -> None:
    """multi_worker needs TF_CONFIG with a cluster and this task's place in it."""
    if not raw:
        raise StrategyError("training.strategy multi_worker needs the TF_CONFIG environment variable "
                            '(e.g. {"cluster": {"worker": ["host1:port", "host2:port"]}, '
                            '"task": {"type": "worker", "index": 0}})')
    try:
        spec = json.loads(raw)
        workers, task = spec["cluster"]["worker"], spec["task"]
        ok = task["type"] in ("worker", "chief") and isinstance(workers, list) and workers
    except (ValueError, KeyError, TypeError):
        ok = False
    if not ok:
        raise StrategyError(f"TF_CONFIG is not a cluster with workers and a task: {raw!r}")


def per_replica_dataset(strategy: tf.distribute.Strategy,
                        make: Callable[[tuple[int, int]], tf.data.Dataset]):
    """`make((index, count))` for each input pipeline (worker); each replica takes whole elements.

    The default strategy gets the plain dataset; under a real strategy every worker reads its share of the
    steps and its devices take them in turn, so an element is never split between replicas.
    """
    if strategy.num_replicas_in_sync == 1:
        return make((0, 1))

    def fn(context: tf.distribute.InputContext) -> tf.data.Dataset:
        return make((context.input_pipeline_id, context.num_input_pipelines))

    return strategy.distribute_datasets_from_function(fn)
