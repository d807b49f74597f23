"""Watch together (issue #20): how much of each person's own list does the group's list keep, per aggregation.

    python bench/together.py [--only real|movielens|sample] [--seeds 3] [--max-users 200] [--group 2]
                             [--shared-data ../shared/data] [--sample-dir bench/out/sample]
                             [--set section.key=value ...] [--json figures.json]

Protocol (the cold protocol of bench/cold_users.py), per seed 0, 1, ...: a seeded quarter of the users (≥ 4
list rows) is held out of training entirely; the NCF (shipped config, training.seed + seed) is fitted on the
other users' rows and served by the engine. Each held-out user's list is split 75 / 25 (seeded): the 75 % is
their upload (Recommender.person_from_list: the one user tower on it), the 25 % their held-out titles.
The held-out users are put in groups of `--group` at random (seeded). Each person's recall@20 on their own
held-out titles is measured on their solo list (Recommender.shared_list with them alone: the same scoring, the
same franchise rules and popularity discount, their upload excluded) and on their group's list (everything
on anyone's upload excluded), for every aggregation in together.AGGREGATIONS. The ratio is the mean group
recall over the mean solo recall (the goal: at least 0.85). A second solo column leaves the other group
members' uploads out of the person's solo list too (the candidates the group list has), so the cost of
"nobody has it on their list" and the cost of sharing the list are told apart; and the recall of each
person's own solo list cut to K / group size titles (an even split of the list between them) is printed for
reference. Nothing is chosen on the held-out titles:
probability_mean's sharpness (SHARPNESS) is chosen on the inner split (each upload split 75 / 25 again, as
bench/cold_users.py chooses its weights), the other aggregations have no parameter.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cold_users import bench_logging, bench_parser, dataset, fit_ncf, hold_out, served_run  # noqa: E402
from quality import with_overrides  # noqa: E402

from anime_recommender.config import load_config  # noqa: E402
from anime_recommender.data import prepare, process  # noqa: E402
from anime_recommender.evaluation.metrics import list_metrics  # noqa: E402
from anime_recommender.recommend import together  # noqa: E402
from anime_recommender.recommend.filters import Filters  # noqa: E402
from anime_recommender.recommend.lists import COMPLETED, ListRows  # noqa: E402

log = logging.getLogger("bench.together")
K = 20
EVERYTHING = Filters(include_adult=True)
SHARPNESS = (0.25, 0.5, 1.0, 2.0)  # probability_mean's candidates, chosen on the inner split


def people_of(rec, lists) -> tuple[list, list[set]]:
    """Each scored held-out user as a person from their upload, and their held-out MAL ids."""
    people, wanted = [], []
    for i in range(lists.upload.shape[0]):
        span = slice(lists.upload.indptr[i], lists.upload.indptr[i + 1])
        items, scores = lists.upload.indices[span], lists.upload.data[span].astype(np.int8)
        rows = ListRows(rec.m.anime_ids[items], scores, np.full(len(items), COMPLETED, np.int8))
        people.append(rec.person_from_list(rows, f"Person {i + 1}"))
        target = lists.target.indices[lists.target.indptr[i]:lists.target.indptr[i + 1]]
        wanted.append(set(rec.m.anime_ids[target].tolist()))
    return people, wanted


def recall(rec, people: list, wanted: list[set], aggregation: str, shown_k: int = K) -> list[float]:
    """Each person's recall@K on their held-out titles, for the list of `people` together (its first `shown_k`
    titles: fewer gives a solo list's share of a list split evenly)."""
    shown = [r.anime.anime_id for r in rec.shared_list(people, K, filters=EVERYTHING, aggregation=aggregation).results]
    return [list_metrics(shown[:shown_k], w, K)["recall"] for w in wanted]


