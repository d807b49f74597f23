"""Benchmark: our streaming animelist.csv ingestion vs a plain pandas.read_csv, side by side.

    python bench/ingest.py                 # full size: ~109M rows (~2 GB), generated once, cached
    python bench/ingest.py --rows 5000000  # a quick look

The file is generated with the project's sample generator (cached under bench/out/, git-ignored).
Each reader runs in its own subprocess; wall time and that child's peak RSS (os.wait4) are measured.
The plain read_csv runs under an address-space cap (--pandas-cap-gb) so it cannot take the machine
down; if it hits the cap, the table says so.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
ROWS_PER_USER = 109_000_000 / 350_000  # the real animelist.csv: ~109M rows over ~350k users


def dataset(rows: int, anime: int) -> Path:
    """The cached generated dataset for `rows` animelist rows (generated on first use, in a child
    process so that this process stays small: a child's peak RSS starts from its parent's)."""
    folder = OUT / f"animelist-{rows}"
    if not (folder / "COMPLETE").is_file():
        users = max(round(rows / ROWS_PER_USER), 10)
        print(f"generating ~{rows:,} rows ({users:,} users x {anime:,} anime) into {folder} ...", flush=True)
        code = ("import sys; from anime_recommender.data.sample import generate_sample; "
                "generate_sample(sys.argv[1], users=int(sys.argv[2]), anime=int(sys.argv[3]), seed=7, "
                "list_rows=int(sys.argv[4]))")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, str(folder), str(users), str(anime), str(rows)],
                       check=True, env=_env())
        (folder / "COMPLETE").write_text(f"generated in {time.perf_counter() - started:.1f} s\n")
    return folder


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def worker(method: str, folder: Path, chunk_rows: int, cap_gb: float) -> None:
    """Child process: load animelist.csv one way, print rows and seconds as JSON."""
    if cap_gb:
        cap = int(cap_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    started = time.perf_counter()
    if method == "ours":
        from anime_recommender.config import DataConfig
        from anime_recommender.data.ingest import load_catalog, load_interactions
        from anime_recommender.data.report import DataReport

        report = DataReport()
        ids = load_catalog(folder, report)["anime_id"].to_numpy()
        frame = load_interactions(folder, DataConfig(source="animelist", chunk_rows=chunk_rows), report,
                                  catalog_ids=ids, all_statuses=True)
    else:
        import pandas as pd

        frame = pd.read_csv(folder / "animelist.csv")
    print(json.dumps({"rows": len(frame), "seconds": time.perf_counter() - started,
                      "frame_bytes": int(frame.memory_usage(deep=True).sum())}))


def measure(method: str, folder: Path, chunk_rows: int, cap_gb: float | None) -> dict:
    """Run one reader in a subprocess; wall time and the child's own peak RSS."""
    cmd = [sys.executable, __file__, "--worker", method, "--folder", str(folder), "--chunk-rows", str(chunk_rows),
           "--cap-gb", str(cap_gb or 0)]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(cmd, stdout=out, stderr=err, env=_env())
        _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage, not all children's
        wall = time.perf_counter() - started
        out.seek(0), err.seek(0)
        out, err = out.read(), err.read()
    returncode = os.waitstatus_to_exitcode(status)
    peak = usage.ru_maxrss  # KiB on Linux
    result = {"method": method, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_gib": peak / 2**20,
              "ok": returncode == 0}
    if returncode == 0:
        result.update(json.loads(out.decode().strip().splitlines()[-1]))
    else:
        result["error"] = (err.decode().strip().splitlines() or ["?"])[-1][:120]
    return result


def table(results: list[dict], file_bytes: int) -> str:
    """Markdown table with ratios against the plain pandas read."""
    base = next((r for r in results if r["method"] == "pandas" and r["ok"]), None)
    header = ("| reader | rows | wall (s) | CPU user+sys (s) | MB/s | peak RSS (GiB) | time vs pandas "
              "| memory vs pandas |")
    lines = [header, "|---|---|---|---|---|---|---|---|"]
    names = {"ours": "`load_interactions` (pyarrow streaming, validated, int32/int8)",
             "pandas": "plain `pandas.read_csv` (int64)"}
    for r in results:
        if not r["ok"]:
            lines.append(f"| {names[r['method']]} | failed: {r['error']} | {r['wall']:.1f} | {r['cpu']:.1f} | | "
                         f"{r['peak_gib']:.2f} | | |")
            continue
        ratio_t = f"{r['wall'] / base['wall']:.2f}x" if base else "n/a"
        ratio_m = f"{r['peak_gib'] / base['peak_gib']:.2f}x" if base else "n/a"
        lines.append(f"| {names[r['method']]} | {r['rows']:,} | {r['wall']:.1f} | {r['cpu']:.1f} | "
                     f"{file_bytes / 1e6 / r['wall']:.0f} | {r['peak_gib']:.2f} | {ratio_t} | {ratio_m} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=109_000_000, help="animelist rows to generate")
    parser.add_argument("--anime", type=int, default=17_562)
    parser.add_argument("--chunk-rows", type=int, default=4_000_000)
    parser.add_argument("--pandas-cap-gb", type=float, default=16.0, help="address-space cap for read_csv")
    parser.add_argument("--cap-gb", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=["ours", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.folder, args.chunk_rows, args.cap_gb)
    folder = dataset(args.rows, args.anime)
    file_bytes = (folder / "animelist.csv").stat().st_size
    print(f"file: {folder / 'animelist.csv'} ({file_bytes / 1e9:.2f} GB); cpus={os.cpu_count()}, "
          f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    results = [measure("ours", folder, args.chunk_rows, None)]
    results.append(measure("pandas", folder, args.chunk_rows, args.pandas_cap_gb))
    print(table(results, file_bytes))
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
