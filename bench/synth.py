"""A full-size published run made of random factors and a realistic seen CSR (no training needed)."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from anime_recommender.artifacts import RunWriter, list_runs
from anime_recommender.data.franchise import build_franchises
from anime_recommender.data.schema import CATALOG_COLUMNS

log = logging.getLogger("bench.synth")
REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "anime-2020"


def catalog(n_anime: int) -> pd.DataFrame:
    """The real catalog when ../shared/data/anime-2020 is there, else a generated one."""
    if (REAL_DATA / "anime.csv").is_file():
        from anime_recommender.data.ingest import load_catalog
        from anime_recommender.data.report import DataReport

        return load_catalog(REAL_DATA, DataReport())
    rng = np.random.default_rng(1)
    genres = np.array(["Action", "Comedy", "Drama", "Romance", "Sci-Fi", "Fantasy", "Slice of Life"])
    frame = pd.DataFrame({
        "anime_id": np.arange(1, n_anime + 1), "name": [f"Anime {i}" for i in range(n_anime)],
        "genres": [", ".join(rng.choice(genres, 2, replace=False)) for _ in range(n_anime)],
        "type": rng.choice(["TV", "Movie", "OVA"], n_anime), "year": rng.integers(1970, 2021, n_anime),
        "score": rng.uniform(4, 9, n_anime).round(2), "members": rng.zipf(1.5, n_anime).clip(1, 10**7),
        "popularity": np.arange(1, n_anime + 1), "is_adult": rng.random(n_anime) < 0.05,
        "synopsis": [f"story {i} about {g}" for i, g in enumerate(rng.choice(genres, n_anime))],
    })
    frame["display_name"] = frame["name"]
    for column, dtype in CATALOG_COLUMNS.items():
        if column not in frame:
            frame[column] = None
        frame[column] = frame[column].astype(dtype)
    return frame[list(CATALOG_COLUMNS)]


def seen_csr(n_users: int, n_anime: int, per_user: int, rng: np.random.Generator, block: int = 20_000):
    """Popularity-skewed (Zipf-like) lists, lognormal lengths around `per_user`, deduplicated per user."""
    weights = 1.0 / np.arange(1, n_anime + 1) ** 0.8
    cdf = np.cumsum(weights[rng.permutation(n_anime)])
    cdf /= cdf[-1]
    sigma = 0.8
    indptr, indices, ratings = [np.zeros(1, np.int64)], [], []
    for start in range(0, n_users, block):
        n = min(block, n_users - start)
        lengths = np.clip(rng.lognormal(np.log(per_user) - sigma**2 / 2, sigma, n), 5, n_anime // 2).astype(np.int64)
        rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
        items = np.searchsorted(cdf, rng.random(len(rows))).astype(np.int64)
        keys = np.unique(rows * n_anime + items)
        counts = np.bincount(keys // n_anime, minlength=n)
        indices.append((keys % n_anime).astype(np.int32))
        ratings.append(np.where(rng.random(len(keys)) < 0.15, 0, rng.integers(1, 11, len(keys))).astype(np.int8))
        indptr.append(indptr[-1][-1] + np.cumsum(counts))
    return np.concatenate(indptr), np.concatenate(indices), np.concatenate(ratings)


def _existing(out: Path, params: dict) -> Path | None:
    for run_id in reversed(list_runs(out)):
        manifest = json.loads((out / "runs" / run_id / "manifest.json").read_text())
        if manifest.get("synth") == params:
            return out / "runs" / run_id
    return None


@dataclass(frozen=True)
class RunSize:
    """A synthetic run's size: users, anime, vector size, list entries per user."""

    users: int
    anime: int
    dim: int
    per_user: int


def synth_run(out: Path, size: RunSize, seed: int = 0) -> Path:
    """Publish (or reuse) a synthetic run of this size under `out`; return the run dir."""
    n_users, n_anime, dim, per_user = size.users, size.anime, size.dim, size.per_user
    cat = catalog(n_anime)
    params = {"users": n_users, "anime": len(cat), "dim": dim, "per_user": per_user, "seed": seed, "tower": True}
    if (found := _existing(out, params)) is not None:
        log.info("reusing %s", found)
        return found
    rng = np.random.default_rng(seed)
    n_anime = len(cat)
    with RunWriter(out) as writer:
        for name, rows in (("user", n_users), ("anime", n_anime)):
            factors = rng.normal(0, 0.3, (rows, dim)).astype(np.float32)
            writer.save_array(f"{name}_factors", factors)
            writer.save_array(f"{name}_embeddings", factors / np.linalg.norm(factors, axis=1, keepdims=True))
            del factors
        writer.save_array("anime_bias", rng.normal(0, 0.1, n_anime).astype(np.float32))
        writer.save_array("anime_context", rng.normal(0, 0.3, (n_anime, dim)).astype(np.float32))
        writer.save_json("user_tower", {"user_scale": 1 / 0.15})  # the user tower of a cosine model (T = 0.15)
        writer.save_array("user_ids", np.arange(n_users, dtype=np.int64) * 3 + 1)
        writer.save_array("anime_ids", cat["anime_id"].to_numpy(np.int64))
        indptr, indices, ratings = seen_csr(n_users, n_anime, per_user, rng)
        log.info("seen CSR: %d rows, %d non-zeros", n_users, len(indices))
        writer.save_array("seen_indptr", indptr)
        writer.save_array("seen_indices", indices)
        writer.save_array("seen_ratings", ratings)
        writer.save_array("anime_popularity", np.bincount(indices, minlength=n_anime).astype(np.float32))
        del indices, ratings
        writer.save_frame("catalog", cat)
        writer.save_frame("franchises", build_franchises(cat))
        return writer.publish({"synth": params, "note": "bench/synth.py: random factors, synthetic lists"})
