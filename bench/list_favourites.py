"""Which of a list's titles drive the content side of an import (issue #15: the blended pages may differ only
by their per-path weights), measured on the cold protocol of bench/cold_users.py:

    python bench/list_favourites.py [--only real|movielens|sample] [--seeds 3] [--max-users 200] [--set k=v]

Two rules, the same fitted NCF per seed, the same held-out users and uploads, the shipped import weights:
- "top quarter" (shipped): the likes scored in the list's top quarter, best first (lists.favourite_positions),
  as a trained user's page reads its loved titles (users.History.loved);
- "every like" (before): every like, strongest first, as imports read them until this change (kept here as
  the measured "before", applied by swapping lists.favourite_positions for the run).
nDCG@10 on the inner 75 / 25 split of the upload (validation, what a choice may read) and on the scored 25 %
(test), and the share of the most common #1; mean of the seeds, each seed's figures in --json.
"""
from __future__ import annotations

import json
import logging
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cold_users import bench_logging, bench_parser, dataset, fit_ncf, hold_out, list_stats, served_import, served_run  # noqa: E402
from quality import with_overrides  # noqa: E402

from anime_recommender.config import load_config  # noqa: E402
from anime_recommender.data import prepare, process  # noqa: E402
from anime_recommender.recommend import lists  # noqa: E402

log = logging.getLogger("bench.list_favourites")
SHIPPED = lists.favourite_positions


def every_like(scores: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, int]:
    """The rule before: every like, strongest first (what read_list's `liked` holds)."""
    liked = np.flatnonzero(weights > 0)
    return liked[np.argsort(-weights[liked], kind="stable")], 0


RULES = {"top quarter (shipped)": SHIPPED, "every like (before)": every_like}


@contextmanager
def rule(positions):
    """Read lists with `positions` as the favourites rule for the duration."""
    lists.favourite_positions = positions
    try:
        yield
    finally:
        lists.favourite_positions = SHIPPED


def one_seed(cfg, data, seed: int, max_users: int, tmp: Path) -> dict:
    """Both rules' validation and test figures for one seed (one NCF fit)."""
    _cold, kept, test, inner = hold_out(data, seed, max_users)
    m, factors = fit_ncf(cfg, kept, seed)
    rec = served_run(kept, m, factors, tmp / f"run-{seed}")
    out = {}
    for name, positions in RULES.items():
        with rule(positions):
            out[name] = {"valid": list_stats(served_import(rec, inner), inner.target, data.n_anime),
                         "test": list_stats(served_import(rec, test), test.target, data.n_anime)}
    log.info("seed %d: %s", seed, json.dumps(out))
    return out


def table(name: str, runs: list[dict]) -> str:
    """Markdown: each rule's mean nDCG@10 (validation, test) and test #1 share over the seeds."""
    lines = [f"{name} ({len(runs)} seeds)", "", "| favourites | valid nDCG@10 | test nDCG@10 | test #1 share |",
             "|---|---|---|---|"]
    for rule_name in RULES:
        valid = np.mean([r[rule_name]["valid"]["ndcg"] for r in runs])
        test = np.mean([r[rule_name]["test"]["ndcg"] for r in runs])
        share = np.mean([r[rule_name]["test"]["top1"] for r in runs])
        lines.append(f"| {rule_name} | {valid:.4f} | {test:.4f} | {100 * share:.1f} % |")
    return "\n".join(lines)


def main() -> None:
    args = bench_parser(__doc__).parse_args()
    bench_logging()
    started, everything = time.perf_counter(), {}
    for name in args.only or ["real", "movielens"]:
        with tempfile.TemporaryDirectory() as tmp:
            cfg = with_overrides(load_config(), args.overrides)
            data_cfg = dataset(name, cfg, args.shared_data, Path(tmp), args.sample_dir)
            catalog, interactions, seen, report = prepare.load_dataset(data_cfg)
            data = process.process(interactions, catalog, data_cfg.processing, report=report, seen=seen)
            everything[name] = [one_seed(data_cfg, data, seed, args.max_users, Path(tmp)) for seed in range(args.seeds)]
        print(table(f"{name}: {data.n_users} users x {data.n_anime} anime", everything[name]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(everything, indent=1))
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
