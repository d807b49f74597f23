"""A faithful re-implementation of the reference's pandas-based user-based + hybrid method, for comparison.

It follows the reference repository's helpers (find_similar_users, get_user_preferences,
get_user_recommendations, find_similar_animes, hybrid_recommendation): dict look-ups of encoded ids,
a full np.dot + argsort per similarity query, and pandas boolean filtering of the whole ratings and
anime frames on every call (11 scans of the ratings frame per hybrid request). Two kindnesses the
reference did not have: frames are held in memory instead of re-read from CSV/pickle on each call,
and columns use narrow dtypes. Served by `bench/serve.py` as /reference/user/<id>.
"""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
from flask import Flask, jsonify

from anime_recommender.artifacts import load_run


class ReferenceHybrid:
    """The reference's frames and weight matrices, built from a published run."""

    def __init__(self, run_dir: str):
        run = load_run(run_dir, verify=False)
        self.user_weights = run.array("user_embeddings")
        self.anime_weights = run.array("anime_embeddings")
        user_ids, anime_ids = run.array("user_ids"), run.array("anime_ids")
        self.user2user_encoded = {int(u): i for i, u in enumerate(user_ids)}
        self.user2user_decoded = dict(enumerate(user_ids.tolist()))
        self.anime2anime_encoded = {int(a): i for i, a in enumerate(anime_ids)}
        self.anime2anime_decoded = dict(enumerate(anime_ids.tolist()))
        indptr = run.array("seen_indptr")
        self.rating_df = pd.DataFrame({
            "user_id": np.repeat(user_ids.astype(np.int32), np.diff(indptr)),
            "anime_id": anime_ids.astype(np.int32)[run.array("seen_indices")],
            "rating": run.array("seen_ratings"),
        })
        catalog = run.frame("catalog")
        self.df = pd.DataFrame({"anime_id": catalog["anime_id"], "eng_version": catalog["display_name"],
                                "Genres": catalog["genres"]})
        self.synopsis_df = pd.DataFrame({"MAL_ID": catalog["anime_id"], "sypnopsis": catalog["synopsis"]})

    def get_anime_frame(self, anime):
        if isinstance(anime, int):
            return self.df[self.df.anime_id == anime]
        return self.df[self.df.eng_version == anime]

    def get_synopsis(self, anime: int):
        rows = self.synopsis_df[anime == self.synopsis_df.MAL_ID]
        return rows.sypnopsis.values[0] if len(rows) else None

    def find_similar_users(self, user_id: int, n: int = 10) -> pd.DataFrame:
        encoded = self.user2user_encoded.get(user_id)
        dists = np.dot(self.user_weights, self.user_weights[encoded])
        closest = np.argsort(dists)[-(n + 1):]
        rows = [{"similar_users": self.user2user_decoded.get(int(c)), "similarity": dists[c]} for c in closest]
        similar = pd.DataFrame(rows).sort_values(by="similarity", ascending=False)
        return similar[similar.similar_users != user_id]

    def get_user_preferences(self, user_id: int) -> pd.DataFrame:
        watched = self.rating_df[self.rating_df.user_id == user_id]
        percentile = np.percentile(watched.rating, 75)
        watched = watched[watched.rating >= percentile]
        top = watched.sort_values(by="rating", ascending=False).anime_id.values
        return self.df[self.df["anime_id"].isin(top)][["eng_version", "Genres"]]

    def get_user_recommendations(self, similar_users: pd.DataFrame, user_pref: pd.DataFrame, n: int = 10):
        anime_list = []
        for uid in similar_users.similar_users.values:
            pref = self.get_user_preferences(int(uid))
            pref = pref[~pref.eng_version.isin(user_pref.eng_version.values)]
            if not pref.empty:
                anime_list.append(pref.eng_version.values)
        if not anime_list:
            return pd.DataFrame(columns=["n", "anime_name", "Genres", "Synopsis"])
        counts = pd.Series(np.concatenate(anime_list)).value_counts().head(n)
        recommended = []
        for name, n_pref in counts.items():
            if isinstance(name, str):
                frame = self.get_anime_frame(name)
                anime_id = int(frame.anime_id.values[0])
                recommended.append({"n": int(n_pref), "anime_name": name, "Genres": frame.Genres.values[0],
                                    "Synopsis": self.get_synopsis(anime_id)})
        return pd.DataFrame(recommended).head(n)

    def find_similar_animes(self, name: str, n: int = 10) -> pd.DataFrame | None:
        index = int(self.get_anime_frame(name).anime_id.values[0])
        encoded = self.anime2anime_encoded.get(index)
        if encoded is None:
            return None
        dists = np.dot(self.anime_weights, self.anime_weights[encoded])
        closest = np.argsort(dists)[-(n + 1):]
        rows = []
        for close in closest:
            decoded = self.anime2anime_decoded.get(int(close))
            frame = self.get_anime_frame(int(decoded))
            rows.append({"anime_id": decoded, "name": frame.eng_version.values[0],
                         "similarity": dists[close], "genre": frame.Genres.values[0]})
        similar = pd.DataFrame(rows).sort_values(by="similarity", ascending=False)
        return similar[similar.anime_id != index].drop(["anime_id"], axis=1)

    def hybrid_recommendation(self, user_id: int, user_weight: float = 0.5, content_weight: float = 0.5):
        similar_users = self.find_similar_users(user_id)
        user_pref = self.get_user_preferences(user_id)
        user_recs = self.get_user_recommendations(similar_users, user_pref)
        user_list = user_recs["anime_name"].tolist()
        content_list = []
        for anime in user_list:
            similar = self.find_similar_animes(anime)
            if similar is not None and not similar.empty:
                content_list.extend(similar["name"].tolist())
        scores: dict[str, float] = {}
        for anime in user_list:
            scores[anime] = scores.get(anime, 0) + user_weight
        for anime in content_list:
            scores[anime] = scores.get(anime, 0) + content_weight
        return [a for a, _ in sorted(scores.items(), key=lambda x: x[1], reverse=True)[:10]]


def create_app() -> Flask:
    """A minimal app serving the reference method, on the run in $REF_RUN_DIR."""
    app = Flask(__name__)
    engine = ReferenceHybrid(os.environ["REF_RUN_DIR"])

    @app.get("/reference/user/<int:user_id>")
    def hybrid(user_id: int):
        return jsonify(engine.hybrid_recommendation(user_id))

    @app.get("/readyz")
    def ready():
        return jsonify(status="ready")

    return app


app = create_app() if os.environ.get("REF_RUN_DIR") else None
