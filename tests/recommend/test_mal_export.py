"""The MyAnimeList export parser: the realistic fixture (plain and .gz), and every hostile file refused with a 4xx."""
from __future__ import annotations

import gzip
import tracemalloc

import numpy as np
import pytest

from anime_recommender.recommend import mal_export
from anime_recommender.recommend.lists import COMPLETED, DROPPED, ON_HOLD, PLAN_TO_WATCH, WATCHING
from anime_recommender.recommend.mal_export import ExportError, read_export
from tests.recommend.exports import (
    FIXTURE_ENTRIES,
    FIXTURE_IDS,
    FIXTURE_SKIPPED,
    HOSTILE,
    entries_xml,
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
    assert caught.value.too_large == (code == 413) and words in str(caught.value)


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


@pytest.mark.parametrize("name", ["nested anime (2 KB gzip)", "nested anime 2,000 deep",
                                  "1.4M empty entries, 40 KiB gzip", "empty gzip members after the list"])
def test_small_hostile_uploads_are_refused_without_allocating(name):
    """The audit's amplifiers are refused while reading: peak traced memory stays far below their expansion."""
    content, code, _ = hostile(name)
    tracemalloc.start()
    try:
        with pytest.raises(ExportError) as caught:
            read_export(content, limits())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.too_large == (code == 413)
    assert peak < 2 * 2**20, f"{name}: {peak / 2**20:.1f} MiB traced while refusing a {len(content)} byte upload"


def test_the_nested_bomb_is_2_kb():
    assert len(hostile("nested anime (2 KB gzip)")[0]) < 2048


def _entry(anime_id: str, score: str = "8") -> bytes:
    return (f"<anime><series_animedb_id>{anime_id}</series_animedb_id><my_score>{score}</my_score>"
            "<my_status>Completed</my_status></anime>").encode()


def _export(*entries: bytes) -> bytes:
    return b"<myanimelist><myinfo/>" + b"".join(entries) + b"</myanimelist>"


def test_scores_outside_0_to_10_are_counted_and_read_as_not_scored():
    export = read_export(_export(_entry("1", "11"), _entry("2", "-1"), _entry("3", "7.5"), _entry("4", "7"),
                                 _entry("5", ""), _entry("6", "0")), limits())
    assert export.rows.scores.tolist() == [0, 0, 0, 7, 0, 0] and export.bad_scores == 3


def test_character_references_are_read_as_xml_reads_them():
    export = read_export(_export(_entry("&#55;", "&#x39;"), _entry("1&#48;")), limits())
    assert export.rows.anime_ids.tolist() == [7, 10] and export.rows.scores.tolist() == [9, 8]
    assert export.skipped == 0


def test_duplicate_ids_are_counted_and_the_first_entry_used():
    export = read_export(_export(_entry("5", "9"), _entry("6"), _entry("5", "2"), _entry(" 5 ", "1")), limits())
    assert export.rows.anime_ids.tolist() == [5, 6] and export.rows.scores.tolist() == [9, 8]
    assert export.entries == 4 and export.duplicates == 2


def test_fixture_counts_its_repeated_entry():
    export = read_export(fixture_bytes(), limits())
    assert export.duplicates == 1 and export.bad_scores == 0


def test_exactly_the_entry_cap_is_read():
    assert read_export(entries_xml(5000), limits()).entries == 5000


def test_an_anime_element_deeper_inside_an_entry_is_refused():
    xml = _export(b"<anime><series_animedb_id>1</series_animedb_id><tags><anime/></tags></anime>")
    with pytest.raises(ExportError, match="inside another element"):
        read_export(xml, limits())


def test_bytes_after_a_member_that_ends_exactly_at_a_chunk_boundary_are_refused(monkeypatch):
    member = gzip.compress(entries_xml(3))
    monkeypatch.setattr(mal_export, "CHUNK", len(member))
    assert read_export(member, limits()).entries == 3
    with pytest.raises(ExportError, match="data after its end"):
        read_export(member + b"x", limits())
    with pytest.raises(ExportError, match="data after its end"):
        read_export(member + gzip.compress(b""), limits())
