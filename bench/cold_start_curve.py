"""The cold-start curve (issue #20): new-user quality from 1, 3, 5, 10 and 20 liked titles.

    python bench/cold_start_curve.py [--only real|movielens] [--seeds 3] [--max-users 200] [--grid blend]
                                     [--shared-data ../shared/data] [--set section.key=value ...]
                                     [--chart docs/img/cold_start_curve.svg] [--json out.json]
    python bench/cold_start_curve.py --replot out.json [--served-row NAME] [--chart ...]   # no measuring

Protocol, per seed (0, 1, ...): the pipeline's cold protocol (`processing.cold_user_fraction`, processing seed
+ seed) holds the test users out of training entirely; `bench/cold_users.py`'s hold-out then leaves a quarter
of the remaining users out too: the validation users. The NCF (training seed + seed), EASE (λ on validation)
and popularity are fitted on the same rows, the other users' train split, and the NCF is published as a run
the engine loads. Each held-out user with at least 25 titles on their list (on anime the model knows) is
reduced to their N top-rated titles (ties broken at random, seeded) for N in 1, 3, 5, 10, 20 and scored on
the rest of their list: recall@20 and nDCG@10 over the whole catalogue, the N titles excluded, binary
relevance. The same users at every N.

Rows: the new-user picks as served (`Recommender.recommend_new_user`: the user tower, the picks blend, the
franchise rules), the tower alone (`UserTower.list_vectors`, ranked as is), EASE with the same titles (x·B)
and popularity (train users of each anime), and the ceiling: 20 titles every one of which is on the rest of
the list (recall min(20, rest) / rest, nDCG 1), the most any recommender can reach here. The levers are
candidates beside them (`--grid`): "blend" the picks weights and popularity discount, plus offline rows
(the tower at other strengths against the anime bias, an EASE term blended in; no franchise rules);
"strength" the served picks at several `serving.picks_strength`; "growing" a strength that grows with the
titles named (min(1, s0 + s1·n): `serving.picks_strength` and `serving.picks_strength_per_title`);
"neighbours" offline item-to-item rows (how many train users have both anime, C[i,j] / (C[i,i]^α C[j,j]^(1-α)),
summed over the titles named); "none" only the rows above (a training change measured with --set). They are
chosen on the validation users only; the test users are scored with every row so the table shows what the
choice costs or gains, never to choose.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cold_users import EVERYTHING, bench_logging, dataset, fit, hold_out, served_run  # noqa: E402
from quality import PROJECT_ROOT, with_overrides  # noqa: E402

from anime_recommender.config import load_config  # noqa: E402
from anime_recommender.data import prepare, process  # noqa: E402
from anime_recommender.evaluation import ranking  # noqa: E402
from anime_recommender.recommend.engine import Recommender  # noqa: E402
from anime_recommender.recommend.hybrid import blend  # noqa: E402

log = logging.getLogger("bench.cold_start_curve")
POINTS = (1, 3, 5, 10, 20)
RECALL_K, NDCG_K, MIN_REST = 20, 10, 5
SHIPPED = "picks as served (config)"
CEILING = "ceiling: 20 titles all on the rest of the list"  # what no recommender can pass on this protocol
# validation candidates of the served path: (picks weights, popularity discount β)
BLENDS = {  # the first grid: picks weights and the popularity discount β (the model at strength 1)
    "picks {model 0.9, popular 0.1}, β 0.1 (shipped before)": ({"model": 0.9, "popular": 0.1}, 0.1, 1.0),
    "picks {model 1}, β 0": ({"model": 1.0}, 0.0, 1.0),
    "picks {model 0.9, popular 0.1}, β 0": ({"model": 0.9, "popular": 0.1}, 0.0, 1.0),
    "picks {model 0.8, popular 0.2}, β 0": ({"model": 0.8, "popular": 0.2}, 0.0, 1.0),
    "picks {model 0.7, content 0.3}, β 0": ({"model": 0.7, "content": 0.3}, 0.0, 1.0),
    "picks {model 0.7, content 0.2, popular 0.1}, β 0": ({"model": 0.7, "content": 0.2, "popular": 0.1}, 0.0, 1.0),
    "picks {model 0.6, content 0.2, popular 0.2}, β 0": ({"model": 0.6, "content": 0.2, "popular": 0.2}, 0.0, 1.0),
    "picks {model 0.6, content 0.2, popular 0.2}, β 0.1": ({"model": 0.6, "content": 0.2, "popular": 0.2}, 0.1, 1.0),
    "picks {model 0.9, popular 0.1}, β 0.3": ({"model": 0.9, "popular": 0.1}, 0.3, 1.0),
}
STRENGTHS = {  # the second grid: the picks' user vector against the anime bias (serving.picks_strength)
    f"picks {name}, β 0, strength {s}": (weights, 0.0, s)
    for name, weights in (("{model 1}", {"model": 1.0}),
                          ("{model 0.6, content 0.2, popular 0.2}", {"model": 0.6, "content": 0.2, "popular": 0.2}))
    for s in (0.15, 0.25, 0.5, 1.0)
}
GROWING = {  # the third grid: a strength that grows with the n titles named, min(1, s0 + s1·n) (picks_strength,
    # picks_strength_per_title); the constants 1 and 0.15 of the second grid beside them, in the same run
    "picks {model 1}, β 0, strength 1": ({"model": 1.0}, 0.0, 1.0, 0.0),
    "picks {model 1}, β 0, strength 0.15": ({"model": 1.0}, 0.0, 0.15, 0.0),
    **{f"picks {{model 1}}, β 0, strength min(1, {s0} + {s1}·n)": ({"model": 1.0}, 0.0, s0, s1)
       for s0, s1 in ((0.1, 0.045), (0.25, 0.0375), (0.5, 0.025))},
    "picks {model 0.9, popular 0.1}, β 0.1, strength min(1, 0.25 + 0.0375·n)": (
        {"model": 0.9, "popular": 0.1}, 0.1, 0.25, 0.0375),
}
BEFORE = {"picks before (model 0.9 + popular 0.1, β 0.1, strength 1)": ({"model": 0.9, "popular": 0.1}, 0.1, 1.0)}
GRIDS = {"blend": BLENDS, "strength": STRENGTHS, "growing": GROWING, "before": BEFORE, "none": {}, "neighbours": {}}
NEIGHBOUR_ALPHAS = (1.0, 0.9, 0.75, 0.5)  # "neighbours": co-occurrence C[i,j] / (C[i,i]^α C[j,j]^(1-α)); 1: P(j | i)
TOWER_STRENGTHS = (0.25, 0.5, 1.0, 2.0)  # the user vector's length × this, against the anime bias
EASE_SHARES = (0.2, 0.4)                 # the tower blended with EASE x·B (hybrid.blend), share of EASE


@dataclasses.dataclass
class Curve:
    """Held-out users' whole lists (CSR over model anime rows, ratings as data), the users long enough."""

    lists: sp.csr_matrix
    seed: int
    cap: int  # at most this many users scored (a seeded sample)

    def users(self) -> np.ndarray:
        long_enough = np.flatnonzero(np.diff(self.lists.indptr) >= max(POINTS) + MIN_REST)
        if len(long_enough) <= self.cap:
            return long_enough
        return np.sort(np.random.default_rng(self.seed).choice(long_enough, self.cap, replace=False))

    def picks(self, n: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Each scored user's n top-rated titles (ties at random, seeded) and the rest of their list."""
        rng = np.random.default_rng(self.seed)
        sub = self.lists[self.users()].tocsr()
        top = np.zeros(sub.nnz, bool)
        for i in range(sub.shape[0]):
            start, stop = sub.indptr[i], sub.indptr[i + 1]
            order = np.lexsort((rng.random(stop - start), -sub.data[start:stop]))
            top[start + order[:n]] = True
        return _part(sub, top), _part(sub, ~top)


def _part(sub: sp.csr_matrix, mask: np.ndarray) -> sp.csr_matrix:
    rows = np.repeat(np.arange(sub.shape[0]), np.diff(sub.indptr))[mask]
    return sp.csr_matrix((sub.data[mask], (rows, sub.indices[mask])), shape=sub.shape)


def scored(top: np.ndarray, rest: sp.csr_matrix) -> dict[str, float]:
    """Mean recall@20 and nDCG@10 of ranked model rows (-1 = nothing) against the rest of each list."""
    top = np.asarray(top, np.int64)
    hits = np.zeros(top.shape, bool)
    for i in range(len(top)):
        hits[i] = np.isin(top[i], rest.indices[rest.indptr[i]:rest.indptr[i + 1]]) & (top[i] >= 0)
    n_relevant = np.diff(rest.indptr)
    discounts = 1.0 / np.log2(np.arange(2, NDCG_K + 2))
    ideal = np.concatenate([[0.0], np.cumsum(discounts)])[np.minimum(n_relevant, NDCG_K)]
    firsts = top[:, 0][top[:, 0] >= 0]
    return {"recall@20": float((hits[:, :RECALL_K].sum(1) / np.maximum(n_relevant, 1)).mean()),
            "ndcg@10": float((hits[:, :NDCG_K] @ discounts / np.maximum(ideal, 1e-9)).mean()),
            "top1": float(np.unique(firsts, return_counts=True)[1].max() / len(top)) if len(firsts) else 0.0}


def ceiling(rest: sp.csr_matrix) -> np.ndarray:
    """The most any 20 titles can score: 20 titles of each user's rest (all of it when shorter), as top rows."""
    out = np.full((rest.shape[0], RECALL_K), -1, np.int64)
    for i in range(rest.shape[0]):
        own = rest.indices[rest.indptr[i]:rest.indptr[i + 1]][:RECALL_K]
        out[i, :len(own)] = own
    return out


def ranked(scores: np.ndarray, picks: sp.csr_matrix) -> np.ndarray:
    return ranking.top_k(ranking.mask_known(np.array(scores, np.float32), picks), RECALL_K)


def served(rec: Recommender, picks: sp.csr_matrix, candidate: tuple) -> np.ndarray:
    """Top 20 model rows of `Recommender.recommend_new_user` for each user's picks (the franchise rules on), with
    a candidate's (picks weights, popularity discount β, picks strength[, strength per title])."""
    weights, beta, strength, per_title = (*candidate, 0.0)[:4]
    rec.cfg = dataclasses.replace(rec.cfg, picks_weights=weights, picks_strength=strength,
                                  picks_strength_per_title=per_title)
    filters = dataclasses.replace(EVERYTHING, popularity_discount=beta)
    row_of = {int(a): r for r, a in enumerate(rec.m.anime_ids)}
    out = np.full((picks.shape[0], RECALL_K), -1, np.int64)
    for i in range(picks.shape[0]):
        liked = rec.m.anime_ids[picks.indices[picks.indptr[i]:picks.indptr[i + 1]]].tolist()
        found = [row_of.get(r.anime.anime_id, -1) for r in rec.recommend_new_user(liked, n=RECALL_K,
                                                                                   filters=filters).results]
        out[i, :len(found)] = found
    return out


def model_rows(rec: Recommender, picks: sp.csr_matrix, ease: np.ndarray, popularity: np.ndarray,  # noqa: PLR0913
               levers: bool, neighbours: dict[float, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """The tower alone (at each strength), the tower with an EASE term, EASE x·B, popularity, and with
    `neighbours` (neighbour_weights) the item-to-item neighbours of each α."""
    m = rec.m
    users = m.tower.list_vectors(picks.indptr, picks.indices, picks.data)
    binary = ranking.binary(picks)
    ease_scores = np.asarray(binary @ ease)
    out = {f"tower alone, strength {s}": ranked(s * users @ m.anime_factors.T + m.anime_bias, picks)
           for s in (TOWER_STRENGTHS if levers else (1.0,))}
    tower = users @ m.anime_factors.T + m.anime_bias
    for share in EASE_SHARES if levers else ():
        mixed = np.stack([blend({"model": t, "ease": e}, {"model": 1 - share, "ease": share},
                                np.ones(len(t), bool))[0] for t, e in zip(tower, ease_scores, strict=True)])
        out[f"tower + EASE term {share}"] = ranked(mixed, picks)
    out["EASE (x·B)"] = ranked(ease_scores, picks)
    for alpha, weights in (neighbours or {}).items():
        out[f"offline: item co-occurrence, α {alpha}"] = ranked(np.asarray(binary @ weights), picks)
    out["popularity"] = ranked(np.broadcast_to(popularity, binary.shape), picks)
    return out


def one_split(rec: Recommender, curve: Curve, ease: np.ndarray, popularity: np.ndarray, grid: str,  # noqa: PLR0913
              neighbours: dict[float, np.ndarray] | None = None) -> dict:
    """{row: {N: metrics}} of one set of held-out users: the four rows and one grid of candidates (the
    model's own levers, strength and an EASE term, with the blend grid)."""
    out: dict[str, dict] = {}
    shipped = rec.cfg
    for n in POINTS:
        picks, rest = curve.picks(n)
        rows = {SHIPPED: served(rec, picks, (shipped.picks_weights, None, shipped.picks_strength,
                                             shipped.picks_strength_per_title))}
        rows.update({name: served(rec, picks, candidate) for name, candidate in GRIDS[grid].items()})
        rec.cfg = shipped
        rows.update(model_rows(rec, picks, ease, popularity, grid == "blend", neighbours))
        rows[CEILING] = ceiling(rest)
        for name, top in rows.items():
            out.setdefault(name, {})[n] = scored(top, rest)
    return out


def neighbour_weights(train: sp.csr_matrix) -> dict[float, np.ndarray]:
    """Per α of NEIGHBOUR_ALPHAS, (anime, anime) float32 C[i,j] / (C[i,i]^α C[j,j]^(1-α)), C = how many train
    users have both anime, the diagonal zeroed: made once a seed, read at every number of titles and split."""
    binary = ranking.binary(train).astype(np.float32)
    both = np.asarray((binary.T @ binary).todense(), np.float32)
    counts = np.maximum(np.diag(both), 1.0)
    out = {}
    for alpha in NEIGHBOUR_ALPHAS:
        out[alpha] = (both / counts[:, None] ** alpha / counts[None, :] ** (1 - alpha)).astype(np.float32)
        np.fill_diagonal(out[alpha], 0.0)
    return out


def one_seed(cfg, loaded: tuple, seed: int, args: argparse.Namespace, tmp: Path) -> dict:
    """Validation and test curves of one seed (one NCF, EASE and popularity fitted on the same rows), from the
    `loaded` dataset (prepare.load_dataset), at most `args.max_users` users per split, `args.grid` measured."""
    catalog, interactions, seen, report = loaded
    max_users, grid = args.max_users, args.grid
    seeded = cfg.replace("processing", seed=cfg.processing.seed + seed)
    data = process.process(interactions, catalog, seeded.processing, report=report, seen=seen)
    _, kept, valid, _ = hold_out(data, seed, max_users)
    m, factors, ease, _, popularity = fit(cfg, kept, seed)
    rec = served_run(kept, m, factors, tmp / f"run-{seed}")
    rec.cfg = cfg.serving  # the config read once at the start (with --set overrides), whatever the file says now
    valid_lists = (valid.upload + valid.target).tocsr()
    test_lists = ranking.interaction_matrix([data.cold_given, data.cold_target], len(data.cold_ids), data.n_anime,
                                            weights="rating")
    curves = {"valid": Curve(valid_lists, seed, max_users), "test": Curve(test_lists, seed, max_users)}
    neighbours = neighbour_weights(m["train"]) if grid == "neighbours" else None
    result = {split: one_split(rec, curve, ease, popularity, grid, neighbours) for split, curve in curves.items()}
    result["users"] = {split: len(curve.users()) for split, curve in curves.items()}
    log.info("seed %d: %s users scored", seed, result["users"])
    return result


def averaged(runs: list[dict]) -> dict:
    """{split: {row: {N: {metric: mean over seeds}}}} and the users scored per seed."""
    out = {"users": [r["users"] for r in runs]}
    for split in ("valid", "test"):
        out[split] = {row: {n: {metric: float(np.mean([r[split][row][n][metric] for r in runs]))
                                for metric in runs[0][split][row][n]} for n in POINTS}
                      for row in runs[0][split]}
    return out


def markdown(title: str, table: dict, metric: str, served_row: str = SHIPPED) -> str:
    """One split's curve as a table: a row per method, a column per number of titles; × popularity below."""
    head = " | ".join(f"{n} title{'s' if n > 1 else ''}" for n in POINTS)
    lines = [f"#### {title}", "", f"| {metric} | {head} |", "|---|" + "---|" * len(POINTS)]
    for row, cells in table.items():
        lines.append(f"| {row} | " + " | ".join(f"{cells[n][metric]:.4f}" for n in POINTS) + " |")
    pop = table["popularity"]
    for row in (served_row, "EASE (x·B)", CEILING):
        ratios = " | ".join(f"{table[row][n][metric] / max(pop[n][metric], 1e-9):.2f}×" for n in POINTS)
        lines.append(f"| {row} ÷ popularity | {ratios} |")
    return "\n".join(lines)


def chart(results: dict, path: Path, served_row: str = SHIPPED) -> None:
    """recall@20 against the number of titles, one panel per dataset (test users), as an SVG."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: a small, searchable file
    import matplotlib.pyplot as plt

    rows = {served_row: "new-user picks (served)", "tower alone, strength 1.0": "the model alone",
            "EASE (x·B)": "EASE, same titles", "popularity": "popularity"}
    if served_row != SHIPPED:  # a candidate drawn as the served path: the run's own config beside it
        rows[SHIPPED] = "new-user picks, the run's config"
    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 3.8), squeeze=False)
    for ax, (name, table) in zip(axes[0], results.items(), strict=True):
        for row, label in rows.items():
            ax.plot(POINTS, [table["test"][row][n]["recall@20"] for n in POINTS], marker="o", label=label)
        ax.set(xscale="log", xticks=POINTS, xticklabels=[str(n) for n in POINTS], xlabel="liked titles given",
               ylabel="recall@20 on the rest of the list", title=name)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


DATASETS = {"real": "real slice (anime-2020)", "movielens": "MovieLens-100k"}


def from_json(path: Path) -> dict:
    """The figures a run wrote with --json (JSON keys are strings: the numbers of titles become ints again)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {name: {"users": table["users"], **{split: {row: {int(n): cell for n, cell in cells.items()}
                                                       for row, cells in table[split].items()}
                                               for split in ("valid", "test")}}
            for name, table in raw.items()}


def report(results: dict, served_row: str) -> None:
    """Every table of every dataset (test users first), as markdown on stdout."""
    for name, table in results.items():
        print(f"\n### {name}: users scored per seed {table['users']}\n")
        for split in ("test", "valid"):
            for metric in next(iter(table[split].values()))[POINTS[0]]:
                print(markdown(f"{split} users, {metric}", table[split], metric, served_row) + "\n", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=list(DATASETS))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--shared-data", type=Path, default=PROJECT_ROOT.parent / "shared" / "data")
    parser.add_argument("--max-users", type=int, default=200, help="users scored per split and seed (a seeded sample)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE")
    parser.add_argument("--chart", type=Path, help="write the test curve here (.svg or .png)")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--grid", choices=list(GRIDS), default="blend",
                        help="the candidates measured beside the four rows (none: a training change, with --set)")
    parser.add_argument("--replot", type=Path, help="no measuring: the tables and chart of a run's --json")
    parser.add_argument("--served-row", default=SHIPPED, help="the row drawn and divided as the served picks")
    args = parser.parse_args()
    if args.replot:
        results = from_json(args.replot)
        report(results, args.served_row)
        if args.chart:
            chart(results, args.chart, args.served_row)
        return
    bench_logging(logging.ERROR)
    cfg = with_overrides(load_config(), args.overrides)
    started, results = time.perf_counter(), {}
    for name in args.only or list(DATASETS):
        with tempfile.TemporaryDirectory() as tmp:
            data_cfg = dataset(name, cfg, args.shared_data, Path(tmp))
            loaded = prepare.load_dataset(data_cfg)
            runs = [one_seed(data_cfg, loaded, seed, args, Path(tmp))
                    for seed in range(args.seeds)]
        results[DATASETS[name]] = averaged(runs)
        report({DATASETS[name]: results[DATASETS[name]]}, args.served_row)
    if args.chart:
        chart(results, args.chart, args.served_row)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    print(f"overrides: {' '.join(args.overrides) or 'none'}; total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
