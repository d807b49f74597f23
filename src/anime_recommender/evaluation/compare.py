"""The run's evaluation table: the trained model and the baselines on the same rows, two protocols, and the gate.

Warm protocol (the rows named after each model): every model chooses its settings on valid (NCF epochs,
EASE λ), is fitted on train + valid (every row, as the final model is) and tested on test with train +
valid items excluded, full ranking over all anime. Cold protocol (rows "<model> cold"): users held out of
training entirely (data/process.py), each served from part of their list the way the site serves an
import (the NCF through the user tower, EASE x·B, ALS's recalculate_user, popularity) and scored on the
rest. Users are optionally sub-sampled (seeded). The gate compares the NCF with the strongest baseline.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from anime_recommender.config import Config
from anime_recommender.evaluation import baselines, ranking
from anime_recommender.evaluation.franchise_metrics import FranchiseRows

log = logging.getLogger(__name__)
MODEL = "ncf"
SERVED = "ncf_served"  # the NCF lists after serving's franchise rules (one per franchise, entry points)
COLD = " cold"         # suffix of a cold-protocol row: "ncf cold", "ease cold", ...
PROTOCOLS = {"warm": "", "cold": COLD}


def matrices(data) -> dict[str, Any]:
    """train / valid / test / train+valid CSR matrices of a ProcessedData, and the cold users' lists."""
    shape = (data.n_users, data.n_anime)
    cold = (len(data.cold_ids), data.n_anime)
    return {"train": ranking.interaction_matrix(data.train, *shape),
            "valid": ranking.interaction_matrix(data.valid, *shape),
            "test": ranking.interaction_matrix(data.test, *shape),
            "known": ranking.interaction_matrix([data.train, data.valid], *shape),
            "cold_given": ranking.list_matrix(data.cold_given, *cold),
            "cold_target": ranking.interaction_matrix(data.cold_target, *cold)}


def eval_users(test, max_users: int | None, seed: int) -> np.ndarray | None:
    """All users with test items, or a seeded sample of max_users of them."""
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    if max_users is None or len(users) <= max_users:
        return None
    return np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))


def fit_baselines(cfg: Config, m: dict) -> list[baselines.Fitted]:
    """Popularity, implicit ALS and EASE (skipped when the anime × anime matrix would not fit: ease_skipped),
    each fitted on train + valid (EASE's λ chosen on valid first)."""
    ev = cfg.evaluation
    fitted = [baselines.popularity(m["known"]),
              baselines.als(m["known"], baselines.AlsSettings(factors=ev.als_factors, iterations=ev.als_iterations,
                                                              regularization=ev.als_regularization,
                                                              alpha=ev.als_alpha), cfg.training.seed)]
    reason = ease_skipped(m["train"].shape[1], ev.ease_max_anime)
    if reason is None:
        fitted.append(baselines.ease(m["train"], m["valid"], ev.ease_lambdas, k=ev.k, refit=m["known"]))
    else:
        log.warning("EASE %s", reason)
    return fitted


def ease_skipped(n_anime: int, max_anime: int) -> str | None:
    """Why EASE is not fitted on this catalogue (None when it is): its dense anime x anime arrays."""
    if n_anime <= max_anime:
        return None
    gib = 8 * n_anime**2 / 2**30  # float32: the Gram matrix and one copy factorised in place (baselines.ease)
    return (f"skipped: {n_anime} anime > evaluation.ease_max_anime {max_anime} (dense {n_anime} x {n_anime} "
            f"float32 arrays: ~{gib:.1f} GiB and O(n^3) time per lambda)")


@dataclass(frozen=True)
class Trained:
    """The trained model as the table sees it: its scorer, its fit time, and its reading of a list it never
    trained on (the user tower; None: no cold row)."""

    scorer: ranking.Scorer
    seconds: float
    fold_in: ranking.ListScorer | None = None


