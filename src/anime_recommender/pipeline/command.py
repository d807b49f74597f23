"""`anime-recommender train` (and pipeline/training_pipeline.py): flags, run_training, one exit code per outcome.

Exit status: 0 published as current; 1 quality gate failed (run kept under runs/, not current);
2 data or config error, shrunk data included (one line on stderr); 3 unexpected runtime error such as a
full disk or an unwritable artifacts dir (one line on stderr, the traceback in the log above it);
4 another training holds the artifacts dir's lock (one line naming the holder).
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import sys
import tempfile
from pathlib import Path

PUBLISHED, GATE_FAILED, DATA_ERROR, RUNTIME_ERROR, LOCKED = 0, 1, 2, 3, 4
NATIVE_LOG_PREFIX = re.compile(r"^[IWEF]\d{4} [\d:.]+\s+\d+ ")  # absl's "I0000 00:00:1796.. 31205 " (time, thread)
log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The training flags (shared by the sub-command and the pipeline script)."""
    parser.add_argument("--config", default=argparse.SUPPRESS,
                        help="config file (default: config/config.yaml or $APP_CONFIG)")
    parser.add_argument("--data-dir", type=Path, help="Kaggle/MovieLens files (default: paths.data_dir)")
    parser.add_argument("--artifacts-dir", type=Path, help="where runs are published (default: paths.artifacts_dir)")
    parser.add_argument("--min-user-ratings", type=int, help="processing.min_user_ratings")
    parser.add_argument("--holdout-fraction", type=float,
                        help="processing.holdout_fraction; 0 = train on everything, no test metrics, no gate")
    parser.add_argument("--epochs", type=int, help="training.epochs")
    parser.add_argument("--preset", choices=["ranking", "reference"], help="model.preset")
    parser.add_argument("--fresh", action="store_true", help="ignore checkpoints of an interrupted run")
    parser.add_argument("--allow-shrink", action="store_true",
                        help="publish even when the data shrank more than data.max_shrink vs the current run")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch progress bars")
    return parser


def configure(args: argparse.Namespace):
    """The loaded config with the command-line overrides applied (validated again)."""
    from anime_recommender.config import config_from_dict, load_config
    from anime_recommender.pipeline.run import config_dict

    cfg = load_config(getattr(args, "config", None))
    raw = config_dict(cfg)
    overrides = {("paths", "data_dir"): args.data_dir, ("paths", "artifacts_dir"): args.artifacts_dir,
                 ("processing", "min_user_ratings"): args.min_user_ratings,
                 ("processing", "holdout_fraction"): args.holdout_fraction,
                 ("training", "epochs"): args.epochs, ("model", "preset"): args.preset}
    for (section, key), value in overrides.items():
        if value is not None:
            raw[section][key] = str(Path(value).resolve()) if isinstance(value, Path) else value
    if args.data_dir is not None:
        raw["data"]["generate_if_missing"] = False  # a mistyped --data-dir is an error, not a new sample
    return config_from_dict(raw, env={})


def summary(result) -> str:
    """Data counts, the metrics table (markdown) and where the run went."""
    counts = result.counts
    lines = [(f"data: {counts.get('users', 0)} users, {counts.get('anime', 0)} anime, "
              f"train/valid/test rows {counts.get('train_rows', 0)}/{counts.get('valid_rows', 0)}/"
              f"{counts.get('test_rows', 0)}")]
    from anime_recommender.evaluation.compare import scored, skipped

    table = scored(result.metrics)
    if table:
        columns = [c for c in next(iter(table.values())) if c != "users"]
        lines += ["", "| model | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
        formats = {c: cell_format(c, [row[c] for row in table.values()]) for c in columns}
        lines += [f"| {name} | " + " | ".join(format(row[c], formats[c]) for c in columns) + " |"
                  for name, row in table.items()]
        lines += [f"| {name} | {why} |" + " |" * (len(columns) - 1) for name, why in skipped(result.metrics).items()]
    gate = result.metrics["gate"]
    lines.append("")
    lines.append("gate: skipped (no test split)" if gate.get("skipped") else
                 f"gate: {'PASSED' if gate['passed'] else 'FAILED'} ({gate_checks(gate)})")
    lines += franchise_lines(result.franchises)
    lines.append(f"run: {result.run_dir}" + (" (current)" if result.made_current else " (NOT current)"))
    return "\n".join(lines)


def cell_format(column: str, values: list[float]) -> str:
    """Seconds to 0.1 s, counts (whole numbers above 1) as integers, rates to 4 decimals."""
    if column.endswith("seconds"):
        return ".1f"
    if all(float(v).is_integer() for v in values) and any(v > 1 for v in values):
        return ".0f"
    return ".4f"


def gate_checks(gate: dict) -> str:
    """Each protocol's comparison in words: 'warm ncf 0.4700 vs ease 0.4650 - 0.0000 margin, ...'."""
    return "; ".join(f"{c['protocol']}: {gate['metric']} {c['model']:.4f} vs {c['baseline']} "
                     f"{c['baseline_value']:.4f} - margin {gate['margin']:g}" for c in gate["checks"])


def franchise_lines(report: dict, shown: int = 5) -> list[str]:
    """The franchise grouping in two lines: counts, and the largest groups (all in franchise_report.json)."""
    if not report:
        return []
    largest = ", ".join(f"{g['first_titles'][0]} ({g['size']})" for g in report["largest"][:shown])
    return [f"franchises: {report['franchises']} groups, {report['with_several_titles']} with several titles; "
            f"largest: {largest} (all in franchise_report.json)"]


def run(args: argparse.Namespace) -> int:
    """Train with the parsed flags; every outcome becomes its exit code, failures one line on stderr."""
    from anime_recommender.artifacts import LockHeld
    from anime_recommender.config import ConfigError
    from anime_recommender.data.report import DataError

    with native_stderr_deduplicated():  # TensorFlow's two native libraries each print the same start-up lines
        import tensorflow  # noqa: F401
    try:
        cfg = configure(args)
        from anime_recommender.pipeline.run import run_training

        result = run_training(cfg, resume=not args.fresh, verbose=0 if args.quiet else 1,
                              allow_shrink=args.allow_shrink)
    except (ConfigError, DataError) as exc:
        return _fail(DATA_ERROR, f"error: {exc}")
    except LockHeld as exc:
        return _fail(LOCKED, f"error: {exc}")
    except Exception as exc:  # the contract: the unexpected gets its own exit code and one line
        log.exception("training failed")
        return _fail(RUNTIME_ERROR, f"error: training failed: {type(exc).__name__}: {exc} (traceback above)")
    print(summary(result))
    return PUBLISHED if result.gate_passed else GATE_FAILED


@contextlib.contextmanager
def native_stderr_deduplicated():
    """Whatever is written to file descriptor 2 inside the block (native code included), each line once."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode("utf-8", "replace").splitlines()
            seen = set()
            for line in lines:
                message = NATIVE_LOG_PREFIX.sub("", line)  # the same line again differs only in time and thread
                if message not in seen:
                    seen.add(message)
                    print(line, file=sys.stderr)


def _fail(code: int, line: str) -> int:
    print(" ".join(line.split()), file=sys.stderr)  # one line, even for multi-line library messages
    return code


def finish(code: int) -> int:
    """The exit code for a command line; after a runtime error the process ends here, skipping teardown.

    After a failed write (full disk) h5py's half-closed checkpoint file segfaults at interpreter exit
    (exit 139 instead of 3), and comet's exit hook would re-archive the failed run into the artifacts dir.
    """
    if code == RUNTIME_ERROR:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
