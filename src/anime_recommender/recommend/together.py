"""Watch together (issue #20): one list for two to four people that nobody in the group has on their list.

Each person becomes a user vector through the one user tower (a trained user: their exported vector; a user
training left out, an uploaded list or a few titles: the tower on that list), so each person's model score of
every anime is what their solo list ranks by. The group's score of an anime combines the people's scores
(`AGGREGATIONS`; the served one is serving.together_aggregation, chosen by bench/together.py); everything on
anyone's list stays out, then the usual filters and franchise rules (franchise.pick, with everyone's list as
the "seen" side, so a series the group started goes on). Each result says, per person, which titles of their
own list drew it (UserTower.contributions, exact parts of their score).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from anime_recommender.recommend import explain as ex
from anime_recommender.recommend import franchise as fr
from anime_recommender.recommend.errors import RecommenderError, UnknownUserError
from anime_recommender.recommend.filters import Filters, Request, model_mask, top_k
from anime_recommender.recommend.lists import ListRows, Taste, picks_taste, read_list
from anime_recommender.recommend.sources import model_scores
from anime_recommender.recommend.tower import entry_weights
from anime_recommender.recommend.vectors import of_list

MIN_PEOPLE = 2
REASON_TITLES = 2  # titles of a person's list named in their reason


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
    """One member of the group as the model sees them."""

    name: str
    kind: str                  # user | list | titles
    vector: np.ndarray         # their user vector (model factor space)
    pool_rows: np.ndarray      # model rows of the list entries their vector pools (for the reasons)
    pool_weights: np.ndarray
    listed: np.ndarray         # catalog rows on their list (any status): never recommended to the group
    liked_titles: tuple[str, ...] = ()  # titles they named (picks) or their best-rated ones, for the page

    def summary(self) -> dict:
        return {"name": self.name, "given_as": self.kind, "on_list": int(len(self.listed)),
                "liked": list(self.liked_titles)}


@dataclass(frozen=True)
class PersonReason:
    """Why one result is there for one person: the titles of their own list that raised it most."""

    name: str
    because: tuple[ex.Because, ...]
    rank_share: float  # where it sits in their own ranking of the candidates: 0.01 = their top 1 %

    @property
    def text(self) -> str:
        if not self.because:
            return f"{self.name}: fits their taste overall"
        return f"{self.name}: close to {' and '.join(b.title for b in self.because)}"

    def to_dict(self) -> dict:
        return {"name": self.name, "reason": self.text, "top_share": round(self.rank_share, 4),
                "because": [{"anime_id": b.anime_id, "title": b.title, "share": round(b.share, 4)}
                            for b in self.because]}


@dataclass(frozen=True)
class TogetherItem:
    """One anime for the group, its group score and each person's reason."""

    anime: ex.AnimeInfo
    score: float
    reasons: tuple[PersonReason, ...]
    more_in_series: int = 0
    series_note: str = ""

    @property
    def explanation(self) -> str:
        return "; ".join(r.text for r in self.reasons)

    def to_dict(self) -> dict:
        info = {k: v for k, v in self.anime.to_dict().items() if k != "synopsis"}
        return {**info, "score": round(self.score, 6), "explanation": self.explanation,
                "people": [r.to_dict() for r in self.reasons], "more_in_series": self.more_in_series,
                "series_note": self.series_note}


@dataclass(frozen=True)
class TogetherRecommendations:
    """The group's list."""

    people: list[Person]
    aggregation: str
    results: list[TogetherItem]
    note: str = ""
    notes: list[str] = field(default_factory=list)  # per-person remarks (titles not read, ...)

    def to_dict(self) -> dict:
        return {"people": [p.summary() for p in self.people], "aggregation": self.aggregation,
                "note": self.note, "notes": self.notes, "results": [r.to_dict() for r in self.results]}


NOTHING_FOR_GROUP = "nothing passes these filters that nobody in the group has on their list"


# --- people -------------------------------------------------------------------------------------------
def _from_taste(rec, name: str, kind: str, *, taste: Taste) -> Person:
    """A person from a list or picks read as taste: the tower on their list."""
    user = of_list(rec.m.tower, rec.catalog.model_row, taste)
    if user.vector is None:
        raise RecommenderError(f"{name}: none of the anime given is known well enough to the model to "
                               "recommend from; add a few more well-known titles")
    liked = tuple(ex.title_of(rec.catalog, r) for r in taste.liked[:5])
    return Person(name, kind, user.vector, user.rows, user.weights, np.unique(taste.exclude).astype(np.int64), liked)


def person_from_user(rec, user_id: int, name: str) -> Person:
    """A dataset user: a trained user's vector, or the tower on the list of a user training left out."""
    row = rec.m.user_row(int(user_id))
    if row is None:
        rows = rec.m.listed.rows(int(user_id))
        if rows is None:
            raise UnknownUserError(user_id)
        return _from_taste(rec, name, "user", taste=read_list(rows, rec.catalog)[0])
    items, ratings = rec.m.history.items(row)
    loved, _ = rec.m.history.loved(row)
    listed = rec.catalog.rows_of(rec.m.listed_ids(int(user_id)))
    liked = tuple(ex.title_of(rec.catalog, r) for r in rec.catalog.cat_row[loved[:5]])
    return Person(name, "user", rec.m.user_factors[row], items.astype(np.int64), entry_weights(ratings),
                  np.unique(listed).astype(np.int64), liked)


