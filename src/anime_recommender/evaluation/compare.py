"""The run's evaluation table: the trained model and the baselines on the same split, plus the gate.

Protocol for every model (see baselines.py): fitted on train, tuned on valid, tested on test with
train + valid items excluded, full ranking over all anime. Users are optionally sub-sampled (seeded).
"""
from __future__ import annotations

import logging
from typing import Any

import numpy as np

from anime_recommender.config import Config
from anime_recommender.evaluation import baselines, ranking
from anime_recommender.evaluation.franchise_metrics import FranchiseRows

log = logging.getLogger(__name__)
MODEL = "ncf"
SERVED = "ncf_served"  # the NCF lists after serving's franchise rules (one per franchise, entry points)


def matrices(data) -> dict[str, Any]:
    """train / valid / test / train+valid CSR matrices of a ProcessedData."""
    shape = (data.n_users, data.n_anime)
    return {"train": ranking.interaction_matrix(data.train, *shape),
            "valid": ranking.interaction_matrix(data.valid, *shape),
            "test": ranking.interaction_matrix(data.test, *shape),
            "known": ranking.interaction_matrix([data.train, data.valid], *shape)}


def eval_users(test, max_users: int | None, seed: int) -> np.ndarray | None:
    """All users with test items, or a seeded sample of max_users of them."""
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    if max_users is None or len(users) <= max_users:
        return None
    return np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))


def fit_baselines(cfg: Config, m: dict) -> list[baselines.Fitted]:
    """Popularity, implicit ALS and EASE (skipped when the anime × anime matrix would not fit: ease_skipped)."""
    ev = cfg.evaluation
    fitted = [baselines.popularity(m["train"]),
              baselines.als(m["train"], ev.als_factors, ev.als_iterations, ev.als_regularization,
                            ev.als_alpha, cfg.training.seed)]
    reason = ease_skipped(m["train"].shape[1], ev.ease_max_anime)
    if reason is None:
        fitted.append(baselines.ease(m["train"], m["valid"], ev.ease_lambdas, ev.k))
    else:
        log.warning("EASE %s", reason)
    return fitted


def ease_skipped(n_anime: int, max_anime: int) -> str | None:
    """Why EASE is not fitted on this catalogue (None when it is): its dense anime x anime inverse."""
    if n_anime <= max_anime:
        return None
    gib = 20 * n_anime**2 / 2**30  # float64 Gram + its inverse, float32 weights
    return (f"skipped: {n_anime} anime > evaluation.ease_max_anime {max_anime} (a dense {n_anime} x {n_anime} "
            f"inverse: ~{gib:.1f} GiB and O(n^3) time per lambda)")


def evaluate_models(cfg: Config, data, model_scorer: ranking.Scorer, model_seconds: float,
                    franchises: FranchiseRows | None = None, served: ranking.Reranker | None = None,
                    m: dict | None = None) -> dict[str, Any]:
    """{name: metrics} for NCF and the baselines on test, plus {"gate": ...}; gate skipped without test.

    With `franchises` every row also counts lists repeating a franchise and sequels before their prequel;
    `served` (the franchise rules of serving) adds a row SERVED: the NCF lists as the site shows them.
    `m`: the matrices() of `data` when the caller has them already (at full size each is gigabytes).
    """
    k = cfg.evaluation.k
    m = m or matrices(data)
    if m["test"].nnz == 0:
        log.warning("no test interactions (holdout_fraction=%s): held-out evaluation and gate skipped",
                    cfg.processing.holdout_fraction)
        return {"gate": {"passed": True, "skipped": True, "reason": "no test split"}}
    users = eval_users(m["test"], cfg.evaluation.max_eval_users, cfg.processing.seed)
    def measure(scorer, rerank=None):
        return ranking.evaluate(scorer, m["known"], m["test"], k, users, franchises=franchises, rerank=rerank)
    table = {MODEL: {**measure(model_scorer), "train_seconds": model_seconds}}
    if served is not None:
        table[SERVED] = {**measure(model_scorer, served), "train_seconds": model_seconds}
    for fitted in fit_baselines(cfg, m):
        table[fitted.name] = {**measure(fitted.scorer), "train_seconds": fitted.train_seconds}
        log.info("%s %s: test nDCG@%d %.4f", fitted.name, fitted.params, k, table[fitted.name][f"ndcg@{k}"])
    reason = ease_skipped(data.n_anime, cfg.evaluation.ease_max_anime)
    skipped = {"ease": {"skipped": reason}} if reason else {}
    return {**table, **skipped, "gate": gate(table, k, cfg.evaluation.gate_margin)}


def scored(metrics: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The rows of a metrics table that hold numbers (not the gate, not a skipped baseline)."""
    return {name: row for name, row in metrics.items() if name != "gate" and "skipped" not in row}


def skipped(metrics: dict[str, Any]) -> dict[str, str]:
    """{model: why} for the baselines a run did not fit."""
    return {name: row["skipped"] for name, row in metrics.items() if name != "gate" and "skipped" in row}


def gate(table: dict, k: int, margin: float) -> dict[str, Any]:
    """Pass when the model's nDCG@k ≥ popularity's nDCG@k − margin."""
    model, floor = table[MODEL][f"ndcg@{k}"], table["popularity"][f"ndcg@{k}"] - margin
    return {"passed": bool(model >= floor), "skipped": False, "metric": f"ndcg@{k}", "model": model,
            "threshold": floor, "margin": margin}
