"""Keras callbacks of a training run: validation ranking metric, resumable checkpoints, early stopping."""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from anime_recommender.evaluation import ranking
from anime_recommender.model.export import extract_factors

log = logging.getLogger(__name__)
STATE_FILE = "state.json"
BEST_FILE = "best.weights.npz"


class RankingValidation(keras.callbacks.Callback):
    """val_ndcg@k / val_recall@k each epoch on a seeded sample of validation users, train items excluded.

    Scores come from the exported factors, i.e. exactly what will be served (full ranking, vectorised);
    only the sampled users' vectors are computed, so an epoch's check costs the same at any user count.
    """

    def __init__(self, scoring: keras.Model, train, valid, *, k: int, users: np.ndarray):
        super().__init__()
        self.scoring, self.train, self.valid, self.k, self.users = scoring, train, valid, k, users

    def on_epoch_end(self, epoch, logs=None):
        f = extract_factors(self.scoring, self.users)
        sampled = ranking.factor_scorer(f.user_factors, f.anime_factors, f.anime_bias)

        def scorer(users):
            return sampled(np.searchsorted(self.users, users))

        result = ranking.evaluate(scorer, self.train, self.valid, k=self.k, scope=ranking.Scope(users=self.users))
        if logs is not None:
            logs[f"val_ndcg@{self.k}"] = result[f"ndcg@{self.k}"]
            logs[f"val_recall@{self.k}"] = result[f"recall@{self.k}"]


@dataclass
class State:
    """Where an interrupted run stopped: last finished epoch, its history, early-stopping bookkeeping."""

    next_epoch: int
    history: dict[str, list[float]] = field(default_factory=dict)
    best: float | None = None
    wait: int = 0
    best_epoch: int = 0
    best_weights: list[np.ndarray] | None = None


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """EarlyStopping whose best value, patience counter and best weights survive a restart."""

    def __init__(self, state: State | None = None, **kwargs):
        super().__init__(**kwargs)
        self.state = state

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self.state and self.state.best is not None:
            self.best, self.wait, self.best_epoch = self.state.best, self.state.wait, self.state.best_epoch
            self.best_weights = self.state.best_weights


class Progress(keras.callbacks.Callback):
    """Keeps the whole history (earlier runs included) and, with a directory, the resume state."""

    def __init__(self, directory: Path | None, state: State | None, stopper: ResumableEarlyStopping | None):
        super().__init__()
        self.directory, self.stopper = directory, stopper
        self.history = {key: list(values) for key, values in (state.history if state else {}).items()}

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        if self.directory is not None:
            self._save(epoch)

    def _save(self, epoch: int) -> None:
        """state.json written last and atomically: it only ever names a complete checkpoint file."""
        stopper = self.stopper
        state = {"epoch": epoch, "history": self.history, "wait": stopper.wait if stopper else 0,
                 "best": _finite(stopper.best) if stopper else None,
                 "best_epoch": stopper.best_epoch if stopper else 0}
        if stopper and stopper.best_epoch == epoch and stopper.best_weights is not None:
            _atomic(self.directory / BEST_FILE, lambda p: _save_npz(p, stopper.best_weights))
        _atomic(self.directory / STATE_FILE, lambda p: p.write_text(json.dumps(state), encoding="utf-8"))
        for old in self.directory.glob("epoch-*.weights.h5"):
            if old.name != checkpoint_name(epoch):
                old.unlink(missing_ok=True)


def _finite(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def _save_npz(path: Path, weights: list[np.ndarray]) -> None:
    with open(path, "wb") as handle:
        np.savez(handle, *[np.asarray(w) for w in weights])


def _atomic(path: Path, write) -> None:
    """Write to a temporary name, then rename: a kill leaves the old file or the new one."""
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)


def checkpoint_name(epoch: int) -> str:
    """ModelCheckpoint's file for 0-based `epoch` (Keras formats {epoch} 1-based)."""
    return f"epoch-{epoch + 1:03d}.weights.h5"


def load_state(directory: Path, model: keras.Model) -> State | None:
    """Load the last checkpoint into `model` and return the state; None when there is nothing to resume."""
    path = directory / STATE_FILE
    if not path.is_file():
        return None
    raw = json.loads(path.read_text(encoding="utf-8"))
    model.load_weights(directory / checkpoint_name(raw["epoch"]))
    best_weights = None
    if (directory / BEST_FILE).is_file():
        with np.load(directory / BEST_FILE, allow_pickle=False) as npz:
            best_weights = [npz[f"arr_{i}"] for i in range(len(npz.files))]
    log.info("resuming from checkpoint %s after epoch %d", directory, raw["epoch"] + 1)
    return State(raw["epoch"] + 1, raw["history"], raw["best"], raw["wait"], raw["best_epoch"], best_weights)


def sample_users(valid, max_users: int, seed: int) -> np.ndarray:
    """The users with validation items, or a seeded sample of max_users of them."""
    users = np.flatnonzero(np.diff(valid.indptr) > 0)
    if len(users) > max_users:
        users = np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))
    return users


def validation(scoring: keras.Model, data, cfg, *, k: int) -> RankingValidation | None:
    """The per-epoch ranking check on sampled validation users; None without validation rows."""
    if data.valid_matrix is None or not data.valid_matrix.nnz:
        return None
    users = sample_users(data.valid_matrix, cfg.validation_users, cfg.seed)
    return RankingValidation(scoring, data.train_matrix, data.valid_matrix, k=k, users=users)


@dataclass(frozen=True)
class Resume:
    """Around one fit: where it checkpoints (None: nowhere), the state it resumes from, how loud it is."""

    directory: Path | None = None
    state: State | None = None
    verbose: int = 1


def standard(check: RankingValidation | None, schedule, cfg, *, resume: Resume) -> list:
    """The callback list, in the order that matters: metrics first, then the ones that read them."""
    directory, state, verbose = resume.directory, resume.state, resume.verbose
    callbacks: list[keras.callbacks.Callback] = [keras.callbacks.LearningRateScheduler(schedule)]
    stopper = None
    if check is not None:
        callbacks.insert(0, check)
        stopper = ResumableEarlyStopping(state, monitor=f"val_ndcg@{check.k}", mode="max",
                                         patience=cfg.early_stopping_patience, restore_best_weights=True,
                                         verbose=verbose)
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        callbacks.append(keras.callbacks.ModelCheckpoint(str(directory / "epoch-{epoch:03d}.weights.h5"),
                                                         save_weights_only=True))
    if stopper is not None:
        callbacks.append(stopper)
    callbacks += [Progress(directory, state, stopper), keras.callbacks.TerminateOnNaN()]
    return callbacks


def merged_history(callbacks: list) -> dict[str, list[float]]:
    """Per-epoch history across restarts, from the Progress callback."""
    progress = next(c for c in callbacks if isinstance(c, Progress))
    return progress.history
