"""run_training(cfg): ingest → process → train → export → evaluate → gate → track → publish.

The published run holds exactly the files of docs/architecture.md. `current` moves only when the quality
gate passes (NCF nDCG@k ≥ the strongest baseline's nDCG@k − gate_margin, warm and cold; evaluation/compare.py);
a failed run stays under runs/ for inspection. With holdout_fraction 0 there is no test split: held-out
evaluation and the gate are skipped, and the final model is fitted on every row (train + valid, for the
epoch count validation chose) and published as current.
"""
from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from anime_recommender import artifacts, resources
from anime_recommender.config import Config
from anime_recommender.data import franchise
from anime_recommender.data.report import DataError
from anime_recommender.data.seen import listed_csr
from anime_recommender.evaluation import compare, franchise_metrics, ranking
from anime_recommender.model import train as model_train
from anime_recommender.model.export import Factors, extract_factors
from anime_recommender.model.taste_map import anime_map
from anime_recommender.pipeline import plots
from anime_recommender.pipeline.stages import stage
from anime_recommender.pipeline.tracking import OFFLINE_DIR, Tracker
from anime_recommender.recommend.franchise import Franchises, grouped_reranker
from anime_recommender.recommend.tower import UserTower

log = logging.getLogger(__name__)
CHECKPOINTS = "checkpoints"


@dataclass
class TrainingResult:
    """What a run produced: where it was published, its metrics table and whether it became current."""

    run_id: str
    run_dir: Path
    metrics: dict[str, Any]
    gate_passed: bool
    made_current: bool
    counts: dict[str, int]
    history: dict[str, list[float]] = field(default_factory=dict)
    initial_epoch: int = 0
    franchises: dict[str, Any] = field(default_factory=dict)  # franchise_report.json


@dataclass(frozen=True)
class RunHooks:
    """Test hooks into a run: callbacks added to training's, and a call with the writer before it publishes."""

    callbacks: tuple = ()
    before_publish: Callable[[artifacts.RunWriter], None] | None = None


@dataclass(frozen=True)
class FitControls:
    """How a fit runs, apart from what it learns: where it checkpoints, who watches each epoch, how loud."""

    checkpoint_dir: Path | None = None
    callbacks: tuple = ()
    verbose: int = 1


class DataShrunk(DataError):
    """The new data has far fewer interactions than the current run's: a cut file, not a new dataset."""


def run_training(cfg: Config, *, resume: bool = True, verbose: int = 1, allow_shrink: bool = False,
                 hooks: RunHooks = RunHooks()) -> TrainingResult:
    """The pipeline under the artifacts dir's lock, after removing what killed runs left there."""
    artifacts_dir = Path(cfg.paths.artifacts_dir)
    with artifacts.training_lock(artifacts_dir):
        artifacts.clean_leftovers(artifacts_dir, artifacts_dir / OFFLINE_DIR)
        try:
            return _run(cfg, resume=resume, verbose=verbose, allow_shrink=allow_shrink, hooks=hooks)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):  # free the disk: checkpoints are the big files
                shutil.rmtree(artifacts_dir / CHECKPOINTS, ignore_errors=True)
                artifacts.clean_leftovers(artifacts_dir, artifacts_dir / OFFLINE_DIR)
            raise