def evaluate_models(cfg: Config, data, model: Trained,
                    *, rules: tuple[FranchiseRows | None, ranking.Reranker | None] = (None, None),
                    m: dict | None = None) -> dict[str, Any]:
    """{name: metrics} for NCF and the baselines on test (and "<name> cold" on the cold users), plus {"gate"}.

    `rules` = (franchises, served): with franchises every row also counts lists repeating a franchise and
    sequels before their prequel; `served` (the franchise rules of serving) adds a row SERVED: the NCF lists
    as the site shows them. `m`: the matrices() of `data` when the caller has them already (at full size
    each is gigabytes).
    """
    k, (franchises, served) = cfg.evaluation.k, rules
    model_scorer, model_seconds, model_fold_in = model.scorer, model.seconds, model.fold_in
    m = m or matrices(data)
    if m["test"].nnz == 0:
        log.warning("no test interactions (holdout_fraction=%s): held-out evaluation and gate skipped",
                    cfg.processing.holdout_fraction)
        return {"gate": {"passed": True, "skipped": True, "reason": "no test split"}}
    users = eval_users(m["test"], cfg.evaluation.max_eval_users, cfg.processing.seed)
    cold_users = eval_users(m["cold_target"], cfg.evaluation.max_eval_users, cfg.processing.seed)

    def measure(scorer, rerank=None):
        return ranking.evaluate(scorer, m["known"], m["test"], k=k, scope=ranking.Scope(users, franchises, rerank))

    def measure_cold(name: str, fold_in: ranking.ListScorer | None, seconds: float) -> dict:
        if fold_in is None or m["cold_target"].nnz == 0:
            return {}
        row = cold_evaluation(fold_in, m, k, users=cold_users, franchises=franchises)
        return {name + COLD: {**row, "train_seconds": seconds}}

    table = {MODEL: {**measure(model_scorer), "train_seconds": model_seconds}}
    if served is not None:
        table[SERVED] = {**measure(model_scorer, served), "train_seconds": model_seconds}
    table.update(measure_cold(MODEL, model_fold_in, model_seconds))
    for fitted in fit_baselines(cfg, m):
        table[fitted.name] = {**measure(fitted.scorer), "train_seconds": fitted.train_seconds}
        table.update(measure_cold(fitted.name, fitted.fold_in, fitted.train_seconds))
        log.info("%s %s: test nDCG@%d %.4f", fitted.name, fitted.params, k, table[fitted.name][f"ndcg@{k}"])
    reason = ease_skipped(data.n_anime, cfg.evaluation.ease_max_anime)
    skipped = {"ease": {"skipped": reason}} if reason else {}
    ev = cfg.evaluation
    passed = gate(table, k, ev.gate_margin, baseline=ev.gate_baseline, protocols=ev.gate_protocols)
    return {**table, **skipped, "gate": passed}


def cold_evaluation(fold_in: ranking.ListScorer, m: dict, k: int, *, users: np.ndarray | None,
                    franchises: FranchiseRows | None = None) -> dict[str, float]:
    """One model on the cold users: served from their given rows (excluded from its list), scored on the rest."""
    given: sp.csr_matrix = m["cold_given"]
    return ranking.evaluate(lambda rows: fold_in(given[rows]), ranking.binary(given), m["cold_target"], k=k,
                            scope=ranking.Scope(users, franchises))


def scored(metrics: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The rows of a metrics table that hold numbers (not the gate, not a skipped baseline)."""
    return {name: row for name, row in metrics.items() if name != "gate" and "skipped" not in row}


def skipped(metrics: dict[str, Any]) -> dict[str, str]:
    """{model: why} for the baselines a run did not fit."""
    return {name: row["skipped"] for name, row in metrics.items() if name != "gate" and "skipped" in row}


def baseline_scores(table: dict, protocol: str, metric: str) -> dict[str, float]:
    """{baseline: metric} of one protocol's rows (the NCF and its served row left out)."""
    suffix = PROTOCOLS[protocol]
    plain = {name[: len(name) - len(suffix)] if suffix else name: row for name, row in table.items()
             if name.endswith(suffix) and (suffix or not name.endswith(COLD))}
    return {name: row[metric] for name, row in plain.items() if name not in (MODEL, SERVED)}


def gate(table: dict, k: int, margin: float, *, baseline: str = "best",
         protocols: tuple[str, ...] = ("warm", "cold")) -> dict[str, Any]:
    """Pass when, in every protocol measured, the NCF's nDCG@k ≥ the baseline's − margin.

    `baseline` "best" is the strongest baseline of that protocol in this run; a name picks one (the best
    stands in when that one was not fitted, e.g. EASE skipped).
    """
    metric = f"ndcg@{k}"
    checks = []
    for protocol in protocols:
        if MODEL + PROTOCOLS[protocol] not in table:
            continue  # no cold users (or no user tower): that protocol is not measured
        scores = baseline_scores(table, protocol, metric)
        name = baseline if baseline in scores else max(scores, key=scores.get)
        model, floor = table[MODEL + PROTOCOLS[protocol]][metric], scores[name] - margin
        checks.append({"protocol": protocol, "baseline": name, "model": model, "baseline_value": scores[name],
                       "threshold": floor, "passed": bool(model >= floor)})
    binding = min(checks, key=lambda c: c["model"] - c["threshold"])
    return {"passed": all(c["passed"] for c in checks), "skipped": False, "metric": metric,
            "model": binding["model"], "threshold": binding["threshold"], "margin": margin,
            "baseline": baseline, "checks": checks}
