"""The training load stage with the seen-set union as shipped beside the obvious one (stack, then np.unique).

    python bench/seen_union.py --data-dir bench/out/full-310000x17562-100000000-7

Each variant runs `prepare.load_dataset` (catalogue, both interaction files, the union of every list row)
in its own child process, one after the other, so neither sees the other's memory; the figures are the
child's wall time and peak RSS (os.wait4), and the ratio to the baseline. Both must give the same rows.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def stacked_unique(frames: list[pd.DataFrame | None]) -> pd.DataFrame:
    """The baseline: every source stacked, then the first row of each pair by np.unique over all of them."""
    from anime_recommender.data import schema

    frames = [f for f in frames if f is not None]
    if len(frames) == 1:
        return frames[0]
    stacked = pd.concat(frames, ignore_index=True)
    keys = (stacked["user_id"].to_numpy(np.int64) << 32) | stacked["anime_id"].to_numpy(np.int64)
    _, first = np.unique(keys, return_index=True)
    return stacked.iloc[np.sort(first)].reset_index(drop=True).astype(schema.INTERACTION_COLUMNS)


def child(data_dir: Path, variant: str) -> None:
    """Load the dataset with one union; print rows, a digest of the seen pairs and the wall time."""
    from anime_recommender.config import load_config
    from anime_recommender.data import prepare

    if variant == "stacked-unique":
        prepare.union_lists = stacked_unique
    cfg = load_config()
    cfg = cfg.replace("paths", data_dir=data_dir)
    started = time.perf_counter()
    _catalog, _interactions, seen, _report = prepare.load_dataset(cfg)
    seconds = time.perf_counter() - started
    digest = hashlib.sha256(seen[["user_id", "anime_id", "rating", "status"]].to_numpy().tobytes()).hexdigest()
    print(json.dumps({"rows": len(seen), "digest": digest[:16], "seconds": seconds}))


def run(data_dir: Path, variant: str) -> dict:
    """One variant in a child process: its own output plus its peak RSS."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen([sys.executable, __file__, "--data-dir", str(data_dir), "--child", variant],
                            stdout=subprocess.PIPE, env=env, cwd=ROOT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{variant} failed")
    return {**json.loads(out.decode().strip().splitlines()[-1]), "peak_gib": usage.ru_maxrss * 1024 / 2**30}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.data_dir, args.child)
        return
    base, ours = run(args.data_dir, "stacked-unique"), run(args.data_dir, "shipped")
    if (base["rows"], base["digest"]) != (ours["rows"], ours["digest"]):
        sys.exit(f"the two unions differ: {base} vs {ours}")
    print(f"load_dataset on {args.data_dir.name}: {ours['rows']:,} seen rows (identical in both)\n")
    print("| union | wall (s) | peak RSS (GiB) | vs stack + np.unique |\n|---|---|---|---|")
    for name, row in (("stack + np.unique (the obvious one)", base), ("new pairs per source (shipped)", ours)):
        print(f"| {name} | {row['seconds']:.1f} | {row['peak_gib']:.2f} | {row['seconds'] / base['seconds']:.2f}x "
              f"time, {row['peak_gib'] / base['peak_gib']:.2f}x memory |")


if __name__ == "__main__":
    main()
