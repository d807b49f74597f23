"""The published run's arrays, loaded once through artifacts.load_run and checked for shape, and the
anime-side view of them that helpers are handed (never the engine itself)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from anime_recommender.artifacts import ArtifactIntegrityError, RunArtifacts
from anime_recommender.recommend.catalog import Catalog
from anime_recommender.recommend.content import TextSimilarity
from anime_recommender.recommend.franchise import Franchises
from anime_recommender.recommend.users import History, loved_thresholds

log = logging.getLogger(__name__)


@dataclass
class ModelArrays:
    """Factors, embeddings, ids, history and popularity of one run."""

    run_id: str
    user_ids: np.ndarray
    anime_ids: np.ndarray
    user_factors: np.ndarray
    anime_factors: np.ndarray
    anime_bias: np.ndarray
    user_embeddings: np.ndarray
    anime_embeddings: np.ndarray
    popularity: np.ndarray
    history: History
    user_order: np.ndarray      # argsort of user_ids, for searchsorted look-ups
    sorted_user_ids: np.ndarray
    anime_embeddings_t: np.ndarray = None  # (d, n_anime) contiguous copy for max-over-favourites

    def user_row(self, user_id: int) -> int | None:
        """Model row of a MAL user id, None when unknown."""
        if not -(2**63) <= user_id < 2**63:
            return None
        i = int(np.searchsorted(self.sorted_user_ids, user_id))
        if i < len(self.sorted_user_ids) and self.sorted_user_ids[i] == user_id:
            return int(self.user_order[i])
        return None


@dataclass(frozen=True)
class AnimeSpace:
    """What scoring over anime needs, built once at load: handed to the cold-start and blend helpers."""

    arrays: ModelArrays
    catalog: Catalog
    text: TextSimilarity
    gram: np.ndarray      # AᵀA of the anime factors (d x d), for fold-in
    popular: np.ndarray   # popularity score per model anime row
    franchises: Franchises | None = None  # over catalog rows; None: lists are never grouped by franchise


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ArtifactIntegrityError(f"inconsistent run: {message}")


def load_arrays(run: RunArtifacts) -> ModelArrays:
    """Read every array of a run and check that their shapes agree."""
    a = {name: run.array(name) for name in (
        "user_ids", "anime_ids", "user_factors", "anime_factors", "anime_bias", "user_embeddings",
        "anime_embeddings", "seen_indptr", "seen_indices", "seen_ratings", "anime_popularity")}
    n_users, n_anime = len(a["user_ids"]), len(a["anime_ids"])
    _check(a["user_factors"].shape[0] == n_users == a["user_embeddings"].shape[0], "user rows differ")
    _check(a["anime_factors"].shape[0] == n_anime == a["anime_embeddings"].shape[0] == len(a["anime_bias"]),
           "anime rows differ")
    _check(a["user_factors"].shape[1] == a["anime_factors"].shape[1], "factor sizes differ")
    _check(len(a["seen_indptr"]) == n_users + 1 and a["seen_indptr"][-1] == len(a["seen_indices"]),
           "seen CSR does not match the users")
    index_dtype = np.int32 if len(a["seen_indices"]) < 2**31 - 1 else np.int64
    seen = sparse.csr_matrix(
        (a["seen_ratings"].astype(np.int8, copy=False), a["seen_indices"].astype(index_dtype, copy=False),
         a["seen_indptr"].astype(index_dtype, copy=False)), shape=(n_users, n_anime), copy=False)
    order = np.argsort(a["user_ids"], kind="stable")
    return ModelArrays(
        run_id=run.run_id, user_ids=a["user_ids"].astype(np.int64), anime_ids=a["anime_ids"].astype(np.int64),
        user_factors=a["user_factors"].astype(np.float32, copy=False),
        anime_factors=a["anime_factors"].astype(np.float32, copy=False),
        anime_bias=a["anime_bias"].astype(np.float32, copy=False),
        user_embeddings=a["user_embeddings"].astype(np.float32, copy=False),
        anime_embeddings=a["anime_embeddings"].astype(np.float32, copy=False),
        popularity=a["anime_popularity"].astype(np.float32, copy=False),
        history=History(seen, loved_thresholds(seen)), user_order=order,
        sorted_user_ids=a["user_ids"][order].astype(np.int64),
        anime_embeddings_t=np.ascontiguousarray(a["anime_embeddings"].astype(np.float32).T),
    )
