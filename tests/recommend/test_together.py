"""Watch together (issue #20): one list for a group, nothing anyone has listed, a reason per person."""
from __future__ import annotations

import dataclasses

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
    people = [tg.person_from_user(rec, EVEN_A, "Ana"), tg.person_from_user(rec, EVEN_B, "Ben")]
    found = tg.recommend_together(rec, people, 5, filters=Filters(), aggregation="rank_mean")
    assert len(found.results) == 5 and all(a % 2 == 0 for a in _ids(found))
    assert not set(_ids(found)) & (_listed(rec, EVEN_A) | _listed(rec, EVEN_B))
    for item in found.results:
        assert [r.name for r in item.reasons] == ["Ana", "Ben"]
        assert item.explanation.startswith("Ana: close to ") and "; Ben: close to " in item.explanation
    ana_list = {rec.catalog.display_name[rec.catalog.require(a)] for a in _listed(rec, EVEN_A)}
    assert {b.title for b in found.results[0].reasons[0].because} <= ana_list  # Ana's own titles, not Ben's


def test_adult_titles_stay_hidden_unless_asked(rec):
    people = [tg.person_from_user(rec, EVEN_A, "Ana"), tg.person_from_user(rec, EVEN_B, "Ben")]
    adult = tiny_run.anime_id(tiny_run.ADULT_ROW)
    assert adult not in _ids(tg.recommend_together(rec, people, 30, filters=Filters(), aggregation="mean"))
    assert adult in _ids(tg.recommend_together(rec, people, 30, filters=Filters(include_adult=True),
                                                aggregation="mean"))


@pytest.mark.parametrize("aggregation", list(tg.AGGREGATIONS))
def test_every_aggregation_gives_a_full_list_of_unlisted_anime(rec, aggregation):
    people = [tg.person_from_user(rec, EVEN_A, "A"), tg.person_from_user(rec, ODD, "B")]
    found = tg.recommend_together(rec, people, 8, filters=Filters(), aggregation=aggregation)
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


def test_each_person_s_score_blends_content_like_their_favourites_when_configured(rec):
    upload = ListRows(np.array([101, 103, 105]), np.array([9, 8, 0], np.int8), np.full(3, COMPLETED, np.int8))
    people = [tg.person_from_user(rec, EVEN_A, "Ana"), tg.person_from_list(rec, upload, "Dan")]
    assert all(len(p.favourites) and set(rec.m.anime_ids[p.favourites]) <= set(rec.m.anime_ids[p.pool_rows])
               for p in people)  # their favourites are titles of their own list
    mask = np.ones(len(rec.m.anime_ids), bool)
    mask[rec.catalog.model_row[np.concatenate([p.listed for p in people])]] = False
    model = tg.person_scores(rec, people, 0.0)
    saved = rec.cfg
    try:
        assert tg.blended_scores(rec, people, model, mask) is model  # the shipped {model: 1}: as they are
        rec.cfg = dataclasses.replace(saved, together_weights={"model": 0.001, "content": 0.999})
        blended = tg.blended_scores(rec, people, model, mask)
        found = tg.recommend_together(rec, people, 5, filters=Filters(), aggregation="probability_mean")
    finally:
        rec.cfg = saved
    assert blended.shape == model.shape and (blended[:, ~mask] == 0).all() and (blended <= 1).all()
    for p, row in zip(people, blended, strict=True):  # content all but decides: each one's closest candidate
        closest = (rec.m.anime_embeddings[p.favourites] @ rec.m.anime_embeddings.T).max(axis=0)
        assert np.argmax(row) == np.flatnonzero(mask)[np.argmax(closest[mask])]
    assert len(found.results) == 5 and not set(_ids(found)) & (_listed(rec, EVEN_A) | {101, 103, 105})


def test_people_from_titles_an_upload_and_a_user_training_left_out(rec):
    upload = ListRows(np.array([101, 103, 105]), np.array([9, 8, 0], np.int8), np.full(3, COMPLETED, np.int8))
    people = [tg.person_from_titles(rec, [107, 109], "Cleo"), tg.person_from_list(rec, upload, "Dan"),
              tg.person_from_user(rec, 5, "Eve")]
    found = tg.recommend_together(rec, people, 5, filters=Filters(), aggregation="rank_mean")
    assert all(a % 2 == 1 for a in _ids(found))
    assert not set(_ids(found)) & {101, 103, 105, 107, 109}  # Cleo, Dan and Eve's lists
    assert [p.summary()["given_as"] for p in found.people] == ["titles", "list", "user"]


def test_too_few_too_many_unknown_and_unusable_people_are_refused(rec):
    one = [tg.person_from_user(rec, EVEN_A, "Ana")]
    with pytest.raises(RecommenderError, match="needs 2 to 4 people"):
        tg.recommend_together(rec, one, 5, filters=Filters(), aggregation="mean")
    with pytest.raises(RecommenderError, match="needs 2 to 4 people"):
        tg.recommend_together(rec, one * 5, 5, filters=Filters(), aggregation="mean")
    with pytest.raises(UnknownUserError):
        tg.person_from_user(rec, 999_999, "Zed")
    with pytest.raises(RecommenderError, match="Zed: none of the anime given is known"):
        tg.person_from_titles(rec, [900], "Zed")  # in the catalogue, never seen by the model


def test_a_series_one_of_the_group_started_goes_on_and_never_repeats(franchise_artifacts):
    rec = Recommender.load(franchise_artifacts)
    people = [tg.person_from_user(rec, franchise_run.FAN_STARTED, "Ana"),
              tg.person_from_user(rec, franchise_run.FAN_NEW, "Ben")]
    found = tg.recommend_together(rec, people, 10, filters=Filters(), aggregation="rank_mean")
    shown = _ids(found)
    assert 223 not in shown  # Ana has Dragon Ball on her list
    assert [a for a in shown if a in franchise_run.DB_IDS] == [813]  # Z, the next, once
