"""The franchise rules as a pure step: ranked candidate rows in, grouped rows out (recommend/franchise.py).

One franchise on rows 0..5 in airing order: 0 first season (TV), 1 recap special, 2 second season (TV),
3 movie, 4 OVA, 5 third season (TV); rows 6 and 7 are franchises of their own.
"""
import numpy as np
import pytest
import scipy.sparse as sp

from anime_recommender.data.franchise import EXTRA, MAIN, SIDE
from anime_recommender.recommend.franchise import Franchises, ListState, group_ranked, grouped_reranker

S1, RECAP, S2, MOVIE, OVA, S3, OTHER, THIRD = range(8)
FR = Franchises.build(franchise_id=np.array([1, 1, 1, 1, 1, 1, 7, 8]), order=np.array([0, 1, 2, 3, 4, 5, 0, 0]),
                      role=np.array([MAIN, EXTRA, MAIN, MAIN, SIDE, MAIN, MAIN, MAIN]),
                      kind=np.array(["TV", "Special", "TV", "Movie", "OVA", "TV", "TV", "TV"], dtype=object))


def state(seen=(), blocked=(), types=()) -> ListState:
    """The viewer's list and what the filters block."""
    seen_mask = np.isin(np.arange(8), seen)
    return ListState(seen_mask, ~seen_mask & ~np.isin(np.arange(8), blocked), tuple(types))


def shown(ranked, st, n=5):
    return [(g.row, g.stands_for) for g in group_ranked(np.array(ranked), FR, st, n=n)]


def test_one_entry_per_franchise_at_its_best_placed_candidate():
    assert shown([OTHER, S3, S2, THIRD, MOVIE], state()) == [(OTHER, OTHER), (S1, S3), (THIRD, THIRD)]


def test_a_franchise_not_started_is_shown_by_its_entry_point():
    assert shown([S3], state())[0][0] == S1


def test_a_started_franchise_is_shown_by_its_next_unseen_main_entry():
    assert shown([S3, MOVIE], state(seen=[S1]))[0][0] == S2
    assert shown([S3], state(seen=[S1, S2, RECAP]))[0][0] == MOVIE


def test_never_skips_ahead_when_the_next_entry_is_filtered_out():
    assert shown([S3, OTHER], state(blocked=[S1])) == [(OTHER, OTHER)]      # adult, genre, year, ...
    assert shown([S3, OTHER], state(seen=[S1], blocked=[S2])) == [(OTHER, OTHER)]


def test_when_every_main_entry_is_seen_the_rest_is_shown_as_ranked():
    every_main = [S1, S2, MOVIE, S3]
    assert shown([OVA], state(seen=every_main)) == [(OVA, OVA)]
    assert shown([RECAP], state(seen=every_main)) == []  # an extra is not recommended


def test_extras_are_shown_only_when_the_type_filter_asks_for_them():
    assert shown([RECAP], state(blocked=[S1, S2, MOVIE, OVA, S3, OTHER, THIRD], types=["Special"])) == \
        [(RECAP, RECAP)]
    assert shown([MOVIE], state(blocked=[S1, RECAP, S2, OVA, S3], types=["Movie"]))[0][0] == MOVIE


def test_more_counts_the_other_entries_that_could_be_recommended():
    (group,) = group_ranked(np.array([S3]), FR, state(seen=[S1]), n=5)
    assert (group.row, group.more, group.started) == (S2, 3, True)  # movie, OVA, S3 (not the recap)


def test_the_reranker_gives_k_rows_per_user_topped_up_in_rank_order():
    scores = np.array([[0.1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3]], dtype=np.float32)
    known = sp.csr_matrix(np.zeros((1, 8)))
    top = grouped_reranker(FR)(np.array([0]), scores, known, k=3)
    assert top.tolist() == [[S1, OTHER, THIRD]]
    assert grouped_reranker(FR)(np.array([0]), scores, known, k=4).tolist() == [[S1, OTHER, THIRD, RECAP]]


@pytest.mark.parametrize("n", [1, 2])
def test_the_list_stops_at_n(n):
    assert len(shown([S3, OTHER, THIRD], state(), n)) == n
