"""Choose the hybrid weights: every mode and a few blends, full ranking, nDCG@10 on held-out items.

    python bench/hybrid_weights.py --data-dir ../shared/data/anime-2020 \
        --file rating_complete.csv=rating_complete_prefix.csv

Protocol: the data layer's seeded per-user split (25% test, 10% of the rest validation); factors are
fitted on the train rows only; candidates exclude everything in train (and valid, when scoring test);
weights are chosen on validation and reported on test. The factor model is implicit ALS as a stand-in
for the NCF (same contract: score = u·a + bias, embeddings = L2-normalised factors); with
`--factors-from RUN_DIR` the factors of a pipeline run trained on the same split are used instead.
    python bench/hybrid_weights.py --data-dir DIR --factors-from artifacts/current   # the NCF run
The run written under bench/out/hybrid-run-* doubles as a realistic demo model for screenshots.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from anime_recommender.artifacts import RunWriter, load_run
from anime_recommender.config import load_config
from anime_recommender.data.ingest import DataFolder, load_catalog, load_interactions
from anime_recommender.data.process import process
from anime_recommender.data.report import DataReport
from anime_recommender.evaluation.metrics import list_metrics
from anime_recommender.recommend.engine import Recommender
from anime_recommender.recommend.filters import Filters
from anime_recommender.recommend.users import History, loved_thresholds

log = logging.getLogger("bench.hybrid_weights")
OUT = Path(__file__).resolve().parent / "out"
MODES = {"model": {"model": 1.0}, "users": {"users": 1.0}, "content": {"content": 1.0}}
BLENDS = [
    {"model": 0.9, "users": 0.1, "content": 0.0}, {"model": 0.8, "users": 0.1, "content": 0.1},
    {"model": 0.7, "users": 0.3, "content": 0.0}, {"model": 0.7, "users": 0.0, "content": 0.3},
    {"model": 0.6, "users": 0.2, "content": 0.2}, {"model": 0.5, "users": 0.5, "content": 0.0},
    {"model": 0.5, "users": 0.25, "content": 0.25}, {"model": 0.4, "users": 0.4, "content": 0.2},
    {"model": 0.34, "users": 0.33, "content": 0.33}, {"model": 0.25, "users": 0.25, "content": 0.5},
    {"model": 0.25, "users": 0.5, "content": 0.25}, {"model": 0.2, "users": 0.4, "content": 0.4},
    {"model": 0.0, "users": 0.5, "content": 0.5}, {"model": 0.8, "users": 0.0, "content": 0.2},
    {"model": 0.6, "users": 0.0, "content": 0.4}, {"model": 0.6, "users": 0.1, "content": 0.3},
    {"model": 0.7, "users": 0.1, "content": 0.2},
]


def _csr(frame: pd.DataFrame, n_users: int, n_anime: int) -> sparse.csr_matrix:
    """User x anime ratings (duplicates impossible after processing)."""
    return sparse.csr_matrix((frame["rating"].to_numpy(np.int8), (frame["user_idx"], frame["anime_idx"])),
                             shape=(n_users, n_anime))


def _als(train: sparse.csr_matrix, factors: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Implicit ALS factors on binary train interactions (stand-in for the NCF)."""
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(factors=factors, regularization=0.05, alpha=10.0, iterations=15,
                                        random_state=seed, num_threads=2)
        model.fit((train > 0).astype(np.float32).tocsr(), show_progress=False)
    return np.asarray(model.user_factors, np.float32), np.asarray(model.item_factors, np.float32)


