"""Full-size benchmark: a generated dataset in Kaggle's shape, then the whole training pipeline, timed per stage.

    python bench/full_scale.py                                   # 310k users x 17,562 anime, ~57M ratings
    python bench/full_scale.py --users 35000 --list-rows 38837133 --epochs 2   # a smaller look
    python bench/full_scale.py ... --doc docs/benchmarks.md       # also write the table into the doc
    python bench/full_scale.py --ease-only                        # EASE alone at 17,562 anime: time, peak RSS

1. The dataset is generated once with the project's generator (`anime-recommender generate-sample`, in a
   child process) and cached under bench/out/ (git-ignored; made again when data/sample.py changes); its
   shape (ratings, users, per-user median) is measured from rating_complete.csv.
2. The pipeline runs as a user runs it: `python pipeline/training_pipeline.py --data-dir ... --artifacts-dir
   ... --fresh [--epochs N]` in a child process, with `--set` config overrides written to a config file.
   Wall time and the child's peak RSS come from os.wait4; the per-stage figures from the pipeline's own
   `stage ...` log lines (anime_recommender.pipeline.stages: wall, CPU and the stage's own peak RSS) and the
   per-epoch lines (model/progress.py). `--timeout` stops a run that would not fit; what was measured up
   to then is still reported.
The machine's load average is sampled during the run: the table says whether the 2 cores were shared.
`--ease-only`: the evaluation's EASE fit (evaluation/baselines.ease_weights: float32 Gram, factorised and
inverted in place) for one λ on a random users x anime matrix with popularity-skewed columns, in a child
process timed the same way (the Gram is dense at this size whatever the data, so the cost is the catalogue's).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "src"))

from anime_recommender.model.progress import EPOCH_LINE  # noqa: E402
from anime_recommender.pipeline.stages import STAGE_LINE  # noqa: E402

BEGIN, END = "<!-- full-scale:begin -->", "<!-- full-scale:end -->"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src"), "TF_CPP_MIN_LOG_LEVEL": "2"}


def run_child(cmd: list[str], log: Path, timeout: float | None = None) -> dict:
    """Run a command with its output in `log`; wall seconds, the child's own peak RSS, exit status."""
    started = time.perf_counter()
    with open(log, "wb") as out:
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=_env(), cwd=ROOT)
        timer = threading.Timer(timeout, child.kill) if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage
        if timer:
            timer.cancel()
    return {"wall": time.perf_counter() - started, "peak_rss": usage.ru_maxrss * 1024,
            "status": os.waitstatus_to_exitcode(status), "cpu": usage.ru_utime + usage.ru_stime}


def generator_version() -> str:
    """A hash of the generator's source: a cached dataset made by another version of it is made again."""
    return hashlib.sha256((ROOT / "src" / "anime_recommender" / "data" / "sample.py").read_bytes()).hexdigest()[:12]


def dataset(users: int, anime: int, list_rows: int, seed: int, out: Path = OUT) -> tuple[Path, dict]:
    """The cached generated dataset and how its generation went (measured the first time)."""
    folder = out / f"full-{users}x{anime}-{list_rows}-{seed}"
    done = folder / "COMPLETE.json"
    version = generator_version()
    if not done.is_file() or json.loads(done.read_text(encoding="utf-8")).get("generator") != version:
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"generating {users:,} users x {anime:,} anime, ~{list_rows:,} list rows into {folder} ...", flush=True)
        result = run_child([sys.executable, "-m", "anime_recommender.cli", "generate-sample", "--out", str(folder),
                            "--users", str(users), "--anime", str(anime), "--seed", str(seed),
                            "--list-rows", str(list_rows)], folder.parent / f"{folder.name}.log")
        if result["status"] != 0:
            sys.exit(f"generation failed, see {folder.parent / f'{folder.name}.log'}")
        done.write_text(json.dumps({**result, **shape(folder), "generator": version}), encoding="utf-8")
    return folder, json.loads(done.read_text(encoding="utf-8"))


def shape(folder: Path) -> dict:
    """Ratings, users and per-user counts of rating_complete.csv, list rows of animelist.csv."""
    import numpy as np
    import pyarrow.csv as pacsv

    users = pacsv.read_csv(folder / "rating_complete.csv",
                           convert_options=pacsv.ConvertOptions(include_columns=["user_id"]))["user_id"]
    counts = np.bincount(users.to_numpy())
    counts = counts[counts > 0]
    with open(folder / "animelist.csv", "rb") as handle:
        list_rows = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b"")) - 1
    return {"ratings": int(counts.sum()), "users": len(counts), "median_per_user": float(np.median(counts)),
            "mean_per_user": float(counts.mean()), "p90_per_user": float(np.percentile(counts, 90)),
            "list_rows": list_rows}


