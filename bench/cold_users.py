"""Cold and warm users served as the site serves them (issue #15): the cold table, the warm table, the
pooling, blend weights per path and the popularity discount, each model fitted on the same rows.

    python bench/cold_users.py [--only real|movielens|sample] [--seeds 3] [--max-users 200]
                               [--shared-data ../shared/data] [--sample-dir bench/out/sample]
                               [--set section.key=value ...]
                               [--discount-shapes [--with-test] [--shape SHAPE:BETA ...]]

Protocol, per seed (0, 1, ...): a seeded quarter of the users (those with at least 4 list rows) is held out
of training entirely; the NCF (training.seed + seed), EASE (λ on the validation split), implicit ALS
(evaluation.als_* keys) and popularity are fitted on the same rows: the other users' train split. Each
held-out user's rows (train + valid + test) are split 75 / 25 (seeded): the 75 % is uploaded as a MAL export
through `Recommender.recommend_import` (the served list: blended, one entry per franchise; `mode=model`:
the model alone, same franchise rules), the 25 % scored, nDCG@10 over the whole catalogue (binary
relevance, uploaded anime excluded). EASE folds the upload in as x·B, ALS by `recalculate_user`, the tower
alone is `UserTower.list_vectors` ranked as is. "Few picks": the three best-rated uploaded titles through
`recommend_new_user`, scored on the same 25 %. Warm: the kept users' test split, served by
`Recommender.recommend` beside the same models (train + valid excluded).

Validation never touches the scored 25 %: the upload itself is split 75 / 25 again, and the pooling,
the import and picks blend weights and the popularity discount are chosen on that inner split (the
trained user's page weights on the kept users' validation split, train excluded). `--max-users` caps the
users scored per protocol (a seeded sample) to keep runs small on the shared 2-core box.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hybrid_weights import Tower, write_run  # noqa: E402
from quality import PROJECT_ROOT, link_real_slice, with_overrides  # noqa: E402

from anime_recommender.config import load_config  # noqa: E402
from anime_recommender.data import prepare, process  # noqa: E402
from anime_recommender.data.sample import generate_sample  # noqa: E402
from anime_recommender.evaluation import baselines, compare, ranking  # noqa: E402
from anime_recommender.evaluation.metrics import list_metrics  # noqa: E402
from anime_recommender.model.export import extract_factors  # noqa: E402
from anime_recommender.pipeline.run import FitControls, _seed_everything, train_model  # noqa: E402
from anime_recommender.recommend.engine import Recommender  # noqa: E402
from anime_recommender.recommend.filters import Filters  # noqa: E402
from anime_recommender.recommend.lists import COMPLETED, ListRows  # noqa: E402
from anime_recommender.recommend.mal_export import MalExport  # noqa: E402
from anime_recommender.recommend.popularity import discount_basis  # noqa: E402
from anime_recommender.recommend.users import History, loved_thresholds  # noqa: E402

log = logging.getLogger("bench.cold_users")
K, HELD_OUT, UPLOADED, PICKS = 10, 0.25, 0.75, 3
# candidate pooling weights of a list entry (rating 1..10, 0 = none): chosen on the inner split
POOLINGS = {
    "every entry once (as training)": lambda r: np.ones(len(r), np.float32),
    "scores <= 4 left out": lambda r: np.where((r > 0) & (r <= 4), 0.0, 1.0).astype(np.float32),
    "scores <= 4 negative (-0.5)": lambda r: np.where((r > 0) & (r <= 4), -0.5, 1.0).astype(np.float32),
    "weighted by score (r/10, unscored 0.7)": lambda r: np.where(r > 0, r / 10.0, 0.7).astype(np.float32),
}
BLENDS = [{"model": 1.0}, {"model": 0.8, "content": 0.2}, {"model": 0.7, "content": 0.3},
          {"model": 0.5, "content": 0.5}, {"model": 0.9, "popular": 0.1}]
PICK_BLENDS = [{"model": 1.0}, {"model": 0.7, "content": 0.3}, {"model": 0.9, "popular": 0.1}]
USER_BLENDS = [{"model": 1.0}, {"model": 0.7, "content": 0.3}, {"model": 0.8, "users": 0.1, "content": 0.1}]
DISCOUNTS = (0.0, 0.1, 0.3, 0.5)
# --discount-shapes: β at each shape of serving.popularity_shape (recommend/popularity.py SHAPES), around each
# shape's 1 % validation cost in the first grid (docs/benchmarks.md "A finer grid"); the model's own bias is on
# another scale (β 1 takes it out), so it gets its own grid
SHAPE_BETAS = {"log": (0.1, 0.2, 0.3), "log_above_p90": (0.2, 0.3, 0.5), "log_above_p99": (0.5, 1.0, 2.0),
               "linear": (0.1, 0.2), "bias": (0.2, 0.4, 0.6, 0.8, 1.0)}
EVERYTHING = Filters(include_adult=True)


@dataclasses.dataclass
class Lists:
    """Held-out users' lists as CSR over model anime rows (ratings as data), one row per held-out user."""

    rows: np.ndarray          # model user rows
    upload: sp.csr_matrix
    target: sp.csr_matrix