def _run(cfg: Config, *, resume: bool, verbose: int, allow_shrink: bool, hooks: RunHooks) -> TrainingResult:
    """The whole pipeline; `hooks.before_publish(writer)` is called with every file written."""
    from anime_recommender.data import prepare, process  # data layer: heavy pandas/pyarrow imports

    _seed_everything(cfg.training.seed)
    with stage("load"):
        catalog, interactions, seen, report = prepare.load_dataset(cfg)
        if not allow_shrink:
            check_shrink(cfg, report)
    with stage("process"):
        data = process.process(interactions, catalog, cfg.processing, report=report, seen=seen)
        del interactions, seen  # encoded copies live in `data`; at full size the raw frames are gigabytes
        fingerprint = data_fingerprint(data)
        matrices = compare.matrices(data)
    with stage("franchises"):
        franchises = franchise.build_franchises(data.catalog)
        franchise_summary = franchise.franchise_report(data.catalog, franchises)
        log_franchises(franchise_summary)
    counts = dict(report.counts, catalog=len(catalog))
    writer = artifacts.RunWriter(cfg.paths.artifacts_dir)
    tracker = Tracker.start(cfg, cfg.paths.artifacts_dir, writer.run_id)
    with writer:
        tracker.log_config(config_dict(cfg))
        tracker.log_data(fingerprint, counts)
        checkpoint_dir = _checkpoint_dir(cfg, fingerprint, resume)
        with stage("train"):
            controls = FitControls(checkpoint_dir, (tracker.epoch_callback(), *hooks.callbacks), verbose)
            outcome = train_model(cfg, data, controls=controls, matrices=matrices)
        with stage("export"):
            factors = extract_factors(outcome.model)
        with stage("evaluate"):
            scorer = ranking.factor_scorer(factors.user_factors, factors.anime_factors, factors.anime_bias)
            trained = compare.Trained(scorer, outcome.seconds, tower_fold_in(factors))
            metrics = compare.evaluate_models(cfg, data, trained, rules=franchise_evaluation(franchises, data),
                                              m=matrices)
        with stage("write"):
            _write_arrays(writer, data, factors, seed=cfg.training.seed)
            _write_results(writer, cfg, outcome, metrics=metrics, report=report)
            writer.save_frame("franchises", franchises)
            writer.save_json("franchise_report", franchise_summary)
            tracker.log_model(outcome.model)
            tracker.log_results(compare.scored(metrics))
            tracker.log_image(writer.file("training_curves.png"))
        if hooks.before_publish is not None:
            hooks.before_publish(writer)
        passed = bool(metrics["gate"]["passed"])
        with stage("publish"):
            manifest = _manifest(cfg, fingerprint, counts, metrics=metrics, outcome=outcome)
            run_dir = writer.publish(manifest, make_current=passed)
    tracker.end()
    _clear_checkpoints(checkpoint_dir)
    return TrainingResult(run_id=writer.run_id, run_dir=run_dir, metrics=metrics, gate_passed=passed,
                          made_current=passed, counts=counts, history=outcome.history,
                          initial_epoch=outcome.initial_epoch, franchises=franchise_summary)


def tower_fold_in(factors: Factors) -> ranking.ListScorer | None:
    """The NCF's scores for lists it never trained on, read by the user tower the import uses (None without one)."""
    if factors.anime_context is None:
        return None
    tower = UserTower(factors.anime_context, factors.user_scale)

    def fold_in(lists) -> np.ndarray:
        vectors = tower.list_vectors(lists.indptr, lists.indices, lists.data.astype(np.int8))
        return vectors @ factors.anime_factors.T + factors.anime_bias
    return fold_in


def franchise_evaluation(franchises, data) -> tuple[franchise_metrics.FranchiseRows, ranking.Reranker]:
    """The franchise measures over the model's anime, and serving's franchise rules as a reranker."""
    kind = data.catalog.set_index("anime_id")["type"].reindex(data.anime_ids).fillna("").to_numpy(object)
    return (franchise_metrics.franchise_rows(franchises, data.anime_ids),
            grouped_reranker(Franchises.from_frame(franchises, data.anime_ids, kind)))


def log_franchises(summary: dict[str, Any], shown: int = 10) -> None:
    """The grouping in the log, largest groups first, for a reviewer to spot a wrong merge."""
    log.info("franchises: %d groups over %d anime; %d of them have several titles (%d anime)",
             summary["franchises"], summary["anime"], summary["with_several_titles"], summary["anime_in_those"])
    for group in summary["largest"][:shown]:
        log.info("  franchise %d: %d titles (%d main): %s", group["franchise_id"], group["size"],
                 group["main_entries"], " | ".join(group["first_titles"]))


