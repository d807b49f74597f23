"""Train, evaluate and publish a model: thin argparse over anime_recommender.pipeline.command.

Same flags and exit codes as `anime-recommender train` (see that module and the README's Training section).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv: list[str] | None = None) -> int:
    from anime_recommender.pipeline import command as train_command

    parser = argparse.ArgumentParser(description=train_command.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    args = train_command.add_arguments(parser).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return train_command.run(args)


if __name__ == "__main__":
    from anime_recommender.pipeline.command import finish

    sys.exit(finish(main()))