def dataset(name: str, cfg, shared: Path, tmp: Path, sample: Path = PROJECT_ROOT / "bench" / "out" / "sample"):
    """The config pointed at one dataset (the real slice linked under Kaggle names, MovieLens, the sample)."""
    if name == "real":
        return cfg.replace("paths", data_dir=link_real_slice(shared / "anime-2020", tmp))
    if name == "movielens":
        return cfg.replace("paths", data_dir=shared / "movielens-100k")
    if not (sample / "anime.csv").exists():
        generate_sample(sample, users=cfg.sample.users, anime=cfg.sample.anime, seed=cfg.sample.seed)
    return cfg.replace("paths", data_dir=sample)


def ratings_matrix(frames: list[pd.DataFrame], shape: tuple[int, int]) -> sp.csr_matrix:
    return ranking.interaction_matrix(frames, *shape, weights="rating").tocsr()


def split_rows(matrix: sp.csr_matrix, rows: np.ndarray, share: float, seed: int) -> tuple[sp.csr_matrix, ...]:
    """Each row's entries split `share` / rest at random (seeded): two CSR matrices with the given rows."""
    rng = np.random.default_rng(seed)
    sub = matrix[rows].tocsr()
    keep = np.zeros(sub.nnz, bool)
    for i in range(sub.shape[0]):
        start, stop = sub.indptr[i], sub.indptr[i + 1]
        keep[start + rng.permutation(stop - start)[:int(np.ceil(share * (stop - start)))]] = True

    def pick(mask: np.ndarray) -> sp.csr_matrix:
        counts = np.bincount(np.repeat(np.arange(sub.shape[0]), np.diff(sub.indptr))[mask], minlength=sub.shape[0])
        return sp.csr_matrix((sub.data[mask], sub.indices[mask], np.concatenate([[0], np.cumsum(counts)])),
                             shape=sub.shape)
    return pick(keep), pick(~keep)


def hold_out(data, seed: int, max_users: int) -> tuple[np.ndarray, object, Lists, Lists]:
    """The held-out users, the data without them, and their upload / scored lists (and the inner split)."""
    shape = (data.n_users, data.n_anime)
    full = ratings_matrix([data.train, data.valid, data.test], shape)
    eligible = np.flatnonzero(np.diff(full.indptr) >= 4)
    rng = np.random.default_rng(1000 + seed)
    cold = np.sort(rng.choice(eligible, int(len(eligible) * HELD_OUT), replace=False))
    kept = dataclasses.replace(data, train=data.train[~data.train["user_idx"].isin(cold)],
                               valid=data.valid[~data.valid["user_idx"].isin(cold)])
    scored = np.sort(rng.choice(cold, min(max_users, len(cold)), replace=False))
    upload, target = split_rows(full, scored, UPLOADED, seed)
    inner_upload, inner_target = split_rows(upload, np.arange(len(scored)), UPLOADED, seed + 500)
    return cold, kept, Lists(scored, upload, target), Lists(scored, inner_upload, inner_target)


