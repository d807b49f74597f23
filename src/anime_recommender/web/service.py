"""The recommender as an app resource: loaded once per process at start-up (re-checked while missing), fetched
by views."""
from __future__ import annotations

import logging
import math
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path, PurePath

from flask import Flask, current_app
from threadpoolctl import threadpool_limits

from anime_recommender.artifacts import CURRENT, ArtifactIntegrityError, ArtifactsNotFound
from anime_recommender.config import ServingConfig
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
                            "Train one with `make train` (or `make run`, which trains on the sample data first); "
                            "the server serves it as soon as it is published.")
DANGLING = Unavailable("The `current` link of the artifacts points at a run that is not there (deleted, or not "
                       "copied with it)",
                       "Point `current` at a published run (`runs/<run_id>`); the server serves it as soon as it "
                       "is there.")


class ModelUnavailable(RuntimeError):
    """No loaded model: pages answer 503 with the reason."""


def without_paths(text: str) -> str:
    """`text` with every absolute path cut to its last part (readers see the file, not the layout)."""
    return _ABSOLUTE_PATH.sub(lambda m: PurePath(m.group()).name or "/", text)


def explain(exc: Exception, artifacts: Path) -> Unavailable:
    """The public reason for a failed load: no run, a dangling `current`, files that fail their checksums,
    or anything else that stopped the load (an empty array, a wrong shape: its type names it)."""
    if isinstance(exc, ArtifactsNotFound):
        current = artifacts / CURRENT
        return DANGLING if current.is_symlink() and not current.exists() else NOT_PUBLISHED
    if isinstance(exc, ArtifactIntegrityError):
        return Unavailable(f"The published model failed its integrity check ({without_paths(str(exc))}), "
                           "so it is not served",
                           "Its files changed after it was published: publish the run again or point `current` "
                           "back at a good run; the server serves it as soon as it is there.")
    return Unavailable(f"The published model could not be read ({type(exc).__name__})",
                       "The server log has the details; publish the run again or point `current` back at a good "
                       "run; the server serves it as soon as it is there.")


class ModelSlot:
    """The process's recommender, or why there is none. An empty slot tries the artifacts again, at most every
    `recheck_s` seconds, when a request asks (the readiness probe does every few seconds), so a repaired or
    newly published run is served without a restart; only one request loads at a time."""

    def __init__(self, artifacts: Path, serving: ServingConfig, recheck_s: float):
        self.artifacts, self.serving, self.recheck_s = artifacts, serving, recheck_s
        self.recommender: Recommender | None = None
        self.why: Unavailable | None = None
        self.checked = -math.inf
        self.loading = threading.Lock()

    def load(self) -> None:
        """Load the current run; ANY error while loading is kept as the reason (the server starts anyway)."""
        self.checked = time.monotonic()
        try:
            self.recommender, self.why = Recommender.load(self.artifacts, self.serving), None
        except Exception as exc:  # noqa: BLE001 - an empty .npy is an EOFError, a 2-D array a TypeError, ...
            why = explain(exc, self.artifacts)
            if why != self.why:
                log.error("model not loaded from %s: %s: %s", self.artifacts, type(exc).__name__, exc)
            self.why = why

    def state(self) -> tuple[Recommender | None, Unavailable | None]:
        """(recommender, None) or (None, why), after a re-check when one is due."""
        due = self.recommender is None and time.monotonic() - self.checked >= self.recheck_s
        if due and self.loading.acquire(blocking=False):
            try:
                self.load()
            finally:
                self.loading.release()
        return self.recommender, self.why


class Injected(ModelSlot):
    """A recommender given by a test: never re-checked."""

    def __init__(self, recommender: Recommender):
        self.recommender, self.why = recommender, None

    def state(self) -> tuple[Recommender | None, Unavailable | None]:
        return self.recommender, None


def init_app(app: Flask) -> None:
    """Load the run under the configured artifacts dir; on failure keep the reason and start anyway."""
    # one BLAS thread per request: gunicorn's workers and threads are the parallelism, and a
    # multi-threaded BLAS on a shared 2-core box only adds contention to every small matvec
    threadpool_limits(1)
    injected = app.config.get("RECOMMENDER")
    if injected is not None:
        app.extensions[KEY] = Injected(injected)
        return
    cfg = app.config["APP_CONFIG"]
    artifacts = Path(app.config.get("ARTIFACTS_DIR") or cfg.paths.artifacts_dir)
    app.extensions[KEY] = ModelSlot(artifacts, cfg.serving, cfg.serving.model_recheck_s)
    app.extensions[KEY].load()


def get_recommender() -> Recommender:
    """The process's recommender, or ModelUnavailable."""
    recommender, why = current_app.extensions[KEY].state()
    if recommender is None:
        raise ModelUnavailable(str(why))
    return recommender


def unavailable() -> Unavailable | None:
    """Why the model is not loaded (None when it is)."""
    return current_app.extensions[KEY].state()[1]
