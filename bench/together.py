"""Watch together (issue #20): how much of each person's own list does the group's list keep, per aggregation.

    python bench/together.py [--only real|movielens|sample] [--seeds 3] [--max-users 200] [--group 2]
                             [--shared-data ../shared/data] [--sample-dir bench/out/sample]
                             [--set section.key=value ...] [--json figures.json]

Protocol (the cold protocol of bench/cold_users.py), per seed 0, 1, ...: a seeded quarter of the users (≥ 4
list rows) is held out of training entirely; the NCF (shipped config, training.seed + seed) is fitted on the
other users' rows and served by the engine. Each held-out user's list is split 75 / 25 (seeded): the 75 % is
their upload (recommend/together.person_from_list: the one user tower on it), the 25 % their held-out titles.
The held-out users are put in groups of `--group` at random (seeded). Each person's recall@20 on their own
held-out titles is measured on their solo list (together.shared_list with them alone: the same scoring, the
same franchise rules and popularity discount, their upload excluded) and on their group's list (everything
on anyone's upload excluded), for every aggregation in together.AGGREGATIONS. The ratio is the mean group
recall over the mean solo recall (the goal: at least 0.85). A second solo column leaves the other group
members' uploads out of the person's solo list too (the candidates the group list has), so the cost of
"nobody has it on their list" and the cost of sharing the list are told apart; and the recall of each
person's own solo list cut to K / group size titles (an even split of the list between them) is printed for
reference. Nothing is chosen on the held-out titles:
probability_mean's sharpness (SHARPNESS) is chosen on the inner split (each upload split 75 / 25 again, as
bench/cold_users.py chooses its weights), the other aggregations have no parameter.

Each person's score comes in two kinds, measured side by side on the same people and models (SCORES): the
model's alone, and the hybrid blend their solo list ranks by (serving.import_weights: the model and content
like their favourites, each normalised over the person's top candidates; recommend/together.blended_scores,
serving.together_weights when shipped). Each kind has its own solo list (the same scores, one person), its own
sharpness grid and its inner-split figures (`inner`), where the kind is chosen.
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

from cold_users import dataset, fit_ncf, hold_out, served_run  # noqa: E402
from quality import PROJECT_ROOT, with_overrides  # noqa: E402

from anime_recommender.config import load_config  # noqa: E402
from anime_recommender.data import prepare, process  # noqa: E402
from anime_recommender.evaluation.metrics import list_metrics  # noqa: E402
from anime_recommender.recommend import together  # noqa: E402
from anime_recommender.recommend.filters import Filters  # noqa: E402
from anime_recommender.recommend.lists import COMPLETED, ListRows  # noqa: E402

log = logging.getLogger("bench.together")
K = 20
EVERYTHING = Filters(include_adult=True)
# probability_mean's candidates per kind of score, chosen on the inner split (the blend lies in [0, 1], the
# model's scores spread wider)
SHARPNESS = {"model": (0.25, 0.5, 1.0, 2.0), "hybrid": (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)}


def score_kinds(cfg) -> dict[str, dict[str, float]]:
    """serving.together_weights per kind of person score: the model alone, the solo list's blend."""
    return {"model": {"model": 1.0}, "hybrid": dict(cfg.serving.import_weights)}


def people_of(rec, lists) -> tuple[list, list[set]]:
    """Each scored held-out user as a person from their upload, and their held-out MAL ids."""
    people, wanted = [], []
    for i in range(lists.upload.shape[0]):
        span = slice(lists.upload.indptr[i], lists.upload.indptr[i + 1])
        items, scores = lists.upload.indices[span], lists.upload.data[span].astype(np.int8)
        rows = ListRows(rec.m.anime_ids[items], scores, np.full(len(items), COMPLETED, np.int8))
        people.append(together.person_from_list(rec, rows, f"Person {i + 1}"))
        target = lists.target.indices[lists.target.indptr[i]:lists.target.indptr[i + 1]]
        wanted.append(set(rec.m.anime_ids[target].tolist()))
    return people, wanted


def recall(rec, people: list, wanted: list[set], aggregation: str, shown_k: int = K) -> list[float]:
    """Each person's recall@K on their held-out titles, for the list of `people` together (its first `shown_k`
    titles: fewer gives a solo list's share of a list split evenly)."""
    shown = [r.anime.anime_id for r in together.shared_list(rec, people, K, filters=EVERYTHING,
                                                                    aggregation=aggregation).results]
    return [list_metrics(shown[:shown_k], w, K)["recall"] for w in wanted]


def measure(rec, lists, seed: int, size: int, aggregations) -> dict[str, tuple[float, float]]:
    """{aggregation: (mean solo recall, mean group recall)} over seeded random groups of the lists' people."""
    people, wanted = people_of(rec, lists)
    groups = groups_of(len(people), seed, size)
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


def group_recall(rec, lists, seed: int, size: int, aggregation: str) -> float:
    """Mean group recall over seeded random groups of the lists' people (no solo references)."""
    people, wanted = people_of(rec, lists)
    return float(np.mean(np.concatenate([recall(rec, [people[i] for i in g], [wanted[i] for i in g], aggregation)
                                         for g in groups_of(len(people), seed, size)])))