def fit_ncf(cfg, kept, seed: int):
    """The NCF on the kept users' rows (early stopping on their validation split): their matrices, its factors."""
    m = compare.matrices(kept)
    seeded = cfg.replace("training", seed=cfg.training.seed + seed)
    _seed_everything(seeded.training.seed)
    started = time.perf_counter()
    outcome = train_model(seeded, kept, controls=FitControls(verbose=0), matrices=m)
    log.info("NCF: %d epochs in %.0fs", outcome.epochs_run, time.perf_counter() - started)
    return m, extract_factors(outcome.model)


def fit(cfg, kept, seed: int):
    """The NCF, EASE, ALS and popularity fitted on the kept users' train rows (the NCF early-stops on valid)."""
    m, factors = fit_ncf(cfg, kept, seed)
    ev = cfg.evaluation
    lam = baselines.ease(m["train"], m["valid"], ev.ease_lambdas, k=K).params["lambda"]
    ease = baselines.ease_weights(m["train"], lam)
    als = implicit_als(m["train"], ev, cfg.training.seed + seed)
    popularity = np.asarray(m["train"].sum(axis=0), np.float32).ravel()
    return m, factors, ease, als, popularity


def implicit_als(train: sp.csr_matrix, ev, seed: int):
    """implicit ALS with the evaluation.als_* keys (the pipeline's baseline), kept whole for recalculate_user."""
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(factors=ev.als_factors, regularization=ev.als_regularization,
                                        alpha=ev.als_alpha, iterations=ev.als_iterations, random_state=seed,
                                        num_threads=os.cpu_count() or 1)
        model.fit(train, show_progress=False)
    return model


def served_run(kept, m: dict, factors, out: Path) -> Recommender:
    """The fitted NCF published as a run (seen = the kept users' train + valid) and loaded by the engine."""
    model = {"user_factors": factors.user_factors, "anime_factors": factors.anime_factors,
             "anime_bias": factors.anime_bias, "user_embeddings": factors.user_embeddings,
             "anime_embeddings": factors.anime_embeddings, "anime_context": factors.anime_context}
    known = ratings_matrix([kept.train, kept.valid], (kept.n_users, kept.n_anime))
    known.data = np.maximum(known.data, 0)
    run_dir = write_run(kept, known, model, out, Tower(user_scale=factors.user_scale, note="bench/cold_users.py"))
    return Recommender.load(run_dir, load_config().serving)


def ranked(scores: np.ndarray, exclude: sp.csr_matrix) -> np.ndarray:
    """Top K per row with the excluded entries at -inf."""
    return ranking.top_k(ranking.mask_known(np.array(scores, np.float32), exclude), K)


def ndcg_rows(top: list, target: sp.csr_matrix) -> np.ndarray:
    return np.array([list_metrics(list(t), set(target.indices[target.indptr[i]:target.indptr[i + 1]].tolist()),
                                  K)["ndcg"] for i, t in enumerate(top)])


def list_stats(top: list, target: sp.csr_matrix, n_anime: int) -> dict:
    """nDCG@10, coverage@10 (share of the catalogue in any top 10) and the share of the most common #1."""
    firsts = [t[0] for t in top if len(t)]
    share = max(np.unique(firsts, return_counts=True)[1]) / len(top) if firsts else 0.0
    shown = {a for t in top for a in t if a >= 0}
    return {"ndcg": float(ndcg_rows(top, target).mean()), "coverage": len(shown) / n_anime, "top1": float(share)}


def export_of(rec: Recommender, upload: sp.csr_matrix, i: int) -> MalExport:
    items = upload.indices[upload.indptr[i]:upload.indptr[i + 1]]
    scores = upload.data[upload.indptr[i]:upload.indptr[i + 1]].astype(np.int8)
    rows = ListRows(rec.m.anime_ids[items], scores, np.full(len(items), COMPLETED, np.int8))
    return MalExport(rows, len(items), 0)


