"""Training throughput on CPU: the per-user input against the per-pair input, side by side on one dataset.

    python bench/train.py [--data-dir bench/out/gen-35k] [--steps 40] [--epoch users-softmax] [--set k=v]
    python bench/train.py --real-dir ../shared/data/anime-2020          # the real slice

Same model (ranking preset, the config's dims and history tower), same processed data, same process. For
each input path: `--warmup` steps (graph tracing) then `--steps` timed optimizer steps; figures are train
positives per second and scored (user, anime) pairs per second over the timed steps, and the epoch time
they project (steps per epoch / measured steps per second). `--epoch PATH` also times one whole epoch of
that path (no projection). Paths:
- users-softmax: steps of whole users, each history pooled once, exact softmax over every anime (default);
- users-bce: steps of whole users, 4 sampled negatives per positive, BCE;
- pairs-bce: the per-pair input (the previous default): 4096 random (user, anime) rows per step with 4
  negatives each, each row's user history pooled inside the step.
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
from quality import link_real_slice, with_overrides

from anime_recommender.config import load_config
from anime_recommender.data import prepare, process
from anime_recommender.evaluation import compare
from anime_recommender.model import distribute
from anime_recommender.model import train as tr
from anime_recommender.pipeline.run import _seed_everything

PROJECT_ROOT = Path(__file__).resolve().parents[1]  # the source checkout bench/ lives in
PATHS = {"users-softmax": {"batching": "users", "loss": "softmax"},
         "users-bce": {"batching": "users", "loss": "bce"},
         "pairs-bce": {"batching": "pairs", "loss": "bce"}}


class StepTimer(keras.callbacks.Callback):
    """Wall time of the steps after the warm-up ones."""

    def __init__(self, warmup: int):
        super().__init__()
        self.warmup, self.start, self.end, self.steps = warmup, None, None, 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.steps == self.warmup:
            self.start = time.perf_counter()
        self.end = time.perf_counter()


def measure(inputs: tr.TrainInput, cfg, path: str, warmup: int, steps: int | None) -> dict:
    """Seconds per step over `steps` timed steps (None: one whole epoch after the warm-up epoch start)."""
    train_cfg = dataclasses.replace(cfg.training, **PATHS[path], epochs=1)
    _seed_everything(train_cfg.seed)
    strategy = distribute.make_strategy("default")
    feed = tr.epoch_input(inputs, train_cfg, "ranking", strategy=strategy)
    _, trainer = tr.compile_trainer(inputs, cfg.model, train_cfg, rows=feed.rows)
    timed = feed.steps_per_epoch if steps is None else min(steps, feed.steps_per_epoch - warmup)
    timer = StepTimer(warmup)
    started = time.perf_counter()
    trainer.fit(feed.make(0, 2), epochs=1, steps_per_epoch=warmup + timed if steps else feed.steps_per_epoch,
                callbacks=[timer], verbose=0)
    if steps is None:  # the whole epoch, warm-up included
        per_step, timed = (time.perf_counter() - started) / feed.steps_per_epoch, feed.steps_per_epoch
    else:
        per_step = (timer.end - timer.start) / (timer.steps - warmup)
    size = feed.size
    return {"path": path, "steps": size.steps, "timed_steps": timed, "per_step": per_step,
            "positives_s": size.positives / size.steps / per_step, "pairs_s": size.pairs / size.steps / per_step,
            "epoch_s": per_step * size.steps, "whole_epoch": steps is None}


def load(args, cfg):
    """Processed data of --data-dir (a generated set) or of the real slice."""
    if args.data_dir is not None:
        cfg = cfg.replace("paths", data_dir=args.data_dir).replace("data", generate_if_missing=False)
        catalog, interactions, seen, report = prepare.load_dataset(cfg)
        return process.process(interactions, catalog, cfg.processing, report=report, seen=seen)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = cfg.replace("paths", data_dir=link_real_slice(args.real_dir, Path(tmp)))
        catalog, interactions, seen, report = prepare.load_dataset(cfg)
        return process.process(interactions, catalog, cfg.processing, report=report, seen=seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, help="a Kaggle-shaped folder (e.g. generate-sample output)")
    parser.add_argument("--real-dir", type=Path, default=PROJECT_ROOT.parent / "shared" / "data" / "anime-2020")
    parser.add_argument("--paths", default=",".join(PATHS))
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="config overrides, e.g. model.embedding_dim=64")
    parser.add_argument("--epoch", choices=list(PATHS), help="also time one whole epoch of this path")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    cfg = with_overrides(load_config(), args.overrides)
    data = load(args, cfg)
    m = compare.matrices(data)
    inputs = tr.TrainInput(data.train["user_idx"].to_numpy("int32"), data.train["anime_idx"].to_numpy("int32"),
                           data.train["rating"].to_numpy("int8"), data.n_users, data.n_anime, m["train"], None)
    rows = [measure(inputs, cfg, path, args.warmup, args.steps) for path in args.paths.split(",")]
    if args.epoch:
        rows.append(measure(inputs, cfg, args.epoch, args.warmup, None))
    print(f"{data.n_users} users, {data.n_anime} anime, {len(inputs.users):,} train positives; embedding_dim "
          f"{cfg.model.embedding_dim}, user_history {cfg.model.user_history}, cosine_temperature "
          f"{cfg.model.cosine_temperature}, batch_size {cfg.training.batch_size}; {os.cpu_count()} CPU cores; "
          f"overrides: {' '.join(args.overrides) or 'none'}\n")
    base = next((r for r in rows if r["path"] == "pairs-bce"), rows[-1])
    print("| input path | steps / epoch | timed steps | s / step | positives / s | scored pairs / s | "
          "epoch (s) | epoch time vs pairs-bce |\n|---|---|---|---|---|---|---|---|")
    for r in rows:
        kind = "measured, whole epoch" if r["whole_epoch"] else "projected"
        print(f"| {r['path']} | {r['steps']:,} | {r['timed_steps']:,} | {r['per_step']:.3f} | "
              f"{r['positives_s']:,.0f} | {r['pairs_s']:,.0f} | {r['epoch_s']:,.1f} ({kind}) | "
              f"{base['epoch_s'] / r['epoch_s']:.1f}x faster |")


if __name__ == "__main__":
    main()
