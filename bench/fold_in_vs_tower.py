"""The ALS-style fold-in the import used before issue #15, beside the user tower that replaced it, on the same
held-out users of bench/cold_users.py (same protocol, same fitted NCF per seed).

    python bench/fold_in_vs_tower.py [--only real|movielens|sample] [--seeds 3] [--max-users 200]
                                     [--shared-data ../shared/data]

Rows: each user vector ranked alone, and the served import (blend, franchise rules) with the fold-in put in
the tower's place. `fold_in` is the function removed from recommend/coldstart.py (git 691a2b8), kept here
only as the measured "before".
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cold_users import (  # noqa: E402
    PROJECT_ROOT,
    averaged,
    dataset,
    export_of,
    fit,
    hold_out,
    list_stats,
    markdown,
    ranked,
    served_import,
    served_run,
    tower_alone,
)

from anime_recommender.config import load_config  # noqa: E402
from anime_recommender.data import prepare, process  # noqa: E402
from anime_recommender.recommend import vectors  # noqa: E402
from anime_recommender.recommend.lists import read_list  # noqa: E402
from anime_recommender.recommend.tower import entry_weights  # noqa: E402

ALPHA, REG = 40.0, 0.1  # the fold-in's confidence scale and ridge, as served before #15


def fold_in(factors: np.ndarray, gram_matrix: np.ndarray, liked: np.ndarray, disliked: np.ndarray,
            liked_weights: np.ndarray | None = None) -> np.ndarray:
    """User vector u minimising Σ c_i (u·a_i − p_i)² + λ|u|² (implicit ALS fold-in, Hu et al. 2008)."""
    alpha, reg = ALPHA, REG
    d = factors.shape[1]
    liked_f = factors[np.asarray(liked, dtype=np.int64)].astype(np.float64)
    disliked_f = factors[np.asarray(disliked, dtype=np.int64)].astype(np.float64)
    w = np.ones(len(liked_f)) if liked_weights is None else np.asarray(liked_weights, dtype=np.float64)
    lam = reg * np.trace(gram_matrix) / d
    system = gram_matrix + alpha * ((liked_f.T * w) @ liked_f + disliked_f.T @ disliked_f) + lam * np.eye(d)
    target = ((1.0 + alpha * w) @ liked_f) - (1.0 + alpha) * disliked_f.sum(axis=0)
    return np.linalg.solve(system, target).astype(np.float32)


def fold_in_vector(factors: np.ndarray, gram_matrix: np.ndarray):
    """vectors.list_vector's stand-in: the fold-in of a Taste's likes and dislikes, as served before #15."""
    def vector(_tower, model_row, taste):
        known = model_row[taste.liked] >= 0
        if not known.any():
            return None
        disliked = model_row[taste.disliked]
        return fold_in(factors, gram_matrix, model_row[taste.liked[known]], disliked[disliked >= 0],
                       liked_weights=taste.weights[known])
    return vector


def one_seed(cfg, data, seed: int, max_users: int, tmp: Path) -> dict:
    cold, kept, test, _inner = hold_out(data, seed, max_users)
    m, factors, *_ = fit(cfg, kept, seed)
    rec = served_run(kept, m, factors, tmp / f"run-{seed}")
    factors64 = rec.m.anime_factors.astype(np.float64)
    gram_matrix = factors64.T @ factors64
    n = data.n_anime
    vector = fold_in_vector(rec.m.anime_factors, gram_matrix)
    users = []
    for i in range(len(test.rows)):
        taste, _ = read_list(export_of(rec, test.upload, i).rows, rec.catalog)
        found = vector(rec.m.tower, rec.catalog.model_row, taste)
        users.append(np.zeros(factors64.shape[1], np.float32) if found is None else found)
    fold_scores = np.stack(users) @ rec.m.anime_factors.T + rec.m.anime_bias
    out = {"cold_users": len(cold), "scored": len(test.rows), "valid": {}, "test": {}}
    out["test"]["NCF tower alone"] = list_stats(list(tower_alone(rec, test, entry_weights)), test.target, n)
    out["test"]["ALS-style fold-in alone (before #15)"] = list_stats(list(ranked(fold_scores, test.upload)),
                                                                     test.target, n)
    out["test"]["served import, tower"] = list_stats(served_import(rec, test), test.target, n)
    saved, vectors.list_vector = vectors.list_vector, vector
    try:
        out["test"]["served import, fold-in in the tower's place"] = list_stats(served_import(rec, test),
                                                                                test.target, n)
    finally:
        vectors.list_vector = saved
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=["real", "movielens", "sample"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--max-users", type=int, default=200)
    parser.add_argument("--shared-data", type=Path, default=PROJECT_ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("anime_recommender").setLevel(logging.WARNING)
    cfg = load_config()
    for name in args.only or ["real", "movielens"]:
        with tempfile.TemporaryDirectory() as tmp:
            data_cfg = dataset(name, cfg, args.shared_data, Path(tmp))
            catalog, interactions, seen, report = prepare.load_dataset(data_cfg)
            data = process.process(interactions, catalog, data_cfg.processing, report=report, seen=seen)
            runs = [one_seed(data_cfg, data, seed, args.max_users, Path(tmp)) for seed in range(args.seeds)]
        print(markdown(f"{name}: {data.n_users} users x {data.n_anime} anime", averaged(runs), runs), flush=True)


if __name__ == "__main__":
    main()