def groups_of(n: int, seed: int, size: int) -> list[np.ndarray]:
    """n people put in groups of `size` at random (seeded); the few left over sit out."""
    order = np.random.default_rng(2000 + seed).permutation(n)
    return [order[i:i + size] for i in range(0, n - size + 1, size)]


def choose_sharpness(rec, inner, seed: int, size: int, grid: tuple[float, ...]) -> float:
    """probability_mean's sharpness with the best group recall on the inner split (the upload split again)."""
    found = {}
    for sharpness in grid:
        rec.cfg = dataclasses.replace(rec.cfg, together_sharpness=sharpness)
        found[sharpness] = group_recall(rec, inner, seed, size, "probability_mean")
    log.info("seed %d, inner split, probability_mean group recall by sharpness: %s", seed, found)
    return max(found, key=found.get)


def one_seed(cfg, data, seed: int, args: argparse.Namespace, tmp: Path) -> dict[str, dict]:
    """{kind of score: {aggregation: (solo, group, ...)}, its chosen sharpness and its inner-split figures}
    on the held-out titles of one seed (groups of `args.group`, at most `args.max_users` held-out users)."""
    size = args.group
    _, kept, lists, inner = hold_out(data, seed, args.max_users)
    m, factors = fit_ncf(cfg, kept, seed)
    rec = served_run(kept, m, factors, tmp / f"run-{seed}")
    out = {}
    for kind, weights in score_kinds(cfg).items():
        rec.cfg = dataclasses.replace(rec.cfg, together_weights=weights)
        sharpness = choose_sharpness(rec, inner, seed, size, SHARPNESS[kind])
        rec.cfg = dataclasses.replace(rec.cfg, together_sharpness=sharpness)
        out[kind] = {**measure(rec, lists, seed, size, together.AGGREGATIONS), "sharpness": sharpness,
                     "inner": measure(rec, inner, seed, size, together.AGGREGATIONS)}
        log.info("seed %d, %s scores: sharpness %g, groups of %d: %s", seed, kind, sharpness, size, out[kind])
    return out


def table(runs: list[dict], title: str) -> str:
    """Markdown per kind of score: solo and group recall@20 and their ratio per aggregation (mean of seeds; per
    seed ratios; the inner split's ratio, where the choice is made), then the kinds against each other."""
    lines = [f"### {title}"]
    for kind in runs[0]:
        kind_runs = [r[kind] for r in runs]
        lines += ["", f"#### person scores: {kind}", "",
                  f"| aggregation | solo recall@{K} | group recall@{K} | group / solo | per seed | "
                  "solo, the group's lists left out too | group / that solo | inner split: group / solo |",
                  "|---|---|---|---|---|---|---|---|"]
        for aggregation in together.AGGREGATIONS:
            solo, group, alike, _ = (np.mean([r[aggregation][j] for r in kind_runs]) for j in range(4))
            per_seed = ", ".join(f"{r[aggregation][1] / r[aggregation][0]:.3f}" for r in kind_runs)
            inner = _ratio(kind_runs, aggregation, "inner")
            lines.append(f"| {aggregation} | {solo:.4f} | {group:.4f} | **{group / solo:.3f}** | {per_seed} | "
                         f"{alike:.4f} | {group / alike:.3f} | {inner:.3f} |")
        split = np.mean([r["mean"][3] for r in kind_runs]) / np.mean([r["mean"][0] for r in kind_runs])
        chosen = ", ".join(f"{r['sharpness']:g}" for r in kind_runs)
        lines += ["", f"Even split: each person's own first {K} // group size titles keep {split:.3f} of their "
                      f"solo recall@{K}. probability_mean's sharpness chosen on the inner split, per seed: {chosen}"]
    lines += ["", "| person scores | inner split: solo recall@20 | inner split: group recall@20 (probability_mean) | "
                  "solo recall@20 | group recall@20 (probability_mean) | group / the model-alone solo |",
              "|---|---|---|---|---|---|"]
    model_solo = np.mean([r["model"]["mean"][0] for r in runs])
    for kind in runs[0]:
        inner_solo, inner_group = (np.mean([r[kind]["inner"]["probability_mean"][j] for r in runs]) for j in (0, 1))
        solo, group = (np.mean([r[kind]["probability_mean"][j] for r in runs]) for j in (0, 1))
        lines.append(f"| {kind} | {inner_solo:.4f} | {inner_group:.4f} | {solo:.4f} | {group:.4f} | "
                     f"{group / model_solo:.3f} |")
    return "\n".join(lines)


def _ratio(kind_runs: list[dict], aggregation: str, split: str) -> float:
    """Mean group recall over mean solo recall of one split's figures, seeds pooled."""
    return (np.mean([r[split][aggregation][1] for r in kind_runs])
            / np.mean([r[split][aggregation][0] for r in kind_runs]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=["real", "movielens", "sample"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--max-users", type=int, default=200)
    parser.add_argument("--group", type=int, default=2, help="people per group (2 to 4)")
    parser.add_argument("--shared-data", type=Path, default=PROJECT_ROOT.parent / "shared" / "data")
    parser.add_argument("--sample-dir", type=Path, default=PROJECT_ROOT / "bench" / "out" / "sample")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("anime_recommender", "tensorflow", "absl"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
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
