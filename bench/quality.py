"""Quality table: NCF (ranking, reference), popularity, implicit ALS and EASE on the same split, with fit times.

    python bench/quality.py [--real-dir ../shared/data/anime-2020] [--movielens-dir ../shared/data/movielens-100k]
                            [--sample-dir bench/out/sample] [--seeds 3] [--only real,movielens]
                            [--presets ranking] [--no-baselines] [--set section.key=value ...]

Datasets: the real anime slice (rating_complete_prefix.csv, linked under its Kaggle name in a temporary
folder), MovieLens-100k and the default generated sample (config `sample` size). Two protocols, as in the
pipeline's metrics.json (evaluation/compare.py): warm (trained users' test rows) and cold (rows "<model>
cold": users held out of training, served from processing.cold_given_fraction of their list through the
code the import uses, scored on the rest). NCF rows are averaged over `--seeds`
training seeds (training.seed 42, 43, ...: initialisation and negatives; the split, processing.seed, stays),
with each seed's nDCG@10 listed. `--set` overrides config keys (an attempt of the quality table), e.g.
`--set training.loss=bce --set model.cosine_temperature=null`. Prints markdown for docs/benchmarks.md.
Every model has two rows: its ranking as is, and the same ranking after serving's franchise rules
(" + franchise rules": what the site shows), with the share of lists repeating a franchise and the
number of sequels recommended before their prequel.
"""
from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import yaml

from anime_recommender.config import config_from_dict, load_config
from anime_recommender.data import prepare, process
from anime_recommender.data.franchise import build_franchises
from anime_recommender.data.sample import generate_sample
from anime_recommender.evaluation import compare, ranking
from anime_recommender.model.export import extract_factors
from anime_recommender.pipeline.run import (
    FitControls,
    _seed_everything,
    config_dict,
    franchise_evaluation,
    tower_fold_in,
    train_model,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]  # the source checkout bench/ lives in

COLUMNS = ("ndcg@10", "recall@10", "precision@10", "hit@10", "coverage", "franchise_repeat@10",
           "sequels_before_prequel@10", "train_seconds")
FORMATS = {"train_seconds": "{:.1f}", "sequels_before_prequel@10": "{:.0f}"}  # the rest: four decimals
REAL_FILES = {"anime.csv": "anime.csv", "anime_with_synopsis.csv": "anime_with_synopsis.csv",
              "rating_complete.csv": "rating_complete_prefix.csv", "watching_status.csv": "watching_status.csv"}


def link_real_slice(real_dir: Path, into: Path) -> Path:
    """The real slice under the Kaggle file names (symlinks; nothing is copied)."""
    for name, source in REAL_FILES.items():
        (into / name).symlink_to(real_dir / source)
    return into


def with_overrides(cfg, overrides: list[str]):
    """The config with `section.key=value` overrides (values parsed as YAML: 64, null, bce, [1, 2])."""
    raw = config_dict(cfg)
    for item in overrides:
        key, _, value = item.partition("=")
        section, _, name = key.partition(".")
        raw[section][name] = yaml.safe_load(value)
    return config_from_dict(raw, env={})


def ncf_rows(cfg, data, m: dict, measure, seeds: int) -> dict[str, dict]:
    """The NCF model's rows (as ranked, + franchise rules) averaged over training seeds, each seed's nDCG@10 kept."""
    name = f"NCF {cfg.model.preset}"
    runs = []
    for offset in range(seeds):
        seeded = cfg.replace("training", seed=cfg.training.seed + offset)
        _seed_everything(seeded.training.seed)
        outcome = train_model(seeded, data, controls=FitControls(verbose=0), matrices=m)
        f = extract_factors(outcome.model)
        scorer = ranking.factor_scorer(f.user_factors, f.anime_factors, f.anime_bias)
        valid = outcome.history.get(f"val_ndcg@{cfg.evaluation.k}") or [float("nan")]
        runs.append(measure(name, scorer, {"train_seconds": outcome.seconds, "epochs": outcome.epochs_run,
                                           "valid": max(valid)}, tower_fold_in(f)))
    table = {}
    for row_name in runs[0]:
        row = {c: float(np.mean([r[row_name][c] for r in runs])) for c in (*COLUMNS, "epochs", "valid")}
        row["seeds"] = [f"{r[row_name]['ndcg@10']:.4f} ({r[row_name]['epochs']} ep, valid {r[row_name]['valid']:.4f})"
                        for r in runs]
        table[row_name] = row
    return table


