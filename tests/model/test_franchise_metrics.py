"""Franchise measures of top-k lists on a 6-anime catalogue with one known franchise."""
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from anime_recommender.data.franchise import EXTRA, MAIN, SIDE
from anime_recommender.evaluation import franchise_metrics as fm
from anime_recommender.evaluation import ranking

# model rows 0..5: a franchise (10) of a first season, a special, a second season and a movie; two singletons
FRANCHISES = pd.DataFrame({"anime_id": [10, 11, 12, 13, 20, 30], "franchise_id": [10, 10, 10, 10, 20, 30],
                           "franchise_order": [0, 1, 2, 3, 0, 0],
                           "franchise_role": [MAIN, EXTRA, MAIN, MAIN, SIDE, MAIN]})
S1, SPECIAL, S2, MOVIE, OTHER, THIRD = range(6)


@pytest.fixture
def rows():
    return fm.franchise_rows(FRANCHISES, np.array([10, 11, 12, 13, 20, 30]))


def known(*lists):
    """A users x 6 CSR of known items."""
    return sp.csr_matrix([[1.0 if a in items else 0.0 for a in range(6)] for items in lists])


def test_prequel_is_the_latest_main_entry_aired_before(rows):
    assert rows.prequel.tolist() == [-1, S1, S1, S2, -1, -1]


def test_a_list_repeats_a_franchise_when_two_entries_share_it(rows):
    top = np.array([[S1, OTHER, S2], [S1, OTHER, THIRD]])
    assert fm.repeats_franchise(top, rows.group).tolist() == [True, False]


@pytest.mark.parametrize(("top", "seen", "count"), [
    ([S2, OTHER, THIRD], [], 1),      # second season first: its first season was never watched
    ([S1, S2, OTHER], [], 0),         # first season placed above it
    ([S2, S1, OTHER], [], 1),         # placed below does not count
    ([S2, OTHER, THIRD], [S1], 0),    # watched the first season: next is the second
    ([MOVIE, SPECIAL, OTHER], [], 2),  # the movie's prequel is S2, the special's S1
    ([S1, OTHER, THIRD], [], 0),      # no anime in the list has a prequel at all
])
def test_sequels_before_their_prequel(rows, top, seen, count):
    assert fm.sequels_before_prequel(np.array([top]), known(seen), rows).tolist() == [count]


def test_evaluate_reports_the_share_and_the_count(rows):
    target = known([THIRD], [THIRD])
    scores = np.array([[0.0, 0.1, 0.9, 0.8, 0.2, 0.3], [0.9, 0.1, 0.8, 0.0, 0.2, 0.3]], dtype=np.float32)
    result = ranking.evaluate(lambda users: scores[users], known([], []), target, k=3,
                              scope=ranking.Scope(franchises=rows))
    # user 0: S2, MOVIE, THIRD: repeats; S2 comes before S1 (1), the movie's prequel S2 is above it (0)
    # user 1: S1, S2, THIRD: repeats; in order (0)
    assert result["franchise_repeat@3"] == pytest.approx(1.0)
    assert result["sequels_before_prequel@3"] == 1.0
