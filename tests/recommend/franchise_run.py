"""The tiny run plus a known franchise (issue #9): six real Dragon Ball titles, Yu Yu Hakusho, two fans.

A third factor dimension belongs to Dragon Ball alone, so the tiny run's own users and anime score
exactly as before (their third component is 0). Biases put the sequels above the first season, as the
issue found on the real slice: ungrouped, a fan's list opens with Dragon Ball Super.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from anime_recommender.data.franchise import build_franchises
from tests.recommend import tiny_run

# (MAL id, Name, English name, Japanese name, type, first aired, bias, embedding tilt)
DRAGON_BALL = [
    (223, "Dragon Ball", "Dragon Ball", "ドラゴンボール", "TV", "1986-02-26", 0.01, 0.0),
    (813, "Dragon Ball Z", "Dragon Ball Z", "ドラゴンボールZ", "TV", "1989-04-26", 0.02, 0.05),
    (894, "Dragon Ball Z Movie 01: Ora no Gohan wo Kaese!!", "Dragon Ball Z:Dead Zone",
     "ドラゴンボールZ オラの悟飯をかえせッ!!", "Movie", "1989-07-15", 0.03, 0.1),
    (986, "Dragon Ball Z Special 1: Tatta Hitori no Saishuu Kessen",
     "Dragon Ball Z Special 1:Bardock, The Father of Goku", "DRAGON BALL Z スペシャル たったひとりの最終決戦",
     "Special", "1990-10-17", 0.06, 0.15),
    (225, "Dragon Ball GT", "Dragon Ball GT", "ドラゴンボールGT", "TV", "1996-02-07", 0.04, 0.2),
    (30694, "Dragon Ball Super", "Dragon Ball Super", "ドラゴンボール超（スーパー）", "TV", "2015-07-05", 0.05, 0.25),
]
DB_IDS = [row[0] for row in DRAGON_BALL]
DB_SPECIAL = 986
YU_YU_HAKUSHO = 392           # its embedding leans towards the Dragon Ball sequels
FAN_STARTED = 30               # has seen Dragon Ball (rated 10): next is Dragon Ball Z
FAN_NEW = 31                   # has seen no Dragon Ball but the model says they will love it
FAN_LISTS = {FAN_STARTED: ([223, tiny_run.anime_id(1), tiny_run.anime_id(3)], [10, 3, 3]),
             FAN_NEW: ([tiny_run.anime_id(0), tiny_run.anime_id(2), tiny_run.anime_id(4)], [8, 7, 6])}


def catalog_rows() -> pd.DataFrame:
    """Catalog rows of the Dragon Ball titles and Yu Yu Hakusho (real names, plain scores)."""
    rows = [{"anime_id": a, "name": name, "english_name": english, "japanese_name": japanese,
             "display_name": english, "genres": "Action, Adventure, Comedy, Martial Arts, Shounen", "type": kind,
             "episodes": 1 if kind in ("Movie", "Special") else 100, "year": int(aired[:4]), "aired_from": aired,
             "studios": "Toei Animation", "source": "Manga", "mal_rating": "PG-13 - Teens 13 or older",
             "score": 5.0, "members": 100, "popularity": 0, "is_adult": False, "synopsis": f"Goku, story {a}."}
            for a, name, english, japanese, kind, aired, _, _ in DRAGON_BALL]
    rows.append({"anime_id": YU_YU_HAKUSHO, "name": "Yuu☆Yuu☆Hakusho", "english_name": "Yu Yu Hakusho",
                 "japanese_name": "幽☆遊☆白書", "display_name": "Yu Yu Hakusho", "genres": "Action, Shounen",
                 "type": "TV", "episodes": 112, "year": 1992, "aired_from": "1992-10-10",
                 "studios": "Studio Pierrot", "source": "Manga", "score": 5.0, "members": 100, "popularity": 0,
                 "is_adult": False, "synopsis": "A delinquent dies and becomes a spirit detective."})
    return tiny_run._typed(rows)


def _anime_vectors() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(factors, embeddings, bias) of the new anime rows: Dragon Ball's own dimension."""
    tilt = np.array([row[7] for row in DRAGON_BALL] + [0.4], dtype=np.float32)
    embeddings = np.stack([np.zeros_like(tilt), tilt, np.ones_like(tilt)], axis=1)
    factors = np.tile(np.array([0, 0, 1], np.float32), (len(tilt), 1))
    factors[-1] = 0  # Yu Yu Hakusho: similar to Dragon Ball, but no fan is predicted to love it
    bias = np.array([row[6] for row in DRAGON_BALL] + [0.0], dtype=np.float32)
    return factors, embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True), bias


def _pad(array: np.ndarray) -> np.ndarray:
    """Tiny-run vectors with a third component of 0."""
    return np.hstack([array, np.zeros((len(array), 1), array.dtype)])


def _seen(arrays: dict, anime_ids: np.ndarray) -> dict[str, np.ndarray]:
    """The seen CSR with the two fans' lists appended."""
    row_of = {int(a): i for i, a in enumerate(anime_ids)}
    items = [np.array([row_of[a] for a in ids], np.int32) for ids, _ in FAN_LISTS.values()]
    ratings = [np.array(r, np.int8) for _, r in FAN_LISTS.values()]
    indptr = np.concatenate([arrays["seen_indptr"], arrays["seen_indptr"][-1] + np.cumsum([len(i) for i in items])])
    indices = np.concatenate([arrays["seen_indices"], *items])
    return {"seen_indptr": indptr.astype(np.int64), "seen_indices": indices.astype(np.int32),
            "seen_ratings": np.concatenate([arrays["seen_ratings"], *ratings]).astype(np.int8),
            "anime_popularity": np.bincount(indices, minlength=len(anime_ids)).astype(np.float32)}


def extend(arrays: dict, catalog: pd.DataFrame, franchises: pd.DataFrame) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """The tiny run's arrays, catalog and franchises with the Dragon Ball titles and fans added."""
    factors, embeddings, bias = _anime_vectors()
    fan = np.tile(np.array([0, 0, 1], np.float32), (len(FAN_LISTS), 1))
    anime_ids = np.concatenate([arrays["anime_ids"], DB_IDS + [YU_YU_HAKUSHO]]).astype(np.int64)
    out = {**arrays,
           "anime_ids": anime_ids, "user_ids": np.concatenate([arrays["user_ids"], list(FAN_LISTS)]).astype(np.int64),
           "anime_factors": np.vstack([_pad(arrays["anime_factors"]), factors]),
           "anime_embeddings": np.vstack([_pad(arrays["anime_embeddings"]), embeddings]).astype(np.float32),
           "anime_bias": np.concatenate([arrays["anime_bias"], bias]).astype(np.float32),
           "user_factors": np.vstack([_pad(arrays["user_factors"]), fan]),
           "user_embeddings": np.vstack([_pad(arrays["user_embeddings"]), fan]).astype(np.float32)}
    out.update(_seen(arrays, anime_ids))
    new = catalog_rows()
    return out, pd.concat([catalog, new], ignore_index=True), pd.concat([franchises, build_franchises(new)],
                                                                         ignore_index=True)
