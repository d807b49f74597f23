"""A tiny published run with a known answer: even users love even anime, odd users odd anime."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from anime_recommender.artifacts import RunWriter
from anime_recommender.data.franchise import FRANCHISE_COLUMNS, entry_roles
from anime_recommender.data.schema import CATALOG_COLUMNS

N_ANIME, N_USERS = 40, 20
ANIME_ID0, USER_ID0 = 100, 10
ADULT_ROW = 38                 # an even anime flagged adult: hidden unless asked
FEW_HISTORY_USER = USER_ID0 + 19   # one anime on the list: popular fallback
UNSEEN_BY_MODEL = (900, 901, 902)  # in the catalog, never seen by the model
# users in the data that training left out (too few ratings): (anime_id, rating, status) rows, served from their lists
LISTED_USERS = {
    5: [(101, 9, 2), (103, 8, 2), (105, 0, 6), (107, 0, 4)],   # likes odd anime, plans one, dropped one
    7: [(100, 0, 6)],                                            # only a plan-to-watch: nothing reads as a like
}
NAMES = {
    4: ("Pokémon Adventure", None, "ポケモン"),
    6: ("Shingeki no Kyojin", "Attack on Titan", "進撃の巨人"),
    8: ("Kimetsu no Yaiba", "Demon Slayer", "鬼滅の刃"),
    3: ("Toradora!", None, "とらドラ！"),
}


def anime_id(row: int) -> int:
    return ANIME_ID0 + row


def user_id(row: int) -> int:
    return USER_ID0 + row


def _angles(n: int, step: float) -> np.ndarray:
    """Even rows near 0 rad, odd rows near pi/2, spread a little by row."""
    rows = np.arange(n)
    return (rows % 2) * np.pi / 2 + step * rows


def seen_lists() -> list[tuple[list[int], list[int]]]:
    """Per user: five anime of their parity (a window shifted by user) rated 10..6, one other rated 2."""
    lists = []
    for u in range(N_USERS):
        if user_id(u) == FEW_HISTORY_USER:
            lists.append(([u % 2], [7]))
            continue
        own = [u % 2 + 2 * ((u // 2 + i) % 20) for i in range(5)]
        lists.append((own + [1 - u % 2], [10, 9, 8, 7, 6, 2]))
    return lists


def _typed(rows: list[dict]) -> pd.DataFrame:
    """CATALOG_COLUMNS with their dtypes (absent columns as missing values)."""
    frame = pd.DataFrame(rows)
    for column, dtype in CATALOG_COLUMNS.items():
        if column not in frame:
            frame[column] = None
        frame[column] = frame[column].astype(dtype)
    return frame[list(CATALOG_COLUMNS)]


def catalog_frame() -> pd.DataFrame:
    """CATALOG_COLUMNS for the model's anime plus three it never saw."""
    rows = []
    for r in range(N_ANIME):
        name, english, japanese = NAMES.get(r, (f"Series {r:02d}", f"Series {r:02d} English", None))
        even = r % 2 == 0
        rows.append({
            "anime_id": anime_id(r), "name": name, "english_name": english, "japanese_name": japanese,
            "display_name": english or name, "genres": "Action, Shounen" if even else "Drama, Romance",
            "type": "TV" if r < 20 else "Movie", "episodes": 12, "year": 1990 + r, "premiered": None,
            "studios": "Studio", "source": "Manga", "mal_rating": "PG-13 - Teens 13 or older",
            "score": 5.0 + r / 10, "members": 1000 * (r + 1),
            "popularity": N_ANIME - r, "is_adult": r == ADULT_ROW,
            "synopsis": f"A {'battle' if even else 'love'} story number {r}.",
        })
    rows += [
        {"anime_id": 900, "name": "Kimi no Na wa.", "english_name": "Your Name.", "japanese_name": "君の名は。",
             "display_name": "Your Name.", "genres": "Drama, Romance", "type": "Movie", "episodes": 1, "year": 2016,
             "score": 8.9, "members": 500, "popularity": 1, "is_adult": False,
             "synopsis": "Two teenagers swap bodies across time while a comet approaches their town."},
        {"anime_id": 901, "name": "Comet Swap", "english_name": None, "japanese_name": None,
             "display_name": "Comet Swap", "genres": "Drama, Romance", "type": "Movie", "episodes": 1, "year": 2018,
             "score": 7.0, "members": 10, "popularity": 2, "is_adult": False,
             "synopsis": "A comet falls and two strangers swap bodies; time runs out for their town."},
        {"anime_id": 902, "name": "Gardening Club", "english_name": None, "japanese_name": None,
             "display_name": "Gardening Club", "genres": "Slice of Life", "type": "TV", "episodes": 12, "year": 2020,
             "score": 6.0, "members": 5, "popularity": 3, "is_adult": False,
             "synopsis": "High school students grow tomatoes in a rooftop garden."},
    ]
    return _typed(rows)


