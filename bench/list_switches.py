"""What the import's switches do to quality on the real slice: "treat Dropped as dislikes" and "hide Plan to
Watch" (include_planned), each on and off, on the same model, lists, held-out titles and seeds.

    python bench/list_switches.py --data-dir ../shared/data/anime-2020 --out /tmp/list-switches

The model is trained once (final model, no held-out split) on rating_complete.csv WITHOUT the animelist.csv
users, so those users are cold, as every importer is. Each of them imports their own animelist.csv list
(every status) minus a seeded quarter of their clear likes (Completed, scored 7+); the held-out likes are
the relevant titles of recall@10 / nDCG@10, averaged over users, then over seeds. Also counted: Plan to
Watch titles among the ten shown. Nothing under --out belongs in the repository.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from anime_recommender.config import Config
from anime_recommender.evaluation.metrics import list_metrics
from anime_recommender.pipeline.run import run_training
from anime_recommender.recommend.engine import Recommender
from anime_recommender.recommend.lists import COMPLETED, PLAN_TO_WATCH, ListReading, ListRows
from anime_recommender.recommend.mal_export import MalExport

SETTINGS = {"as shipped (Dropped dislikes, Plan to Watch hidden)": (True, False),
            "dropped_dislikes=0": (False, False), "include_planned=1": (True, True)}
CATALOG_FILES = ("anime.csv", "anime_with_synopsis.csv", "watching_status.csv")


def cold_data_dir(source: Path, out: Path, listed: pd.DataFrame) -> Path:
    """rating_complete.csv without the animelist users, beside links to the catalogue files."""
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    rated = pd.read_csv(source / "rating_complete_prefix.csv")
    rated[~rated["user_id"].isin(listed["user_id"])].to_csv(data / "rating_complete.csv", index=False)
    for name in CATALOG_FILES:
        link = data / name
        if not link.exists():
            link.symlink_to((source / name).resolve())
    return data


def held_out(rows: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, set[int]]:
    """The list without a seeded quarter of its clear likes, and those likes."""
    likes = rows[(rows["status"] == COMPLETED) & (rows["rating"] >= 7)]["anime_id"].to_numpy()
    rng = np.random.default_rng(seed)
    target = set(rng.choice(likes, size=max(1, len(likes) // 4), replace=False).tolist()) if len(likes) else set()
    return rows[~rows["anime_id"].isin(target)], target


def export_of(rows: pd.DataFrame) -> MalExport:
    return MalExport(ListRows(rows["anime_id"].to_numpy(np.int64), rows["rating"].to_numpy(np.int8),
                              rows["status"].to_numpy(np.int8)), len(rows), 0)


def measure(rec: Recommender, listed: pd.DataFrame, seeds: int) -> dict[str, dict[str, float]]:
    """Per setting: recall@10, nDCG@10 and Plan to Watch titles shown, averaged over users then seeds."""
    out = {name: {"recall@10": [], "ndcg@10": [], "planned_shown": []} for name in SETTINGS}
    for seed in range(seeds):
        per_seed = {name: {k: [] for k in out[name]} for name in SETTINGS}
        for _, rows in listed.groupby("user_id"):
            kept, target = held_out(rows, seed)
            if not target:
                continue
            planned = set(kept.loc[kept["status"] == PLAN_TO_WATCH, "anime_id"].tolist())
            for name, (dropped, include_planned) in SETTINGS.items():
                found = rec.recommend_import(export_of(kept), n=10, reading=ListReading(include_planned,
                                                                                       dropped)).recs.results
                shown = [r.anime.anime_id for r in found]
                measured = list_metrics(shown, target, 10)
                per_seed[name]["recall@10"].append(measured["recall"])
                per_seed[name]["ndcg@10"].append(measured["ndcg"])
                per_seed[name]["planned_shown"].append(len(set(shown) & planned))
        for name in SETTINGS:
            for metric, values in per_seed[name].items():
                out[name][metric].append(float(np.mean(values)))
    return {name: {**{m: round(float(np.mean(v)), 4) for m, v in metrics.items()},
                   "ndcg@10_seed_std": round(float(np.std(metrics["ndcg@10"])), 4)} for name, metrics in out.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="the real slice (anime-2020)")
    parser.add_argument("--out", type=Path, required=True, help="scratch folder (data, artifacts, results)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=None, help="training.epochs (default: config; tests: 1)")
    args = parser.parse_args(argv)
    listed = pd.read_csv(args.data_dir / "animelist_prefix.csv").rename(columns={"watching_status": "status"})
    data = cold_data_dir(args.data_dir, args.out, listed)
    cfg = (Config().replace("paths", data_dir=data, artifacts_dir=args.out / "artifacts")
           .replace("processing", holdout_fraction=0.0))
    if args.epochs is not None:
        cfg = cfg.replace("training", epochs=args.epochs)
    run_training(cfg, verbose=0)
    rec = Recommender.load(args.out / "artifacts")
    results = measure(rec, listed, args.seeds)
    users = int(listed.groupby("user_id").apply(lambda r: held_out(r, 0)[1] != set()).sum())
    summary = {"users": users, "seeds": args.seeds, "dropped_rows": int((listed["status"] == 4).sum()),
               "results": results}
    (args.out / "list_switches.json").write_text(json.dumps(summary, indent=2))
    json.dump(summary, sys.stdout, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