def evaluate_all(cfg, presets: list[str], seeds: int, baselines: bool = True) -> tuple[dict[str, dict], object]:
    """Every model of the table on one processed dataset, each before and after the franchise rules."""
    catalog, interactions, seen, report = prepare.load_dataset(cfg)
    data = process.process(interactions, catalog, cfg.processing, report=report, seen=seen)
    m = compare.matrices(data)
    measure = franchise_measures(data, m, cfg.evaluation.k)
    table = {}
    for preset in presets:
        table.update(ncf_rows(cfg.replace("model", preset=preset), data, m, measure, seeds))
    for fitted in compare.fit_baselines(cfg, m) if baselines else []:
        table.update(measure(fitted.name, fitted.scorer, {"train_seconds": fitted.train_seconds}, fitted.fold_in))
    return table, data


def franchise_measures(data, m: dict, k: int):
    """measure(name, scorer, extra, fold_in) -> the model's row as ranked, its row after serving's franchise rules
    (issue #9: one entry per franchise, entry points first), both with the franchise columns, and with
    `fold_in` its cold-protocol row."""
    rows, served = franchise_evaluation(build_franchises(data.catalog), data)

    def measure(name: str, scorer, extra: dict, fold_in=None) -> dict[str, dict]:
        plain = ranking.evaluate(scorer, m["known"], m["test"], k=k, scope=ranking.Scope(franchises=rows))
        grouped = ranking.evaluate(scorer, m["known"], m["test"], k=k,
                                   scope=ranking.Scope(franchises=rows, rerank=served))
        table = {name: {**plain, **extra}, f"{name} + franchise rules": {**grouped, **extra}}
        if fold_in is not None and m["cold_target"].nnz:
            cold = compare.cold_evaluation(fold_in, m, k, users=None, franchises=rows)
            table[name + compare.COLD] = {**cold, **extra}
        return table
    return measure


def _cell(column: str, value: float) -> str:
    return FORMATS.get(column, "{:.4f}").format(value)


def markdown(title: str, table: dict, data, seeds: int) -> str:
    lines = [f"### {title}", "",
             (f"{data.n_users} users, {data.n_anime} anime, train/valid/test rows "
              f"{len(data.train)}/{len(data.valid)}/{len(data.test)}; {len(data.cold_ids)} cold users "
              f"(given/scored rows {len(data.cold_given)}/{len(data.cold_target)}); NCF rows: mean of {seeds} "
              "training seed(s)"), "",
             "| model | " + " | ".join(COLUMNS) + " | nDCG@10 per seed (epochs run, the validation nDCG@10 that "
             "early stopping kept: the number attempts are chosen by) |",
             "|---" * (len(COLUMNS) + 2) + "|"]
    for name, row in table.items():
        cells = [_cell(c, row[c]) for c in COLUMNS]
        valid = f"; mean valid {row['valid']:.4f}" if "valid" in row else ""
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {', '.join(row.get('seeds', []))}{valid} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--real-dir", type=Path, default=PROJECT_ROOT.parent / "shared" / "data" / "anime-2020")
    parser.add_argument("--sample-dir", type=Path, default=PROJECT_ROOT / "bench" / "out" / "sample")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--movielens-dir", type=Path,
                        default=PROJECT_ROOT.parent / "shared" / "data" / "movielens-100k")
    parser.add_argument("--only", default="real,movielens,sample", help="comma-separated datasets")
    parser.add_argument("--presets", default="ranking,reference")
    parser.add_argument("--no-baselines", action="store_true", help="NCF rows only (quick attempts)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    cfg = with_overrides(load_config(), args.overrides)
    presets, only = args.presets.split(","), args.only.split(",")
    out, started = [f"overrides: {' '.join(args.overrides) or 'none (config/config.yaml)'}"], time.perf_counter()
    print(out[0], flush=True)

    def section(title: str, data_dir: Path) -> None:
        table, data = evaluate_all(cfg.replace("paths", data_dir=data_dir), presets, args.seeds, not args.no_baselines)
        out.append(markdown(title, table, data, args.seeds))
        print(out[-1], flush=True)

    if "real" in only:
        with tempfile.TemporaryDirectory() as tmp:
            section("Real slice: rating_complete_prefix.csv (75/25 per-user split)",
                    link_real_slice(args.real_dir, Path(tmp)))
    if "movielens" in only:
        section("MovieLens-100k", args.movielens_dir)
    if "sample" in only:
        if not (args.sample_dir / "anime.csv").exists():
            generate_sample(args.sample_dir, users=cfg.sample.users, anime=cfg.sample.anime, seed=cfg.sample.seed)
        section(f"Generated sample ({cfg.sample.users} users x {cfg.sample.anime} anime, seed {cfg.sample.seed})",
                args.sample_dir)
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