def singleton_franchises(catalog: pd.DataFrame) -> pd.DataFrame:
    """franchises.parquet where every anime is a franchise of its own ('Series 01', 'Series 02', ... are
    declared unrelated: the grouping would rightly join such titles)."""
    ids = catalog["anime_id"].to_numpy()
    return pd.DataFrame({"anime_id": ids, "franchise_id": ids, "franchise_order": 0,
                         "franchise_role": entry_roles(catalog)}).astype(FRANCHISE_COLUMNS)


def _arrays() -> dict[str, np.ndarray]:
    a_ang, u_ang = _angles(N_ANIME, 0.02), _angles(N_USERS, 0.01)
    anime_emb = np.stack([np.cos(a_ang), np.sin(a_ang)], axis=1).astype(np.float32)
    user_emb = np.stack([np.cos(u_ang), np.sin(u_ang)], axis=1).astype(np.float32)
    lists = seen_lists()
    indptr = np.cumsum([0] + [len(items) for items, _ in lists]).astype(np.int64)
    indices = np.concatenate([items for items, _ in lists]).astype(np.int32)
    ratings = np.concatenate([r for _, r in lists]).astype(np.int8)
    parity = np.arange(N_ANIME) % 2
    anime_factors = np.stack([1 - parity, parity], axis=1).astype(np.float32)
    return {
        "user_factors": np.stack([1 - np.arange(N_USERS) % 2, np.arange(N_USERS) % 2], 1).astype(np.float32),
        "anime_factors": anime_factors, "anime_bias": (0.01 * np.arange(N_ANIME)).astype(np.float32),
        "user_embeddings": user_emb, "anime_embeddings": anime_emb,
        "user_ids": np.array([user_id(u) for u in range(N_USERS)], dtype=np.int64),
        "anime_ids": np.array([anime_id(a) for a in range(N_ANIME)], dtype=np.int64),
        "seen_indptr": indptr, "seen_indices": indices, "seen_ratings": ratings,
        "anime_popularity": np.bincount(indices, minlength=N_ANIME).astype(np.float32),
        **_listed_arrays(),
    }


def _listed_arrays() -> dict[str, np.ndarray]:
    """LISTED_USERS as the extra_* CSR arrays of a published run."""
    users = sorted(LISTED_USERS)
    rows = [row for u in users for row in LISTED_USERS[u]]
    return {
        "extra_user_ids": np.array(users, dtype=np.int64),
        "extra_indptr": np.cumsum([0] + [len(LISTED_USERS[u]) for u in users]).astype(np.int64),
        "extra_anime_ids": np.array([a for a, _, _ in rows], dtype=np.int64),
        "extra_ratings": np.array([r for _, r, _ in rows], dtype=np.int8),
        "extra_statuses": np.array([s for _, _, s in rows], dtype=np.int8),
        # trained users' list rows beyond the model: none here (tests/recommend/test_never_listed.py has real ones)
        "outside_user_ids": np.zeros(0, np.int64), "outside_indptr": np.zeros(1, np.int64),
        "outside_anime_ids": np.zeros(0, np.int64), "outside_ratings": np.zeros(0, np.int8),
        "outside_statuses": np.zeros(0, np.int8),
    }


def build_tiny_run(artifacts_dir: Path, with_franchise: bool = False, with_map: bool = False) -> Path:
    """Publish the tiny run under `artifacts_dir` (made current) and return its directory.

    `with_franchise` adds real Dragon Ball titles, Yu Yu Hakusho and two Dragon Ball fans (franchise_run.py);
    `with_map` the training-time picture of the anime (taste_map.npy; runs published before it have none).
    """
    from tests.recommend import franchise_run

    arrays, catalog = _arrays(), catalog_frame()
    franchises = singleton_franchises(catalog)
    if with_franchise:
        arrays, catalog, franchises = franchise_run.extend(arrays, catalog, franchises)
    if with_map:
        from anime_recommender.model.taste_map import anime_map

        arrays["taste_map"] = anime_map(arrays["anime_embeddings"], seed=0)
    with RunWriter(artifacts_dir) as writer:
        for name, array in arrays.items():
            writer.save_array(name, array)
        writer.save_frame("catalog", catalog)
        writer.save_frame("franchises", franchises)
        writer.save_json("metrics", {"tiny": {"ndcg@10": 1.0}})
        return writer.publish({"config": {}, "note": "tiny test run"})
