"""The one watching-status vocabulary (data/statuses.py): every spelling MAL and Kaggle use reads as its code."""
from __future__ import annotations

import pytest

from anime_recommender.data import schema
from anime_recommender.data.statuses import UNKNOWN, Status


@pytest.mark.parametrize(("text", "expected"), [
    ("Watching", Status.WATCHING), ("Currently Watching", Status.WATCHING), ("currently watching", Status.WATCHING),
    ("Completed", Status.COMPLETED), ("On-Hold", Status.ON_HOLD), ("On Hold", Status.ON_HOLD),
    ("onhold", Status.ON_HOLD), ("Dropped", Status.DROPPED), ("Plan to Watch", Status.PLAN_TO_WATCH),
    ("PLAN-TO-WATCH", Status.PLAN_TO_WATCH), ("1", Status.WATCHING), (" 6 ", Status.PLAN_TO_WATCH),
])
def test_every_spelling_reads_as_its_status(text, expected):
    assert Status.parse(text) == expected


@pytest.mark.parametrize("text", ["", None, "5", "0", "02", "Sleeping", "Watched"])
def test_anything_else_is_unknown(text):
    assert Status.parse(text) == UNKNOWN


def test_one_name_each_as_mal_writes_it_and_anime_csv_counts_it():
    """The names the pages show are anime.csv's per-status column names (MAL's own spelling)."""
    assert [s.label for s in Status] == ["Watching", "Completed", "On-Hold", "Dropped", "Plan to Watch"]
    assert all(s.label in schema.ANIME_HEADER for s in Status)
    assert Status.label_of(UNKNOWN) == Status.label_of(5) == "Unknown"


def test_kaggle_descriptions_read_back_as_the_same_status():
    assert all(Status.parse(s.kaggle_description) == s for s in Status)
    assert Status.WATCHING.kaggle_description == "Currently Watching"
