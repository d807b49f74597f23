"""The `anime-recommender` command: sample data, data preparation, training and the `make run` bootstrap."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from anime_recommender.config import ConfigError, SampleConfig, load_config
from anime_recommender.pipeline import command as train_command

log = logging.getLogger("anime_recommender")
# The one time estimate of the first `make run` (docs/operations.md, "The first make run", has the measurement).
DEMO_TRAINING_ESTIMATE = "about 80 s on 2 cores for the demo sample, measured"


def _generate_sample(args: argparse.Namespace) -> int:
    """Write the embedded default dataset (all five Kaggle files) to --out."""
    from anime_recommender.data.sample import generate_sample

    generate_sample(Path(args.out), users=args.users, anime=args.anime, seed=args.seed, list_rows=args.list_rows)
    print(f"wrote a generated dataset ({args.users} users x {args.anime} anime, seed {args.seed}) to {args.out}")
    return 0


def _prepare_data(args: argparse.Namespace) -> int:
    """Make sure the configured data dir holds data, generating the sample if allowed."""
    from anime_recommender.data.prepare import ensure_data

    cfg = load_config(args.config)
    print(f"data ready in {ensure_data(cfg)}")
    return 0


def _ensure_model(args: argparse.Namespace) -> int:
    """`make run`'s first step: data if missing, then a trained model if none is current."""
    from anime_recommender.artifacts import ArtifactsNotFound, resolve_run_dir
    from anime_recommender.data.prepare import ensure_data
    from anime_recommender.data.sample import SAMPLE_MARKER

    cfg = load_config(args.config)
    try:
        run_dir = resolve_run_dir(cfg.paths.artifacts_dir)
        print(f"model found: {run_dir} (delete {cfg.paths.artifacts_dir}/current or run `make train` to retrain)")
        return 0
    except ArtifactsNotFound:
        pass
    data_dir = ensure_data(cfg)
    estimate = f" ({DEMO_TRAINING_ESTIMATE})" if (data_dir / SAMPLE_MARKER).is_file() else ""
    print(f"no trained model in {cfg.paths.artifacts_dir}: training on {data_dir}{estimate}")
    argv = ["--data-dir", str(data_dir), "--artifacts-dir", str(cfg.paths.artifacts_dir)]
    if args.config:
        argv += ["--config", str(args.config)]
    train_args = train_command.add_arguments(argparse.ArgumentParser()).parse_args(argv)
    return train_command.finish(train_command.run(train_args))


def _train(args: argparse.Namespace) -> int:
    """Train, evaluate and publish (the same function as pipeline/training_pipeline.py)."""
    return train_command.finish(train_command.run(args))


def build_parser() -> argparse.ArgumentParser:
    """All sub-commands and their flags."""
    parser = argparse.ArgumentParser(prog="anime-recommender", description=__doc__)
    parser.add_argument("--config", help="config file (default: config/config.yaml or $APP_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True)

    sample = sub.add_parser("generate-sample", help="write a generated dataset in the Kaggle schema")
    sample.add_argument("--out", required=True, help="output directory")
    sample.add_argument("--users", type=int, default=SampleConfig.users, help="default: sample.users")
    sample.add_argument("--anime", type=int, default=SampleConfig.anime, help="default: sample.anime")
    sample.add_argument("--seed", type=int, default=SampleConfig.seed, help="default: sample.seed")
    sample.add_argument("--list-rows", type=int,
                        help="about this many animelist.csv rows in all (default: 20 + anime/15 per user, at most "
                             "30%% of the anime); rating_complete.csv gets ~57%% of them (310,000 users and "
                             "100,000,000 rows give the full dataset's ~57M ratings)")
    sample.set_defaults(func=_generate_sample)

    train = sub.add_parser("train", help="train, evaluate and publish a model (exit codes: README, Training)",
                           description=train_command.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    train_command.add_arguments(train).set_defaults(func=_train)

    sub.add_parser("prepare-data", help="generate the sample into the data dir if it has no data").set_defaults(
        func=_prepare_data
    )
    sub.add_parser("ensure-model", help="train on the configured data if no model is current").set_defaults(
        func=_ensure_model
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; config and data errors become one clear line and exit code 2."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
