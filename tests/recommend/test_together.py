"""Watch together (issue #20): one list for a group, nothing anyone has listed, a reason per person."""
from __future__ import annotations

import numpy as np
import pytest

from anime_recommender import Recommender
from anime_recommender.recommend import together as tg
from anime_recommender.recommend.errors import RecommenderError, UnknownUserError
from anime_recommender.recommend.filters import Filters
from anime_recommender.recommend.lists import COMPLETED, ListRows
from tests.recommend import franchise_run, tiny_run

EVEN_A, EVEN_B, ODD = tiny_run.user_id(0), tiny_run.user_id(2), tiny_run.user_id(1)


def _ids(found):
    return [r.anime.anime_id for r in found.results]


def _listed(rec, user_id):
    return set(rec.m.listed_ids(user_id).tolist())


def test_two_even_fans_get_even_anime_neither_has_listed_with_a_reason_each(rec):
    people = [rec.person_from_user(EVEN_A, "Ana"), rec.person_from_user(EVEN_B, "Ben")]
    found = rec.watch_together(people, 5, filters=Filters(), aggregation="rank_mean")
    assert len(found.results) == 5 and all(a % 2 == 0 for a in _ids(found))
    assert not set(_ids(found)) & (_listed(rec, EVEN_A) | _listed(rec, EVEN_B))
    for item in found.results:
        assert [r.name for r in item.reasons] == ["Ana", "Ben"]
        assert item.explanation.startswith("Ana: close to ") and "; Ben: close to " in item.explanation
    ana_list = {rec.catalog.display_name[rec.catalog.require(a)] for a in _listed(rec, EVEN_A)}
    assert {b.title for b in found.results[0].reasons[0].because} <= ana_list  # Ana's own titles, not Ben's


def test_adult_titles_stay_hidden_unless_asked(rec):
    people = [rec.person_from_user(EVEN_A, "Ana"), rec.person_from_user(EVEN_B, "Ben")]
    adult = tiny_run.anime_id(tiny_run.ADULT_ROW)
    assert adult not in _ids(rec.watch_together(people, 30, filters=Filters(), aggregation="mean"))
    assert adult in _ids(rec.watch_together(people, 30, filters=Filters(include_adult=True),
                                                aggregation="mean"))


@pytest.mark.parametrize("aggregation", list(tg.AGGREGATIONS))
def test_every_aggregation_gives_a_full_list_of_unlisted_anime(rec, aggregation):
    people = [rec.person_from_user(EVEN_A, "A"), rec.person_from_user(ODD, "B")]
    found = rec.watch_together(people, 8, filters=Filters(), aggregation=aggregation)
    assert len(found.results) == 8 and found.aggregation == aggregation
    assert not set(_ids(found)) & (_listed(rec, EVEN_A) | _listed(rec, ODD))


def test_aggregations_on_known_scores():
    scores = np.array([[3.0, 2.0, 0.0, 9.0], [0.0, 2.5, 3.0, 9.0]], np.float32)
    mask = np.array([True, True, True, False])
    assert np.argmax(tg.group_scores(scores, mask, "least_misery")) == 1   # nobody unhappy
    assert np.argmax(tg.group_scores(scores, mask, "mean")) == 1
    ranks = tg.group_scores(scores, mask, "rank_mean")
    assert ranks[3] == -np.inf and np.allclose(ranks[:3], [0.5, 0.5, 0.5])  # 1+0, .5+.5, 0+1
    assert np.argmax(tg.group_scores(scores, mask, "rank_min")) == 1
    with pytest.raises(ValueError, match="aggregation must be one of"):
        tg.group_scores(scores, mask, "median")


def test_people_from_titles_an_upload_and_a_user_training_left_out(rec):
    upload = ListRows(np.array([101, 103, 105]), np.array([9, 8, 0], np.int8), np.full(3, COMPLETED, np.int8))
    people = [rec.person_from_titles([107, 109], "Cleo"), rec.person_from_list(upload, "Dan"),
              rec.person_from_user(5, "Eve")]
    found = rec.watch_together(people, 5, filters=Filters(), aggregation="rank_mean")
    assert all(a % 2 == 1 for a in _ids(found))
    assert not set(_ids(found)) & {101, 103, 105, 107, 109}  # Cleo, Dan and Eve's lists
    assert [p.given_as for p in found.people] == ["titles", "list", "user"]


def test_too_few_too_many_unknown_and_unusable_people_are_refused(rec):
    one = [rec.person_from_user(EVEN_A, "Ana")]
    with pytest.raises(RecommenderError, match="needs 2 to 4 people"):
        rec.watch_together(one, 5, filters=Filters(), aggregation="mean")
    with pytest.raises(RecommenderError, match="needs 2 to 4 people"):
        rec.watch_together(one * 5, 5, filters=Filters(), aggregation="mean")
    with pytest.raises(UnknownUserError):
        rec.person_from_user(999_999, "Zed")
    with pytest.raises(RecommenderError, match="Zed: none of the anime given is known"):
        rec.person_from_titles([900], "Zed")  # in the catalogue, never seen by the model


def test_a_series_one_of_the_group_started_goes_on_and_never_repeats(franchise_artifacts):
    rec = Recommender.load(franchise_artifacts)
    people = [rec.person_from_user(franchise_run.FAN_STARTED, "Ana"),
              rec.person_from_user(franchise_run.FAN_NEW, "Ben")]
    found = rec.watch_together(people, 10, filters=Filters(), aggregation="rank_mean")
    shown = _ids(found)
    assert 223 not in shown  # Ana has Dragon Ball on her list
    assert [a for a in shown if a in franchise_run.DB_IDS] == [813]  # Z, the next, once