def served_import(rec: Recommender, lists: Lists, weights: dict | None = None, mode: str = "hybrid",
                  beta: float = 0.0) -> list:
    """Top K model rows of each upload as served (the import path, franchise rules), given weights."""
    if weights is not None:
        rec.cfg = dataclasses.replace(rec.cfg, import_weights=weights)
    filters = dataclasses.replace(EVERYTHING, popularity_discount=beta)
    row_of = {int(a): r for r, a in enumerate(rec.m.anime_ids)}
    return [[row_of.get(r.anime.anime_id, -1) for r in rec.recommend_import(export_of(rec, lists.upload, i), K, filters,
                                                                    mode=mode).recs.results]
            for i in range(len(lists.rows))]


def served_picks(rec: Recommender, lists: Lists, weights: dict) -> list:
    """Top K of the three best-rated uploaded titles named on the new-user form."""
    rec.cfg = dataclasses.replace(rec.cfg, picks_weights=weights)
    row_of = {int(a): r for r, a in enumerate(rec.m.anime_ids)}
    out = []
    for i in range(len(lists.rows)):
        items = lists.upload.indices[lists.upload.indptr[i]:lists.upload.indptr[i + 1]]
        scores = lists.upload.data[lists.upload.indptr[i]:lists.upload.indptr[i + 1]]
        picks = items[np.argsort(-scores, kind="stable")[:PICKS]]
        found = rec.recommend_new_user(rec.m.anime_ids[picks].tolist(), n=K, filters=EVERYTHING)
        out.append([row_of.get(r.anime.anime_id, -1) for r in found.results])
    return out


def tower_alone(rec: Recommender, lists: Lists, pooling) -> np.ndarray:
    """The NCF alone: each upload pooled by the tower (given entry weights), ranked as is."""
    up = lists.upload
    users = rec.m.tower.vectors(up.indptr, up.indices, pooling(up.data))
    return ranked(users @ rec.m.anime_factors.T + rec.m.anime_bias, up)


def cold_baselines(lists: Lists, ease: np.ndarray, als, popularity: np.ndarray) -> dict[str, np.ndarray]:
    """EASE x·B, ALS recalculate_user and popularity on the same uploads."""
    binary = lists.upload.copy()
    binary.data[:] = 1.0
    users = als.recalculate_user(np.arange(binary.shape[0]), binary)
    return {"EASE (x·B)": ranked(binary @ ease, binary),
            "ALS (recalculate_user)": ranked(users @ als.item_factors.T, binary),
            "popularity": ranked(np.broadcast_to(popularity, binary.shape), binary)}


def sampled(users: np.ndarray, max_users: int, seed: int) -> np.ndarray:
    """A seeded sample of at most max_users of `users`, sorted."""
    return np.sort(np.random.default_rng(seed).choice(users, min(max_users, len(users)), replace=False))


def warm(rec: Recommender, m: dict, kept, fitted: tuple, users: np.ndarray) -> dict:
    """Kept users' test split (`users`): served pages (and their popularity discounts) beside the same models."""
    factors, ease, als, popularity = fitted
    known, target = m["known"], m["test"][users]
    x = m["train"]
    scores = {"NCF alone": factors.user_factors[users] @ factors.anime_factors.T + factors.anime_bias,
              "EASE (x·B)": np.asarray(x[users] @ ease),
              "ALS (recalculate_user)": np.asarray(als.user_factors)[users] @ np.asarray(als.item_factors).T,
              "popularity": np.broadcast_to(popularity, (len(users), len(popularity)))}
    out = {name: list_stats(list(ranked(s, known[users])), target, kept.n_anime) for name, s in scores.items()}
    row_of = {int(a): r for r, a in enumerate(rec.m.anime_ids)}
    for beta in DISCOUNTS:
        top = [[row_of.get(r.anime.anime_id, -1) for r in rec.recommend(int(rec.m.user_ids[u]), K, dataclasses.replace(
            EVERYTHING, popularity_discount=beta)).results] for u in users]
        out[f"served page, discount {beta}"] = list_stats(top, target, kept.n_anime)
    return out


