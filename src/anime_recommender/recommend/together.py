"""Watch together (issue #20): one list for two to four people that nobody in the group has on their list.

The same steps as every request (docs/architecture.md), for several people at once, sequenced by
`Recommender.shared_list`: each person's list and user vector (steps 1-2: `vectors.trained` for a trained user,
`vectors.of_list` through the one user tower otherwise), so each person's model score of every anime is what
their solo list ranks by (step 3, `person_scores` over `ScoreTables`). The group's score of an anime combines
the people's scores (`AGGREGATIONS`; the served one is serving.together_aggregation, chosen by
bench/together.py); everything on anyone's list stays out, then the usual filters and franchise rules (step 4,
`rank` over the `Shelf`: franchise.pick, with everyone's list as the "seen" side, so a series the group
started goes on). The records, each result with, per person, the titles of their own list that drew it
(UserTower.contributions, exact parts of their score), are records.together's.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from anime_recommender.recommend import franchise as fr
from anime_recommender.recommend.errors import RecommenderError
from anime_recommender.recommend.filters import Request, allowed, top_k
from anime_recommender.recommend.hybrid import Shelf
from anime_recommender.recommend.lists import Taste
from anime_recommender.recommend.sources import ScoreTables, model_scores
from anime_recommender.recommend.vectors import UserVector

MIN_PEOPLE = 2
LIKED_SHOWN = 5  # of a person's favourites, named beside their name on the page


def _rank_scores(scores: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Per person, 1 for their best candidate down to 0 for their worst (ties broken by order)."""
    out = np.zeros_like(scores)
    n = len(candidates)
    for p in range(scores.shape[0]):
        order = np.argsort(-scores[p, candidates], kind="stable")
        ranks = np.empty(n, np.float32)
        ranks[order] = np.arange(n, dtype=np.float32)
        out[p, candidates] = 1.0 - ranks / max(n - 1, 1)
    return out


def _probabilities(scores: np.ndarray, candidates: np.ndarray, sharpness: float) -> np.ndarray:
    """Per person, the model's softmax over the candidates (exp of sharpness × score, summing to 1): how likely
    each candidate is their next watch, so the mean over people is the group's expected share of hits."""
    out = np.zeros_like(scores)
    part = sharpness * scores[:, candidates].astype(np.float64)
    part = np.exp(part - part.max(axis=1, keepdims=True))
    out[:, candidates] = part / part.sum(axis=1, keepdims=True)
    return out


AGGREGATIONS: dict[str, Callable[[np.ndarray, np.ndarray, float], np.ndarray]] = {
    "mean": lambda s, c, t: s.mean(axis=0),                       # the mean of the people's scores
    "least_misery": lambda s, c, t: s.min(axis=0),                # the least happy person's score
    "rank_mean": lambda s, c, t: _rank_scores(s, c).mean(axis=0),  # the mean of each person's rank
    "rank_min": lambda s, c, t: _rank_scores(s, c).min(axis=0),   # the worst rank anyone gives it
    "rank_max": lambda s, c, t: _rank_scores(s, c).max(axis=0),   # taking turns: each one's best in turn
    "probability_mean": lambda s, c, t: _probabilities(s, c, t).mean(axis=0),  # the mean chance of a watch
}


@dataclass(frozen=True)
class Person:
    """One member of the group as the model sees them: their user vector (with the list entries it pools, for
    the reasons), the catalog rows on their list and their favourites' catalog rows."""

    name: str
    kind: str                  # user | list | titles
    user: UserVector           # vectors.trained or vectors.of_list: never without a vector
    listed: np.ndarray         # catalog rows on their list (any status): never recommended to the group
    liked: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # catalog rows, best first


NOTHING_FOR_GROUP = "nothing passes these filters that nobody in the group has on their list"


# --- people (steps 1-2 are the engine's; these say what a person is) ---------------------------------------
def from_taste(name: str, kind: str, *, user: UserVector, taste: Taste) -> Person:
    """A person from a list or picks read as taste, `user` its vector through the tower (vectors.of_list); an
    error naming them when the model knows none of it well enough."""
    if user.vector is None:
        raise RecommenderError(f"{name}: none of the anime given is known well enough to the model to "
                               "recommend from; add a few more well-known titles")
    return Person(name, kind, user, np.unique(taste.exclude).astype(np.int64),
                  np.asarray(taste.liked[:LIKED_SHOWN], np.int64))


def from_trained(name: str, *, user: UserVector, listed: np.ndarray, liked: np.ndarray) -> Person:
    """A trained user: their own vector (vectors.trained), the catalog rows on their lists, their favourites."""
    return Person(name, "user", user, np.unique(listed).astype(np.int64), np.asarray(liked[:LIKED_SHOWN], np.int64))


def check_group(people: list[Person], most: int) -> None:
    """Two to `most` people."""
    if not MIN_PEOPLE <= len(people) <= most:
        raise RecommenderError(f"watch together needs {MIN_PEOPLE} to {most} people (got {len(people)})")


def listed_by_anyone(people: list[Person]) -> np.ndarray:
    """The catalog rows on anyone's list: never shown, and the group's "seen" side for the franchise rules."""
    return np.unique(np.concatenate([p.listed for p in people]))


# --- step 3: each person's scores ---------------------------------------------------------------------------
def person_scores(tables: ScoreTables, people: list[Person]) -> np.ndarray:
    """(people, model anime): each person's model score, ranking like their solo list's model source."""
    return np.stack([model_scores(tables.factors, tables.bias, p.user.vector) for p in people]).astype(np.float32)


# --- step 4: the group's entries ----------------------------------------------------------------------------
def group_scores(scores: np.ndarray, mask: np.ndarray, aggregation: str, *, sharpness: float = 1.0) -> np.ndarray:
    """One score per model anime for the group (−inf outside `mask`); `sharpness` scales the scores inside
    probability_mean's softmax."""
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"aggregation must be one of {', '.join(AGGREGATIONS)} (got {aggregation!r})")
    candidates = np.flatnonzero(mask)
    out = np.full(scores.shape[1], -np.inf, np.float32)
    if len(candidates):
        out[candidates] = AGGREGATIONS[aggregation](scores, candidates, sharpness)[candidates]
    return out


@dataclass(frozen=True)
class GroupRanked:
    """What the group's ranking found (over model rows): each person's discounted scores, the candidates the
    request may show, the group's score and the entries chosen."""

    scores: np.ndarray   # (people, model anime), popularity discount applied
    mask: np.ndarray     # the candidates: every filter passed, nothing on anyone's list
    total: np.ndarray    # the group's score (−inf outside `mask`)
    picks: list[fr.Grouped]
    aggregation: str


def rank(shelf: Shelf, scores: np.ndarray, request: Request, *, aggregation: str, sharpness: float) -> GroupRanked:
    """The group's entries: each person's score lowered by β × the discount basis (β: the filters'), aggregated
    over what the request may show (`request.listed`: everyone's list), one entry per franchise."""
    beta = request.filters.popularity_discount or 0.0
    if beta > 0:
        scores = (scores - np.float32(beta) * shelf.discount_basis).astype(np.float32)
    mask = allowed(shelf.catalog, request)
    total = group_scores(scores, mask, aggregation, sharpness=sharpness)
    ranked = top_k(total, mask, request.n * fr.CANDIDATES_PER_ENTRY)
    picks = fr.pick(shelf.franchises, shelf.catalog, shelf.catalog.cat_row[ranked], request=request)
    return GroupRanked(scores=scores, mask=mask, total=total, picks=picks, aggregation=aggregation)