class LoadSampler(threading.Thread):
    """The 1-minute load average every `every` seconds while the pipeline runs."""

    def __init__(self, every: float = 30.0):
        super().__init__(daemon=True)
        self.every, self.samples, self.stop = every, [], threading.Event()

    def run(self):
        while not self.stop.wait(self.every):
            self.samples.append(os.getloadavg()[0])


def pipeline(data_dir: Path, artifacts_dir: Path, args: argparse.Namespace, log: Path) -> dict:
    """The training command on the dataset (with the flags' --epochs, --override and --timeout), timed; its
    stage and epoch lines parsed from the log."""
    epochs, overrides, timeout = args.epochs, args.overrides, args.timeout
    cmd = [sys.executable, "pipeline/training_pipeline.py", "--data-dir", str(data_dir), "--artifacts-dir",
           str(artifacts_dir), "--fresh"]
    if epochs:
        cmd += ["--epochs", str(epochs)]
    if overrides:
        cmd += ["--config", str(config_with(overrides, log.with_suffix(".yaml")))]
    sampler = LoadSampler()
    sampler.start()
    result = run_child(cmd, log, timeout)
    sampler.stop.set()
    text = log.read_text(encoding="utf-8", errors="replace")
    result["stages"] = [m.groupdict() for m in STAGE_LINE.finditer(text)]
    result["epochs"] = [m.groupdict() for m in EPOCH_LINE.finditer(text)]
    summary = text[text.find("data: "):] if "data: " in text else ""
    result["summary"] = "\n".join(line for line in summary.splitlines() if not line.startswith("run: "))
    result["load"] = sampler.samples or [os.getloadavg()[0]]
    return result


def config_with(overrides: list[str], path: Path) -> Path:
    """The shipped config with `section.key=value` overrides (checked as the pipeline will), written to `path`."""
    import yaml
    from quality import with_overrides

    from anime_recommender.config import load_config
    from anime_recommender.pipeline.run import config_dict

    path.write_text(yaml.safe_dump(config_dict(with_overrides(load_config(env={}), overrides))), encoding="utf-8")
    return path


def markdown(args, data: dict, run: dict) -> str:
    """The doc's table: dataset, per-stage wall/CPU/peak RSS, epochs, end to end, the machine's load."""
    gib = 2**30
    load = run["load"]
    finished = run["status"] in (0, 1)  # 1: published, quality gate failed (the summary says so)
    lines = [f"Command: `python bench/full_scale.py {' '.join(sys.argv[1:])}`", "",
             f"Dataset (generated, seed {args.seed}): {data['users']:,} users, {args.anime:,} anime, "
             f"{data['ratings']:,} ratings in rating_complete.csv ({data['list_rows']:,} animelist.csv rows); "
             f"ratings per user median {data['median_per_user']:.0f}, mean {data['mean_per_user']:.0f}, "
             f"90th percentile {data['p90_per_user']:.0f}. Generation: {data['wall'] / 60:.1f} min, peak RSS "
             f"{data['peak_rss'] / gib:.2f} GiB (not part of the pipeline).", "",
             f"Machine: {os.cpu_count()} CPU cores; load average during the run {min(load):.1f}–{max(load):.1f} "
             f"(mean {sum(load) / len(load):.1f}): " + ("**shared with other jobs**" if max(load) > 2.5 else
                                                      "not shared") + ".", "",
             "| stage | wall (min) | CPU (min) | peak RSS (GiB) |", "|---|---|---|---|"]
    for stage in run["stages"]:
        own = "" if stage["kind"] == "peak RSS" else " (process peak)"
        lines.append(f"| {stage['name']} | {float(stage['wall']) / 60:.1f} | {float(stage['cpu']) / 60:.1f} | "
                     f"{float(stage['rss']):.2f}{own} |")
    # the stages reset the kernel's high-water mark, so the process peak is the largest of theirs and ru_maxrss
    peak = max([run["peak_rss"] / gib] + [float(stage["rss"]) for stage in run["stages"]])
    lines.append(f"| **end to end** (command start to exit{'' if finished else ', NOT FINISHED'}) | "
                 f"**{run['wall'] / 60:.1f}** | {run['cpu'] / 60:.1f} | **{peak:.2f}** |")
    if run["epochs"]:
        lines += ["", "| epoch | trained in (s) | train positives / s | scored pairs / s |", "|---|---|---|---|"]
        lines += [f"| {e['epoch']} | {float(e['seconds']):.1f} | {e['positives']} | {e['pairs']} |"
                  for e in run["epochs"]]
    if run["summary"]:
        lines += ["", "The pipeline's own summary:", "", "```", run["summary"].strip(), "```"]
    if not finished:
        lines += ["", f"The run did not finish (exit status {run['status']}); the rows above are what was "
                      "measured before it stopped."]
    return "\n".join(lines)