def train_model(cfg: Config, data, *, controls: FitControls = FitControls(),
                matrices: dict | None = None) -> model_train.TrainOutcome:
    """Fit the configured preset on train, early-stopping on valid; with training.refit_on_all, fit again on
    train + valid (every row) for the epoch count validation chose: the model that is served and evaluated."""
    m = matrices or compare.matrices(data)
    options = model_train.FitOptions(checkpoint_dir=controls.checkpoint_dir, callbacks=tuple(controls.callbacks),
                                     verbose=controls.verbose)
    chosen = model_train.train(train_input(data, [data.train], m["train"], valid_matrix=m["valid"]), cfg.model,
                               cfg.training, k=cfg.evaluation.k, options=options)
    if not cfg.training.refit_on_all or not m["valid"].nnz:
        return chosen
    epochs = cfg.training.refit_epochs or validation_epochs(chosen.history, cfg.evaluation.k) or chosen.epochs_run
    log.info("refit on train + valid (%s rows) for %d epochs, %s", f"{len(data.train) + len(data.valid):,}", epochs,
             "training.refit_epochs" if cfg.training.refit_epochs else "the count validation chose")
    refit = model_train.train(train_input(data, [data.train, data.valid], m["known"]), cfg.model,
                              dataclasses.replace(cfg.training, epochs=epochs), k=cfg.evaluation.k,
                              options=dataclasses.replace(options, checkpoint_dir=controls.checkpoint_dir / "refit"
                                                  if controls.checkpoint_dir else None))
    return dataclasses.replace(refit, history=chosen.history, initial_epoch=chosen.initial_epoch,
                               best_epoch=epochs - 1, seconds=chosen.seconds + refit.seconds,
                               refit={"epochs": epochs, "rows": int(refit.rows)})


def train_input(data, frames: list[pd.DataFrame], train_matrix, *, valid_matrix=None) -> model_train.TrainInput:
    """The model's input from the given split frames (train, or train + valid for the refit)."""
    rows = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return model_train.TrainInput(
        users=rows["user_idx"].to_numpy(np.int32), items=rows["anime_idx"].to_numpy(np.int32),
        ratings=rows["rating"].to_numpy(np.int8), n_users=data.n_users, n_anime=data.n_anime,
        train_matrix=train_matrix, valid_matrix=valid_matrix)


def validation_epochs(history: dict[str, list[float]], k: int) -> int | None:
    """Epochs up to the best validation nDCG@k (the first best, as early stopping keeps it); None without it."""
    scores = history.get(f"val_ndcg@{k}")
    return int(np.argmax(scores)) + 1 if scores else None


def check_shrink(cfg: Config, report) -> None:
    """DataShrunk when a file feeds data.max_shrink fewer rows than in the current run of the SAME dataset.

    The same dataset: the same data folder and file names (their identity, not their content: a cut
    file is what this guard is for). A run of another dataset (the sample, then the Kaggle files) is
    not compared, and the log says so.
    """
    try:
        current = artifacts.load_run(cfg.paths.artifacts_dir, verify=False)
        before = current.json("data_report")["rows_kept"]
        before_dir = current.manifest["config"]["paths"]["data_dir"]
    except (artifacts.ArtifactError, OSError, KeyError, ValueError, TypeError):
        return  # no current run (or one without a report): nothing to compare with
    now, then = source_identity(cfg.paths.data_dir, report.rows_kept), source_identity(before_dir, before)
    if now != then:
        log.info("data: not compared with the current run's row counts (another dataset: %s, files %s; the "
                 "current run read %s, files %s)", now[0], ", ".join(now[1]), then[0], ", ".join(then[1]))
        return
    for file, rows in report.rows_kept.items():
        old = before.get(file, 0)
        if old and rows < old * (1 - cfg.data.max_shrink):
            raise DataShrunk(f"{file}: {rows} rows kept vs {old} in the current run ({rows / old - 1:+.0%}, "
                             f"more than data.max_shrink {cfg.data.max_shrink:.0%}): a cut file? "
                             "Pass --allow-shrink to publish it anyway (make train ARGS=--allow-shrink)")


def source_identity(data_dir: str | Path, files) -> tuple[str, tuple[str, ...]]:
    """Which dataset a run read: its data folder (symlinks resolved) and the names of its files."""
    return os.path.realpath(data_dir), tuple(sorted(files))


