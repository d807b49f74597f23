"""The published run's arrays, loaded once through artifacts.load_run and checked for shape; the engine hands
each step only the arrays it reads (sources.ScoreTables, hybrid.Shelf, records.Evidence)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from anime_recommender.artifacts import ArtifactIntegrityError, RunArtifacts
from anime_recommender.recommend.lists import ListRows
from anime_recommender.recommend.taste_map import TasteMap, load_taste_map
from anime_recommender.recommend.tower import UserTower
from anime_recommender.recommend.users import History, loved_thresholds

log = logging.getLogger(__name__)


LISTED_PARTS = ("user_ids", "indptr", "anime_ids", "ratings", "statuses")
EXTRA_ARRAYS = tuple(f"extra_{part}" for part in LISTED_PARTS)


@dataclass(frozen=True)
class ListedUsers:
    """Users in the data that training left out (too few ratings): their list rows, pooled by the tower at serving."""

    user_ids: np.ndarray    # int64, sorted
    indptr: np.ndarray      # int64 (n + 1,): CSR over the rows below
    anime_ids: np.ndarray   # int64 MAL ids (catalog anime, seen by the model or not)
    ratings: np.ndarray     # int8, 0 = unrated
    statuses: np.ndarray    # int8 watching status codes (2 for rating_complete rows)

    @classmethod
    def empty(cls) -> ListedUsers:
        none = np.zeros(0, np.int64)
        return cls(none, np.zeros(1, np.int64), none, none.astype(np.int8), none.astype(np.int8))

    def rows(self, user_id: int) -> ListRows | None:
        """One user's list, None when the user is not here."""
        i = int(np.searchsorted(self.user_ids, user_id)) if -(2**63) <= user_id < 2**63 else len(self.user_ids)
        if i >= len(self.user_ids) or self.user_ids[i] != user_id:
            return None
        span = slice(self.indptr[i], self.indptr[i + 1])
        return ListRows(self.anime_ids[span], self.ratings[span], self.statuses[span])


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
    listed: ListedUsers = field(default_factory=ListedUsers.empty)
    tower: UserTower | None = None  # how any list becomes a user vector (see load_tower)
    outside: ListedUsers = field(default_factory=ListedUsers.empty)  # trained users' rows beyond the model
    taste_map: TasteMap | None = None  # the anime on one picture (recommend/taste_map.py); None: older run

    def listed_ids(self, user_id: int) -> np.ndarray:
        """MAL ids of everything on a user's lists across the whole catalog (model anime or not), any
        status: what must never come back to them (issue #16)."""
        row = self.user_row(user_id)
        if row is None:
            rows = self.listed.rows(user_id)
            return np.zeros(0, np.int64) if rows is None else rows.anime_ids
        beyond = self.outside.rows(user_id)
        inside = self.anime_ids[self.history.items(row)[0]]
        return inside if beyond is None else np.concatenate([inside, beyond.anime_ids])

    def user_row(self, user_id: int) -> int | None:
        """Model row of a MAL user id, None when unknown."""
        if not -(2**63) <= user_id < 2**63:
            return None
        i = int(np.searchsorted(self.sorted_user_ids, user_id))
        if i < len(self.sorted_user_ids) and self.sorted_user_ids[i] == user_id:
            return int(self.user_order[i])
        return None


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
        listed=load_listed(run), outside=load_listed(run, "outside"),
        tower=load_tower(run, a["anime_embeddings"]),
        taste_map=load_taste_map(run, a["anime_popularity"]),
    )


def load_tower(run: RunArtifacts, anime_embeddings: np.ndarray) -> UserTower:
    """The run's user tower (anime_context.npy + user_tower.json); a run without one (the reference preset,
    older runs) pools the anime's own unit vectors instead, its own path for lists."""
    if not (run.has("anime_context.npy") and run.has("user_tower.json")):
        return UserTower(anime_embeddings.astype(np.float32), None)
    context = run.array("anime_context").astype(np.float32, copy=False)
    _check(context.shape[0] == anime_embeddings.shape[0], "anime_context rows differ from the anime")
    scale = run.json("user_tower")["user_scale"]
    return UserTower(context, None if scale is None else float(scale))


def load_listed(run: RunArtifacts, prefix: str = "extra") -> ListedUsers:
    """The run's left-out users (extra_*) or its trained users' rows beyond the model (outside_*); runs
    published before they were stored have none."""
    names = [f"{prefix}_{part}" for part in LISTED_PARTS]
    if not all(run.has(f"{name}.npy") for name in names):
        if prefix == "outside":
            log.warning("run %s predates outside_*.npy: list titles the model lacks cannot be kept out; "
                        "retrain to store them", run.run_id)
        return ListedUsers.empty()
    a = [run.array(name) for name in names]
    listed = ListedUsers(a[0].astype(np.int64), a[1].astype(np.int64), a[2].astype(np.int64),
                         a[3].astype(np.int8), a[4].astype(np.int8))
    _check(len(listed.indptr) == len(listed.user_ids) + 1 and listed.indptr[-1] == len(listed.anime_ids)
           == len(listed.ratings) == len(listed.statuses), f"{prefix}_* CSR does not match")
    _check(bool(np.all(np.diff(listed.user_ids) > 0)), f"{prefix}_user_ids are not sorted")
    return listed