def ease_child(anime: int, users: int, per_user: int, seed: int) -> None:
    """In the child: a random binary matrix (columns drawn ∝ 1/rank), then one EASE fit, timed."""
    import numpy as np
    import scipy.sparse as sp

    from anime_recommender.evaluation.baselines import ease_weights

    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, anime + 1)
    columns = rng.choice(anime, size=users * per_user, p=weights / weights.sum())
    rows = np.repeat(np.arange(users), per_user)
    x = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, columns)), shape=(users, anime))
    x.sum_duplicates()
    started = time.perf_counter()
    b = ease_weights(x, 250.0)
    print(json.dumps({"seconds": time.perf_counter() - started, "nnz": int(x.nnz), "dtype": str(b.dtype)}))


def ease_only(args) -> str:
    """EASE at the catalogue's size in a child process: fit wall time and the child's peak RSS."""
    log = args.out / f"ease-{args.anime}.log"
    run = run_child([sys.executable, __file__, "--ease-child", "--anime", str(args.anime), "--ease-users",
                     str(args.ease_users), "--seed", str(args.seed)], log, args.timeout)
    if run["status"] != 0:
        sys.exit(f"EASE child failed, see {log}")
    fit = json.loads(log.read_text(encoding="utf-8").strip().splitlines()[-1])
    return (f"EASE at {args.anime:,} anime (`python bench/full_scale.py {' '.join(sys.argv[1:])}`): random "
            f"{args.ease_users:,} users x {args.anime:,} anime, {fit['nnz']:,} interactions; one λ: fit "
            f"{fit['seconds']:.0f} s ({fit['dtype']}), child wall {run['wall']:.0f} s, CPU {run['cpu']:.0f} s, "
            f"peak RSS {run['peak_rss'] / 2**30:.2f} GiB; {os.cpu_count()} cores, load average "
            f"{os.getloadavg()[0]:.1f} at the end.")


def write_doc(doc: Path, text: str) -> None:
    """Put the table between the full-scale markers of the doc (the rest of the doc is left as it is)."""
    content = doc.read_text(encoding="utf-8")
    start, end = content.index(BEGIN) + len(BEGIN), content.index(END)
    doc.write_text(content[:start] + "\n" + text + "\n" + content[end:], encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=310_000)
    parser.add_argument("--anime", type=int, default=17_562)
    parser.add_argument("--list-rows", type=int, default=100_000_000, help="animelist.csv rows (~57%% become ratings)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--epochs", type=int, help="training.epochs for this run (default: the config's)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE")
    parser.add_argument("--timeout", type=float, default=2.5 * 3600, help="seconds before the run is stopped")
    parser.add_argument("--doc", type=Path, help="write the table between the full-scale markers of this file")
    parser.add_argument("--out", type=Path, default=OUT, help="where the dataset is cached and the logs go")
    parser.add_argument("--ease-only", action="store_true", help="time EASE alone at --anime (no pipeline)")
    parser.add_argument("--ease-users", type=int, default=50_000, help="--ease-only: users of the random matrix")
    parser.add_argument("--ease-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ease_child:
        return ease_child(args.anime, args.ease_users, 100, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.ease_only:
        return print(ease_only(args))
    folder, gen = dataset(args.users, args.anime, args.list_rows, args.seed, args.out)
    with tempfile.TemporaryDirectory(dir=args.out) as tmp:
        log = args.out / f"{folder.name}-pipeline.log"
        run = pipeline(folder, Path(tmp) / "artifacts", args, log)
    text = markdown(args, gen, run)
    print(text)
    if args.doc:
        write_doc(args.doc, text)


if __name__ == "__main__":
    main()