def user_weights(rec: Recommender, m: dict, max_users: int, seed: int) -> dict:
    """A trained user's page weights on the validation split (train excluded)."""
    valid = m["valid"]
    users = sampled(np.flatnonzero(np.diff(valid.indptr) > 0), max_users, seed)
    saved = rec.m.history
    train = m["train"].tocsr()
    rec.m.history = History(train, loved_thresholds(train))
    row_of = {int(a): r for r, a in enumerate(rec.m.anime_ids)}
    out = {}
    for weights in USER_BLENDS:
        rec.cfg = dataclasses.replace(rec.cfg, hybrid_weights=weights)
        top = [[row_of.get(r.anime.anime_id, -1) for r in rec.recommend(int(rec.m.user_ids[u]), K, EVERYTHING).results]
               for u in users]
        out[json.dumps(weights)] = float(ndcg_rows(top, valid[users]).mean())
    rec.m.history = saved
    return out


def served_pages(rec: Recommender, users: np.ndarray, beta: float, history: History | None = None) -> list:
    """Top K model rows of trained users' pages as served, at discount β (`history`: the seen set instead of
    the run's, e.g. train rows only to score the validation split)."""
    row_of = {int(a): r for r, a in enumerate(rec.m.anime_ids)}
    filters = dataclasses.replace(EVERYTHING, popularity_discount=beta)
    saved, rec.m.history = rec.m.history, history or rec.m.history
    try:
        return [[row_of.get(r.anime.anime_id, -1) for r in rec.recommend(int(rec.m.user_ids[u]), K, filters).results]
                for u in users]
    finally:
        rec.m.history = saved


def discount_shapes(rec: Recommender, m: dict, held: tuple, args: argparse.Namespace, seed: int) -> dict:
    """Every (shape, β) of `args.shape` (else SHAPE_BETAS) on the served import (inner split: valid) and the
    served page (kept users' validation split, train excluded); with `args.with_test` the scored 25 % and the
    kept users' test split too; `held`: the cold users and their inner and scored lists."""
    cold, inner, test = held
    n = rec.m.anime_factors.shape[0]
    pages = {split: sampled(np.setdiff1d(np.flatnonzero(np.diff(m[split].indptr) > 0), cold), args.max_users, seed)
             for split in ("valid", "test")}
    train = m["train"].tocsr()
    train_only = History(train, loved_thresholds(train))
    out = {"valid": {}, "test": {}}
    saved = rec.shelf

    def measure(name: str, beta: float) -> None:
        out["valid"][f"import {name}"] = list_stats(served_import(rec, inner, None, beta=beta), inner.target, n)
        top = served_pages(rec, pages["valid"], beta, train_only)
        out["valid"][f"page {name}"] = list_stats(top, m["valid"][pages["valid"]], n)
        log.info("seed %d, %s: the page's most common #1 is %s", seed, name, common_first(rec, top))
        if args.with_test:
            out["test"][f"cold served import {name}"] = list_stats(served_import(rec, test, None, beta=beta),
                                                                   test.target, n)
            out["test"][f"warm served page {name}"] = list_stats(served_pages(rec, pages["test"], beta),
                                                                 m["test"][pages["test"]], n)

    users = np.log1p(rec.m.popularity)
    log.info("seed %d: Spearman correlation with ln(1 + train users): anime_bias %.2f, |anime factors| %.2f", seed,
             stats.spearmanr(rec.m.anime_bias, users)[0],
             stats.spearmanr(np.linalg.norm(rec.m.anime_factors, axis=1), users)[0])
    measure("no discount", 0.0)
    for shape, betas in shape_grid(args.shape).items():
        rec.shelf = dataclasses.replace(saved, discount_basis=discount_basis(
            shape, users=rec.m.popularity, bias=rec.m.anime_bias))
        for beta in betas:
            measure(f"{shape}, β {beta}", beta)
        log.info("seed %d: shape %s done", seed, shape)
    rec.shelf = saved
    log.info("seed %d: %d / %d kept users' pages (valid / test), %d held-out imports", seed, len(pages["valid"]),
             len(pages["test"]), len(test.rows))
    return out


