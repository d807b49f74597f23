"""The recommender as an app resource: loaded once per process at start-up, fetched by views."""
from __future__ import annotations

import logging

from flask import Flask, current_app
from threadpoolctl import threadpool_limits

from anime_recommender.artifacts import ArtifactError
from anime_recommender.recommend.engine import Recommender

log = logging.getLogger(__name__)
KEY = "recommender"
NOT_READY = ("the model is not available yet: train one with `make train` "
             "(or `make run`, which trains on the sample data first)")


class ModelUnavailable(RuntimeError):
    """No loaded model: pages answer 503 with the reason."""


def init_app(app: Flask) -> None:
    """Load the run under the configured artifacts dir; on failure keep the reason and start anyway."""
    # one BLAS thread per request: gunicorn's workers and threads are the parallelism, and a
    # multi-threaded BLAS on a shared 2-core box only adds contention to every small matvec
    threadpool_limits(1)
    injected = app.config.get("RECOMMENDER")
    if injected is not None:
        app.extensions[KEY] = (injected, None)
        return
    cfg = app.config["APP_CONFIG"]
    artifacts = app.config.get("ARTIFACTS_DIR") or cfg.paths.artifacts_dir
    try:
        app.extensions[KEY] = (Recommender.load(artifacts, cfg.serving), None)
    except (ArtifactError, OSError, ValueError, KeyError) as exc:
        log.error("model not loaded from %s: %s", artifacts, exc)
        app.extensions[KEY] = (None, f"{exc}")


def get_recommender() -> Recommender:
    """The process's recommender, or ModelUnavailable."""
    recommender, _ = current_app.extensions[KEY]
    if recommender is None:
        raise ModelUnavailable(NOT_READY)
    return recommender


def unavailable_reason() -> str | None:
    """Why the model is not loaded (None when it is)."""
    return current_app.extensions[KEY][1]
