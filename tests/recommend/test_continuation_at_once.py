"""continuation._next_of reads every franchise at once: against the rule applied one franchise at a time (the
module docstring's definition), on random franchises, roles and lists."""
from __future__ import annotations

import numpy as np

from anime_recommender.data.franchise import MAIN
from anime_recommender.recommend import continuation
from anime_recommender.recommend.continuation import NOT_WATCHED, WATCHED, Next
from anime_recommender.recommend.franchise import Franchises
from anime_recommender.recommend.lists import COMPLETED, DROPPED, ON_HOLD, PLAN_TO_WATCH, WATCHING


def one_by_one(fr: Franchises, group: int, status: np.ndarray, score: np.ndarray) -> Next | None:
    """The next main entry of one franchise, written as the rule reads."""
    series = fr.members[fr.indptr[group]:fr.indptr[group + 1]]
    main = [int(r) for r in series if fr.role[r] == MAIN]
    watched = [r for r in main if status[r] in WATCHED]
    open_ = [r for r in main if status[r] in (NOT_WATCHED, PLAN_TO_WATCH)]
    if not watched or any(status[r] == DROPPED for r in series) or not open_:
        return None
    return Next(open_[0], main[0], len(watched), len(open_), bool(status[open_[0]] == PLAN_TO_WATCH),
                int(max(score[r] for r in series)))


def test_every_franchise_at_once_reads_as_one_by_one():
    rng = np.random.default_rng(20)
    for _ in range(200):
        rows = int(rng.integers(1, 60))
        fr = Franchises.build(rng.integers(0, max(1, rows // 3), rows), rng.permutation(rows),
                              rng.integers(0, 4, rows), kind=np.full(rows, "TV", dtype=object))
        status = rng.choice([NOT_WATCHED, 0, WATCHING, COMPLETED, ON_HOLD, DROPPED, PLAN_TO_WATCH], rows,
                            p=[0.4, 0.05, 0.1, 0.2, 0.05, 0.05, 0.15]).astype(np.int16)
        score = np.where(status >= 0, rng.integers(0, 11, rows), 0).astype(np.int16)
        groups = np.unique(fr.group[status >= 0])
        expected = [n for g in groups.tolist() if (n := one_by_one(fr, g, status, score)) is not None]
        assert continuation._next_of(fr, groups, status=status, score=score) == expected


def test_no_franchise_started_is_no_entry():
    fr = Franchises.build(np.array([1, 1]), np.array([0, 1]), np.array([MAIN, MAIN]),
                          kind=np.array(["TV", "TV"], dtype=object))
    assert continuation._next_of(fr, np.zeros(0, np.int64), status=np.full(2, NOT_WATCHED, np.int16),
                                 score=np.zeros(2, np.int16)) == []