def _seed_everything(seed: int) -> None:
    """Python, NumPy and TF seeds plus deterministic TF kernels: same seed, same model."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def config_dict(cfg: Config) -> dict[str, Any]:
    """The config as plain JSON-able data (paths as strings)."""
    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return str(value) if isinstance(value, Path) else value
    return plain(dataclasses.asdict(cfg))


def data_fingerprint(data) -> str:
    """sha256 of the processed arrays (ids and the three splits): same data, same fingerprint."""
    digest = hashlib.sha256()
    for array in (data.user_ids, data.anime_ids):
        digest.update(np.ascontiguousarray(array).tobytes())
    for frame in (data.train, data.valid, data.test, data.cold_given, data.cold_target):
        for column in ("user_idx", "anime_idx", "rating"):
            digest.update(np.ascontiguousarray(frame[column].to_numpy()).tobytes())
    return digest.hexdigest()


def _checkpoint_dir(cfg: Config, fingerprint: str, resume: bool) -> Path:
    """Checkpoints of this exact setup (data + model/training config minus epochs); cleared unless resuming."""
    setup = config_dict(cfg)
    setup["training"].pop("epochs")
    key = hashlib.sha256(repr((fingerprint, setup["model"], setup["training"], setup["processing"]))
                         .encode()).hexdigest()[:16]
    directory = Path(cfg.paths.artifacts_dir) / CHECKPOINTS / key
    if not resume:
        shutil.rmtree(directory, ignore_errors=True)
    return directory


def _clear_checkpoints(directory: Path) -> None:
    """A finished run leaves nothing to resume (and no empty checkpoints folder)."""
    shutil.rmtree(directory, ignore_errors=True)
    with contextlib.suppress(OSError):  # other setups still have checkpoints there
        directory.parent.rmdir()


def seen_csr(seen: pd.DataFrame, n_users: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indptr int64, indices int32, ratings int8) of every list row, sorted by user then anime."""
    frame = seen.drop_duplicates(["user_idx", "anime_idx"]).sort_values(["user_idx", "anime_idx"])
    counts = np.bincount(frame["user_idx"].to_numpy(), minlength=n_users)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return (indptr, frame["anime_idx"].to_numpy(np.int32), frame["rating"].to_numpy(np.int8))


def _write_arrays(writer: artifacts.RunWriter, data, factors: Factors, *, seed: int) -> None:
    """The arrays serving reads (factors, ids, seen lists, the user tower, the taste map drawn with `seed`) and
    the catalog."""
    arrays = {"user_factors": factors.user_factors, "anime_factors": factors.anime_factors,
              "anime_bias": factors.anime_bias, "user_embeddings": factors.user_embeddings,
              "anime_embeddings": factors.anime_embeddings, "user_ids": data.user_ids.astype(np.int64),
              "anime_ids": data.anime_ids.astype(np.int64),
              "anime_popularity": np.bincount(data.train["anime_idx"].to_numpy(),
                                              minlength=data.n_anime).astype(np.float32)}
    csr = seen_csr(data.seen, data.n_users)
    arrays.update(zip(("seen_indptr", "seen_indices", "seen_ratings"), csr, strict=True))
    arrays.update(listed_csr(data.left_out))  # users training left out: served from their lists by the tower
    if factors.anime_context is not None:  # the user tower (recommend/tower.py): every list is pooled with it
        arrays["anime_context"] = factors.anime_context.astype(np.float32)
        writer.save_json("user_tower", {"user_scale": factors.user_scale})
    arrays["taste_map"] = anime_map(factors.anime_factors, seed)  # the pages' picture of the anime
    if data.outside is not None:  # kept users' list rows on anime the model lacks: never recommended back
        arrays.update(listed_csr(data.outside, "outside"))
    for name, array in arrays.items():
        writer.save_array(name, array)
    writer.save_frame("catalog", data.catalog)


def _write_results(writer: artifacts.RunWriter, cfg: Config, outcome, *, metrics: dict, report) -> None:
    """The model, its metrics, history and curves, and the data report; with _write_arrays, every file of
    the published-run table except manifest.json (written by publish)."""
    outcome.model.save(writer.file("model.keras"))
    writer.save_json("metrics", metrics)
    writer.save_json("history", outcome.history)
    writer.save_json("data_report", report.to_dict())
    plots.training_curves(outcome.history, writer.file("training_curves.png"), cfg.evaluation.k)


def _manifest(cfg: Config, fingerprint: str, counts: dict, *, metrics: dict, outcome) -> dict[str, Any]:
    fit = {"rows": outcome.rows, "epochs": outcome.epochs_run, "refit_on_all": outcome.refit is not None}
    return {"code_version": code_version(), "config": config_dict(cfg), "data_fingerprint": fingerprint,
            "row_counts": counts, "preset": cfg.model.preset, "gate": metrics["gate"], "fit": fit}


def code_version() -> str:
    """The commit of the code that trained the run (see resources.code_version)."""
    return resources.code_version()