def common_first(rec: Recommender, top: list) -> str:
    """The title most often first in `top` (model rows) and its share of the lists, for the log."""
    rows, counts = np.unique([t[0] for t in top if len(t)], return_counts=True)
    row = int(rows[np.argmax(counts)])
    title = rec.catalog.display_name[rec.catalog.cat_row[row]] if row >= 0 else "a title the model never saw"
    return f"{title} ({counts.max() / len(top):.1%})"


def shape_grid(chosen: list[str]) -> dict[str, tuple[float, ...]]:
    """The (shape, β) grid: SHAPE_BETAS, or the `shape:β` pairs given on the command line."""
    if not chosen:
        return SHAPE_BETAS
    grid: dict[str, tuple[float, ...]] = {}
    for pair in chosen:
        shape, beta = pair.split(":")
        grid[shape] = (*grid.get(shape, ()), float(beta))
    return grid


def one_seed(cfg, data, seed: int, args: argparse.Namespace, tmp: Path) -> dict:
    """Every figure of one seed, at most `args.max_users` users per split (only the discount shapes' with
    `args.discount_shapes`)."""
    max_users, shapes_only = args.max_users, args.discount_shapes
    cold, kept, test, inner = hold_out(data, seed, max_users)
    result = {"cold_users": len(cold), "scored": len(test.rows), "valid": {}, "test": {}}
    if shapes_only:  # a clean validation of the page: the model must not have trained on the valid split
        m, factors = fit_ncf(cfg.replace("training", refit_on_all=False), kept, seed)
        rec = served_run(kept, m, factors, tmp / f"run-{seed}")
        return {**result, **discount_shapes(rec, m, (cold, inner, test), args, seed)}
    m, factors, ease, als, popularity = fit(cfg, kept, seed)
    rec = served_run(kept, m, factors, tmp / f"run-{seed}")
    n = data.n_anime
    for name, pooling in POOLINGS.items():
        result["valid"][f"pooling: {name}"] = list_stats(list(tower_alone(rec, inner, pooling)), inner.target, n)
    for weights in BLENDS:
        result["valid"][f"import {json.dumps(weights)}"] = list_stats(served_import(rec, inner, weights),
                                                                      inner.target, n)
    for weights in PICK_BLENDS:
        result["valid"][f"picks {json.dumps(weights)}"] = list_stats(served_picks(rec, inner, weights),
                                                                     inner.target, n)
    rec.cfg = load_config().serving
    for beta in DISCOUNTS:
        result["valid"][f"import discount {beta}"] = list_stats(served_import(rec, inner, None, beta=beta),
                                                                inner.target, n)
    result["valid"].update({f"page {k}": {"ndcg": v} for k, v in user_weights(rec, m, max_users, seed).items()})
    log.info("seed %d: validation done", seed)
    rec.cfg = load_config().serving
    shipped = POOLINGS["every entry once (as training)"]
    for name, top in cold_baselines(test, ease, als, popularity).items():
        result["test"][f"cold {name}"] = list_stats(list(top), test.target, n)
    result["test"]["cold NCF alone (tower)"] = list_stats(list(tower_alone(rec, test, shipped)), test.target, n)
    result["test"]["cold served import (config weights)"] = list_stats(served_import(rec, test), test.target, n)
    result["test"]["cold served import, mode=model"] = list_stats(served_import(rec, test, mode="model"),
                                                                  test.target, n)
    for weights in BLENDS:
        result["test"][f"cold served import {json.dumps(weights)}"] = list_stats(
            served_import(rec, test, weights), test.target, n)
    for weights in PICK_BLENDS:
        result["test"][f"cold few picks {json.dumps(weights)}"] = list_stats(
            served_picks(rec, test, weights), test.target, n)
    rec.cfg = load_config().serving
    for beta in DISCOUNTS[1:]:
        result["test"][f"cold served import, discount {beta}"] = list_stats(
            served_import(rec, test, None, beta=beta), test.target, n)
    rec.cfg = load_config().serving
    log.info("seed %d: cold test done", seed)
    fitted = (factors, ease, als, popularity)
    users = sampled(np.setdiff1d(np.flatnonzero(np.diff(m["test"].indptr) > 0), cold), max_users, seed)
    result["test"].update({f"warm {k}": v for k, v in warm(rec, m, kept, fitted, users).items()})
    return result


