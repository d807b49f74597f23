"""Recommended anime that are already on the user's lists (either Kaggle file, any status): the answer must be 0.

    python bench/seen_hits.py --data-dir ../shared/data/anime-2020/kaggle-layout --artifacts-dir /tmp/art

Reads rating_complete.csv and animelist.csv as they are on disk, asks the served engine for every user's
top-k (the website's defaults: hybrid, adult titles hidden) and counts, per user, the results that are on
either of their lists. Also counts how each user was served: by the model, from their list by the model
(users training left out), or not at all (a 404).
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pandas as pd

from anime_recommender import Recommender
from anime_recommender.data import schema


def user_lists(data_dir: Path) -> pd.Series:
    """user_id -> set of anime ids on any of their lists (both interaction files, every status)."""
    frames = [pd.read_csv(data_dir / name, usecols=["user_id", "anime_id"])
              for name in (schema.RATING_COMPLETE_FILE, schema.ANIMELIST_FILE) if (data_dir / name).is_file()]
    return pd.concat(frames).groupby("user_id")["anime_id"].agg(set)


def count_hits(rec: Recommender, lists: pd.Series, k: int) -> dict[str, int]:
    """Users, results on their lists, users with any such result, and how each user was served."""
    out = {"users": len(lists), "results": 0, "hits": 0, "users_with_hits": 0, "by_model": 0, "by_list": 0,
           "not_served": 0}
    for user_id, listed in lists.items():
        if not rec.knows_user(int(user_id)):
            out["not_served"] += 1
            continue
        out["by_model" if rec.m.user_row(int(user_id)) is not None else "by_list"] += 1
        got = {r.anime.anime_id for r in rec.recommend(int(user_id), n=k).results}
        out["results"] += len(got)
        out["hits"] += len(got & listed)
        out["users_with_hits"] += bool(got & listed)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--artifacts-dir", type=Path, required=True)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    counts = count_hits(Recommender.load(args.artifacts_dir), user_lists(args.data_dir), args.k)
    print("| " + " | ".join(counts) + " |\n|" + "---|" * len(counts))
    print("| " + " | ".join(str(v) for v in counts.values()) + " |")


if __name__ == "__main__":
    main()