def measure(rec, lists, seed: int, size: int, aggregations) -> dict[str, tuple[float, float]]:
    """{aggregation: (mean solo recall, mean group recall)} over seeded random groups of the lists' people."""
    people, wanted = people_of(rec, lists)
    order = np.random.default_rng(2000 + seed).permutation(len(people))
    groups = [order[i:i + size] for i in range(0, len(order) - size + 1, size)]
    solo = np.array([recall(rec, [people[i]], [wanted[i]], "mean")[0] for g in groups for i in g])
    alike = np.array([recall(rec, [dataclasses.replace(people[i], listed=np.unique(np.concatenate(
        [people[j].listed for j in g])))], [wanted[i]], "mean")[0] for g in groups for i in g])
    split = np.array([recall(rec, [people[i]], [wanted[i]], "mean", K // size)[0] for g in groups for i in g])
    out = {}
    for aggregation in aggregations:
        group = np.concatenate([recall(rec, [people[i] for i in g], [wanted[i] for i in g], aggregation)
                                for g in groups])
        out[aggregation] = (float(solo.mean()), float(group.mean()), float(alike.mean()), float(split.mean()))
    return out


def choose_sharpness(rec, inner, seed: int, size: int) -> float:
    """probability_mean's sharpness with the best group recall on the inner split (the upload split again)."""
    found = {}
    for sharpness in SHARPNESS:
        rec.cfg = dataclasses.replace(rec.cfg, together_sharpness=sharpness)
        found[sharpness] = measure(rec, inner, seed, size, ["probability_mean"])["probability_mean"][1]
    log.info("seed %d, inner split, probability_mean group recall by sharpness: %s", seed, found)
    return max(found, key=found.get)


def one_seed(cfg, data, seed: int, args: argparse.Namespace, tmp: Path) -> dict[str, tuple[float, float]]:
    """{aggregation: (solo, group recall)} on the held-out titles of one seed (groups of `args.group`, at most
    `args.max_users` held-out users), and the chosen sharpness."""
    size = args.group
    _, kept, lists, inner = hold_out(data, seed, args.max_users)
    m, factors = fit_ncf(cfg, kept, seed)
    rec = served_run(kept, m, factors, tmp / f"run-{seed}")
    sharpness = choose_sharpness(rec, inner, seed, size)
    rec.cfg = dataclasses.replace(rec.cfg, together_sharpness=sharpness)
    out = measure(rec, lists, seed, size, together.AGGREGATIONS)
    log.info("seed %d: sharpness %g, groups of %d: %s", seed, sharpness, size, out)
    return {**out, "sharpness": sharpness}


def table(runs: list[dict], title: str) -> str:
    """Markdown: solo and group recall@20 and their ratio per aggregation (mean of seeds; per seed ratios)."""
    lines = [f"### {title}", "", f"| aggregation | solo recall@{K} | group recall@{K} | group / solo | per seed | "
             "solo, the group's lists left out too | group / that solo |", "|---|---|---|---|---|---|---|"]
    for aggregation in together.AGGREGATIONS:
        solo, group, alike, _ = (np.mean([r[aggregation][j] for r in runs]) for j in range(4))
        per_seed = ", ".join(f"{r[aggregation][1] / r[aggregation][0]:.3f}" for r in runs)
        lines.append(f"| {aggregation} | {solo:.4f} | {group:.4f} | **{group / solo:.3f}** | {per_seed} | "
                     f"{alike:.4f} | {group / alike:.3f} |")
    split = np.mean([r["mean"][3] for r in runs]) / np.mean([r["mean"][0] for r in runs])
    lines += ["", f"An even split for reference: each person's own first {K} // group size titles keep "
                  f"{split:.3f} of their solo recall@{K}."]
    chosen = ", ".join(f"{r['sharpness']:g}" for r in runs)
    return "\n".join(lines + ["", f"probability_mean's sharpness chosen on the inner split, per seed: {chosen}"])


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--group", type=int, default=2, help="people per group (2 to 4)")
    args = parser.parse_args()
    bench_logging()
    cfg = with_overrides(load_config(), args.overrides)
    started, everything = time.perf_counter(), {}
    for name in args.only or ["real", "movielens"]:
        with tempfile.TemporaryDirectory() as tmp:
            data_cfg = dataset(name, cfg, args.shared_data, Path(tmp), args.sample_dir)
            catalog, interactions, seen, report = prepare.load_dataset(data_cfg)
            data = process.process(interactions, catalog, data_cfg.processing, report=report, seen=seen)
            runs = [one_seed(data_cfg, data, seed, args, Path(tmp))
                    for seed in range(args.seeds)]
        everything[name] = runs
        print(table(runs, f"{name}: {data.n_users} users x {data.n_anime} anime, groups of {args.group}, "
                          f"{args.seeds} seeds"), flush=True)
    if args.json:
        args.json.write_text(json.dumps(everything, indent=1))
    print(f"\noverrides: {' '.join(args.overrides) or 'none'}; total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
