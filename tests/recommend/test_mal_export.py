"""The MyAnimeList export parser: the realistic fixture (plain and .gz), and every hostile file refused with a 4xx."""
from __future__ import annotations

import gzip

import numpy as np
import pytest

from anime_recommender.recommend.lists import COMPLETED, DROPPED, ON_HOLD, PLAN_TO_WATCH, WATCHING
from anime_recommender.recommend.mal_export import ExportError, read_export
from tests.recommend.exports import (
    FIXTURE_ENTRIES,
    FIXTURE_IDS,
    FIXTURE_SKIPPED,
    HOSTILE,
    fixture_bytes,
    hostile,
    limits,
)


@pytest.mark.parametrize("compress", [False, True], ids=["xml", "xml.gz"])
def test_fixture_reads_every_entry(compress):
    data = gzip.compress(fixture_bytes()) if compress else fixture_bytes()
    export = read_export(data, limits())
    assert export.entries == FIXTURE_ENTRIES and export.skipped == FIXTURE_SKIPPED
    assert export.rows.anime_ids.tolist() == FIXTURE_IDS  # 106 twice in the file: first entry kept


def test_word_and_numeric_statuses_and_missing_tags():
    rows = read_export(fixture_bytes(), limits()).rows
    status = dict(zip(rows.anime_ids.tolist(), rows.statuses.tolist(), strict=True))
    score = dict(zip(rows.anime_ids.tolist(), rows.scores.tolist(), strict=True))
    assert status[106] == COMPLETED and status[108] == COMPLETED  # "Completed" and "2"
    assert status[110] == WATCHING and status[118] == ON_HOLD and status[101] == DROPPED
    assert status[114] == status[116] == PLAN_TO_WATCH  # "6" and "Plan to Watch"
    assert status[120] == 0 and score[120] == 0  # <my_status> and <my_score> left out
    assert score[106] == 10 and score[103] == 3 and rows.scores.dtype == np.int8


def test_by_status_counts_distinct_entries_in_mal_order():
    rows = read_export(fixture_bytes(), limits()).rows
    assert rows.by_status() == {"Watching": 1, "Completed": 6, "On-Hold": 1, "Dropped": 1, "Plan to Watch": 3,
                                "Unknown": 1}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_is_refused_with_a_clear_4xx(name):
    content, code, words = hostile(name)
    with pytest.raises(ExportError) as caught:
        read_export(content, limits())
    assert caught.value.code == code and words in str(caught.value)


def test_deep_nesting_is_not_a_crash():
    depth = 200_000
    xml = b"<myanimelist>" + b"<a>" * depth + b"</a>" * depth + b"</myanimelist>"
    with pytest.raises(ExportError, match="no <anime> entries"):
        read_export(xml, limits())


def test_a_title_full_of_markup_is_just_text():
    xml = (b"<myanimelist><anime><series_animedb_id>5</series_animedb_id><series_title>"
           b"<![CDATA[</series_title><script>alert(1)</script> & more]]></series_title>"
           b"<my_score>11</my_score><my_status>Sleeping</my_status></anime></myanimelist>")
    rows = read_export(xml, limits()).rows
    assert rows.anime_ids.tolist() == [5] and rows.scores.tolist() == [0] and rows.statuses.tolist() == [0]


def test_only_real_elements_count_never_text_that_looks_like_them():
    xml = b"""<?xml version="1.0"?><myanimelist>
      <!-- <anime><series_animedb_id>1</series_animedb_id></anime> -->
      <?note <anime><series_animedb_id>2</series_animedb_id></anime> ?>
      <anime kind="tv"><series_animedb_id> 3 </series_animedb_id>
        <my_comments><![CDATA[</anime><anime><series_animedb_id>4</series_animedb_id>]]></my_comments>
        <my_score>8</my_score><my_status><![CDATA[Plan to Watch]]></my_status></anime>
      <anime><series_animedb_id>5</series_animedb_id><my_score/></anime>
    </myanimelist>"""
    export = read_export(xml, limits())
    assert export.entries == 2 and export.rows.anime_ids.tolist() == [3, 5]
    assert export.rows.scores.tolist() == [8, 0] and export.rows.statuses.tolist() == [PLAN_TO_WATCH, 0]


def test_a_utf16_export_reads_like_a_utf8_one():
    utf16 = fixture_bytes().decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert read_export(utf16, limits()).rows.anime_ids.tolist() == FIXTURE_IDS