def person_from_list(rec, rows: ListRows, name: str) -> Person:
    """An uploaded list (every entry stays out of the group's list, Plan to Watch too)."""
    return _from_taste(rec, name, "list", taste=read_list(rows, rec.catalog)[0])


def person_from_titles(rec, liked: list[int], name: str) -> Person:
    """A few liked anime (MAL ids)."""
    try:
        taste = picks_taste(rec.catalog, list(liked), [], genres=[])
    except RecommenderError as exc:
        raise RecommenderError(f"{name}: {exc}") from None
    return _from_taste(rec, name, "titles", taste=taste)


# --- the list -----------------------------------------------------------------------------------------
def check_group(people: list[Person], most: int) -> None:
    """Two to `most` people."""
    if not MIN_PEOPLE <= len(people) <= most:
        raise RecommenderError(f"watch together needs {MIN_PEOPLE} to {most} people (got {len(people)})")


def person_scores(rec, people: list[Person], beta: float) -> np.ndarray:
    """(people, model anime): each person's model score, popularity discount β × the shelf's basis applied."""
    discount = np.float32(beta) * rec.shelf.discount_basis if beta > 0 else 0.0
    tables = rec.tables
    return np.stack([model_scores(tables.factors, tables.bias, p.vector) - discount for p in people]
                    ).astype(np.float32)


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


def recommend_together(rec, people: list[Person], n: int, *, filters: Filters,
                       aggregation: str | None = None) -> TogetherRecommendations:
    """The group's n anime, each with every person's reason (aggregation: serving.together_aggregation)."""
    check_group(people, rec.cfg.together_max_people)
    return shared_list(rec, people, n, filters=filters, aggregation=aggregation)


def shared_list(rec, people: list[Person], n: int, *, filters: Filters,
                aggregation: str | None = None) -> TogetherRecommendations:
    """The list for any number of people, one included (bench/together.py's solo list: the same path)."""
    aggregation = aggregation or rec.cfg.together_aggregation
    beta = rec.cfg.popularity_discount if filters.popularity_discount is None else filters.popularity_discount
    listed = np.unique(np.concatenate([p.listed for p in people]))
    mask = model_mask(rec.catalog, filters)
    on_lists = rec.catalog.model_row[listed]
    mask[on_lists[on_lists >= 0]] = False
    scores = person_scores(rec, people, beta)
    total = group_scores(scores, mask, aggregation, sharpness=rec.cfg.together_sharpness)
    ranked = top_k(total, mask, n * fr.CANDIDATES_PER_ENTRY)
    picks = fr.pick(rec.franchises, rec.catalog, rec.catalog.cat_row[ranked], request=Request(filters, n, listed))
    rows = rec.catalog.model_row[[p.stands_for for p in picks]].astype(np.int64)
    reasons = _reasons(rec, people, scores, mask=mask, rows=rows)
    results = [TogetherItem(ex.anime_info(rec.catalog, p.row), float(total[r]), reasons[i], p.more,
                            ex.series_note(p.row != p.stands_for, p.started))
               for i, (p, r) in enumerate(zip(picks, rows, strict=True))]
    return TogetherRecommendations(people, aggregation, results, "" if results else NOTHING_FOR_GROUP)


def _reasons(rec, people: list[Person], scores: np.ndarray, *, mask: np.ndarray,
             rows: np.ndarray) -> list[tuple[PersonReason, ...]]:
    """Per result row, per person: the entries of their list with the largest parts of their score, and
    the share of the candidates they rank above it."""
    if not len(rows):
        return []
    per_person = []
    n_candidates = max(int(mask.sum()), 1)
    for p, s in zip(people, scores, strict=True):
        parts = rec.m.tower.contributions(p.pool_rows, p.pool_weights, rec.m.anime_factors[rows])
        above = [(s[mask] > s[r]).sum() / n_candidates for r in rows.tolist()]
        per_person.append([PersonReason(p.name, _top_parts(rec, p, parts[:, j]), float(above[j]))
                           for j in range(len(rows))])
    return [tuple(person[j] for person in per_person) for j in range(len(rows))]


def _top_parts(rec, person: Person, part: np.ndarray) -> tuple[ex.Because, ...]:
    """The REASON_TITLES entries with the largest positive parts, with their share of the positive sum."""
    positive = float(part[part > 0].sum())
    best = np.argsort(-part, kind="stable")[:REASON_TITLES]
    return tuple(ex.Because(int(rec.m.anime_ids[person.pool_rows[j]]),
                            ex.title_of(rec.catalog, rec.catalog.cat_row[person.pool_rows[j]]),
                            float(part[j]) / positive) for j in best if part[j] > 0)