def _normalise(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def als_model(train: sparse.csr_matrix, factors: int, seed: int) -> dict[str, np.ndarray]:
    """ALS factors in the run's contract: zero bias, embeddings = L2-normalised factors."""
    users, items = _als(train, factors, seed)
    return {"user_factors": users, "anime_factors": items, "anime_bias": np.zeros(len(items), np.float32),
            "user_embeddings": _normalise(users), "anime_embeddings": _normalise(items)}


def run_model(run_dir: Path, data) -> dict[str, np.ndarray]:
    """Factors, bias and embeddings of a pipeline run trained on the same split (ids must match)."""
    run = load_run(run_dir)
    if not (np.array_equal(run.array("user_ids"), data.user_ids)
            and np.array_equal(run.array("anime_ids"), data.anime_ids)):
        raise SystemExit(f"{run_dir} was not trained on this split (user/anime ids differ)")
    names = ("user_factors", "anime_factors", "anime_bias", "user_embeddings", "anime_embeddings")
    return {name: run.array(name) for name in names}


@dataclasses.dataclass(frozen=True)
class Tower:
    """The user tower's scale (None: a plain dot product) and the note a published run carries."""

    user_scale: float | None = None
    note: str = "bench/hybrid_weights.py: implicit ALS on the train split"


PLAIN = Tower()


def write_run(data, train: sparse.csr_matrix, model: dict[str, np.ndarray], out: Path,
              tower: Tower = Tower()) -> Path:
    """Publish the model with a train-only seen CSR as a run, so the engine loads it like any other
    (with `model["anime_context"]`, the user tower and `tower.user_scale` too)."""
    user_scale, note = tower.user_scale, tower.note
    with RunWriter(out) as writer:
        if "anime_context" in model:
            writer.save_json("user_tower", {"user_scale": user_scale})
        items = model["anime_factors"]
        arrays = {**model, "user_ids": data.user_ids, "anime_ids": data.anime_ids,
                  "seen_indptr": train.indptr.astype(np.int64), "seen_indices": train.indices.astype(np.int32),
                  "seen_ratings": train.data.astype(np.int8),
                  "anime_popularity": np.bincount(train.indices, minlength=len(items)).astype(np.float32)}
        for name, array in arrays.items():
            writer.save_array(name, array)
        writer.save_frame("catalog", data.catalog)
        return writer.publish({"note": note})


def evaluate(rec: Recommender, relevant: sparse.csr_matrix, weights: dict, users: np.ndarray, k: int = 10):
    """Mean nDCG@k and recall@k of one weight set over `users` (rows)."""
    rec.cfg = dataclasses.replace(rec.cfg, hybrid_weights=weights)
    everything = Filters(include_adult=True)
    ndcg, recall = [], []
    for row in users:
        wanted = set(rec.m.anime_ids[relevant.indices[relevant.indptr[row]:relevant.indptr[row + 1]]].tolist())
        got = [r.anime.anime_id for r in rec.recommend(int(rec.m.user_ids[row]), k, everything).results]
        measured = list_metrics(got, wanted, k)
        ndcg.append(measured["ndcg"])
        recall.append(measured["recall"])
    return float(np.mean(ndcg)), float(np.mean(recall))


def _with_seen(rec: Recommender, seen: sparse.csr_matrix) -> None:
    """Swap the exclusion set (train for validation scoring, train+valid for test scoring)."""
    seen = seen.tocsr()
    rec.m.history = History(seen, loved_thresholds(seen))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--file", action="append", default=[], help="canonical=actual file name")
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--factors-from", type=Path, help="a pipeline run trained on the same split")
    parser.add_argument("--max-users", type=int, default=2000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    cfg = load_config()
    files = dict(f.split("=", 1) for f in args.file)
    report = DataReport()
    folder = DataFolder(args.data_dir, files)
    catalog = load_catalog(folder, report)
    interactions = load_interactions(folder, cfg.data, report, catalog_ids=catalog["anime_id"])
    data = process(interactions, catalog, cfg.processing, report=report)
    n_u, n_a = data.n_users, data.n_anime
    train, valid, test = (_csr(f, n_u, n_a) for f in (data.train, data.valid, data.test))
    start = time.perf_counter()
    if args.factors_from:
        model = run_model(args.factors_from, data)
    else:
        model = als_model(train, args.factors, cfg.processing.seed)
    log.info("factors %s in %.1fs", model["user_factors"].shape, time.perf_counter() - start)
    name = "hybrid-run-" + ("pipeline" if args.factors_from else "als")
    run_dir = write_run(data, train, model, OUT / name)
    rec = Recommender.load(run_dir, cfg.serving)
    rng = np.random.default_rng(0)
    table = []
    for split, relevant, seen in (("valid", valid, train), ("test", test, train + valid)):
        _with_seen(rec, seen)
        rows = np.flatnonzero(np.diff(relevant.indptr) > 0)
        rows = rng.choice(rows, min(len(rows), args.max_users), replace=False) if len(rows) > args.max_users else rows
        for name, weights in [*MODES.items(), *((None, w) for w in BLENDS)]:
            ndcg, recall = evaluate(rec, relevant, weights, rows)
            table.append({"split": split, "weights": name or json.dumps(weights), "ndcg@10": ndcg,
                          "recall@10": recall, "users": len(rows)})
            log.info("%s %s ndcg@10=%.4f recall@10=%.4f", split, table[-1]["weights"], ndcg, recall)
        popular = dataclasses.replace(rec.cfg, min_history_for_model=10**9)
        rec.cfg, saved = popular, rec.cfg
        ndcg, recall = evaluate(rec, relevant, {"model": 1.0}, rows)
        rec.cfg = saved
        table.append({"split": split, "weights": "popular", "ndcg@10": ndcg, "recall@10": recall,
                      "users": len(rows)})
    print_table(table)
    (OUT / f"{name}.json").write_text(json.dumps(table, indent=2))


def print_table(table: list[dict]) -> None:
    """Markdown: one row per weight set, validation and test side by side."""
    rows = {}
    for entry in table:
        rows.setdefault(entry["weights"], {})[entry["split"]] = entry
    print("| weights (model, users, content) | valid nDCG@10 | test nDCG@10 | test recall@10 |")
    print("|---|---|---|---|")
    for name, splits in rows.items():
        v, t = splits.get("valid", {}), splits.get("test", {})
        print(f"| {name} | {v.get('ndcg@10', float('nan')):.4f} | {t.get('ndcg@10', float('nan')):.4f} "
              f"| {t.get('recall@10', float('nan')):.4f} |")


if __name__ == "__main__":
    main()