def averaged(runs: list[dict]) -> dict:
    """Mean of every figure over seeds, with each seed's nDCG kept."""
    out = {}
    for split in ("valid", "test"):
        for name in runs[0][split]:
            cells = [r[split][name] for r in runs]
            row = {k: float(np.mean([c[k] for c in cells])) for k in cells[0]}
            row["seeds"] = [round(c["ndcg"], 4) for c in cells]
            if "top1" in cells[0]:
                row["seeds_top1"] = [round(c["top1"], 4) for c in cells]
            out[f"{split}: {name}"] = row
    return out


def markdown(title: str, table: dict, runs: list[dict]) -> str:
    lines = [f"### {title}", "", f"held-out users per seed: {[r['cold_users'] for r in runs]}, scored: "
             f"{[r['scored'] for r in runs]}; mean of {len(runs)} seed(s)", "",
             "| split: row | nDCG@10 | coverage@10 | most common #1 (share of users) | nDCG@10 per seed |",
             "|---|---|---|---|---|"]
    for name, row in table.items():
        cov = f"{row['coverage']:.4f}" if "coverage" in row else ""
        top1 = f"{row['top1']:.3f}" if "top1" in row else ""
        lines.append(f"| {name} | {row['ndcg']:.4f} | {cov} | {top1} | {', '.join(map(str, row['seeds']))} |")
    return "\n".join(lines)


def bench_parser(description: str) -> argparse.ArgumentParser:
    """The options every held-out-user bench takes: datasets, seeds, users, data folders, overrides, --json."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=["real", "movielens", "sample"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--max-users", type=int, default=200, help="users scored per split and seed (a seeded sample)")
    parser.add_argument("--shared-data", type=Path, default=PROJECT_ROOT.parent / "shared" / "data")
    parser.add_argument("--sample-dir", type=Path, default=PROJECT_ROOT / "bench" / "out" / "sample",
                        help="the generated sample (made there with the config's sample keys when absent)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    return parser


def bench_logging(quiet: int = logging.WARNING) -> None:
    """The bench's own progress lines with times; the project, TensorFlow and absl only from `quiet` up."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("anime_recommender", "tensorflow", "absl"):
        logging.getLogger(noisy).setLevel(quiet)


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--discount-shapes", action="store_true",
                        help="only the popularity discount: every shape at every β of SHAPE_BETAS, on an NCF "
                             "without the refit on every row (training.refit_on_all false: a clean page validation); "
                             "validation only unless --with-test")
    parser.add_argument("--shape", action="append", default=[], metavar="SHAPE:BETA",
                        help="with --discount-shapes: measure these instead of SHAPE_BETAS (e.g. bias:0.6)")
    parser.add_argument("--with-test", action="store_true",
                        help="with --discount-shapes: the test splits too (never used to choose)")
    args = parser.parse_args()
    bench_logging()
    cfg = with_overrides(load_config(), args.overrides)
    started, out, everything = time.perf_counter(), [], {}
    for name in args.only or ["real", "movielens", "sample"]:
        with tempfile.TemporaryDirectory() as tmp:
            data_cfg = dataset(name, cfg, args.shared_data, Path(tmp), args.sample_dir)
            catalog, interactions, seen, report = prepare.load_dataset(data_cfg)
            data = process.process(interactions, catalog, data_cfg.processing, report=report, seen=seen)
            runs = [one_seed(data_cfg, data, seed, args, Path(tmp)) for seed in range(args.seeds)]
        table = averaged(runs)
        everything[name] = table
        out.append(markdown(f"{name}: {data.n_users} users x {data.n_anime} anime", table, runs))
        print(out[-1], flush=True)
    if args.json:
        args.json.write_text(json.dumps(everything, indent=1))
    print(f"\noverrides: {' '.join(args.overrides) or 'none'}; total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
