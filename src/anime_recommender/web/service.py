"""The recommender as an app resource: loaded once per process at start-up, fetched by views."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import PurePath

from flask import Flask, current_app
from threadpoolctl import threadpool_limits

from anime_recommender.artifacts import ArtifactError, ArtifactIntegrityError, ArtifactsNotFound
from anime_recommender.recommend.engine import Recommender

log = logging.getLogger(__name__)
KEY = "recommender"
_ABSOLUTE_PATH = re.compile(r"(?<![\w.~-])(?:/[^/\s'\"]+)+/?")


@dataclass(frozen=True)
class Unavailable:
    """Why no model is served, fit for the public: what happened and what fixes it, no file system paths."""

    reason: str
    hint: str

    def __str__(self) -> str:
        return f"{self.reason}. {self.hint}"


NOT_PUBLISHED = Unavailable("No trained model has been published yet",
                            "Train one with `make train` (or `make run`, which trains on the sample data first), "
                            "then restart the server.")


class ModelUnavailable(RuntimeError):
    """No loaded model: pages answer 503 with the reason."""


def without_paths(text: str) -> str:
    """`text` with every absolute path cut to its last part (readers see the file, not the layout)."""
    return _ABSOLUTE_PATH.sub(lambda m: PurePath(m.group()).name or "/", text)


def explain(exc: Exception) -> Unavailable:
    """The public reason for a failed load: missing run, files that fail their checksums, or unreadable."""
    if isinstance(exc, ArtifactsNotFound):
        return NOT_PUBLISHED
    if isinstance(exc, ArtifactIntegrityError):
        return Unavailable(f"The published model failed its integrity check ({without_paths(str(exc))}), "
                           "so it is not served",
                           "Its files changed after it was published: publish the run again or point `current` "
                           "back at a good run, then restart the server.")
    return Unavailable(f"The published model could not be read ({type(exc).__name__})",
                       "The server log has the details; check the artifacts volume, then restart the server.")


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
        log.error("model not loaded from %s: %s", artifacts, exc)  # the full story stays in the log
        app.extensions[KEY] = (None, explain(exc))


def get_recommender() -> Recommender:
    """The process's recommender, or ModelUnavailable."""
    recommender, why = current_app.extensions[KEY]
    if recommender is None:
        raise ModelUnavailable(str(why))
    return recommender


def unavailable() -> Unavailable | None:
    """Why the model is not loaded (None when it is)."""
    return current_app.extensions[KEY][1]
