"""Malformed input: every bad row is counted under its reason and excluded; the run goes on."""
import logging

import pandas as pd
import pyarrow as pa
import pytest

from anime_recommender.config import DataConfig
from anime_recommender.data import schema
from anime_recommender.data.ingest import DataError, load_catalog, load_interactions
from anime_recommender.data.interactions import _parse_int
from anime_recommender.data.report import DataReport

LIST_HEADER = ",".join(schema.ANIMELIST_HEADER)
CORPUS = """\
0,1,5,2,12
0,2,0,6,0
0,3
0,3,5,2,1,9
x,3,5,2,1
0,abc,5,2,1
-1,3,5,2,1
99999999999,3,5,2,1
0,3,11,2,1
0,3,-2,2,1
0,3,seven,2,1
0,3,5,5,1
0,3,5,,1
0,99,5,2,1
0,1,7,2,12
1,1,8,1,3
1,5,9,2,1
"""
EXPECTED_DROPS = {
    "wrong_field_count": 2, "bad_id": 4, "bad_rating": 3, "unknown_status": 2,
    "anime_not_in_catalog": 1, "duplicate_pair": 1, "status_not_interaction": 1,
}


def _load(data_dir, cfg=None, catalog_ids=None, **kwargs):
    report = DataReport()
    frame = load_interactions(data_dir, cfg or DataConfig(source="animelist"), report,
                              catalog_ids=catalog_ids, **kwargs)
    return frame, report


def test_each_kind_of_bad_row_is_counted_under_its_reason(tmp_path, write_csv):
    write_csv("animelist.csv", f"{LIST_HEADER}\n{CORPUS}")
    frame, report = _load(tmp_path, catalog_ids=[1, 2, 3, 5])
    assert report.dropped == EXPECTED_DROPS
    assert frame[["user_id", "anime_id", "rating"]].values.tolist() == [[0, 1, 5], [1, 1, 8], [1, 5, 9]]
    assert report.rows_read == {"animelist.csv": 17} and report.unaccounted() == {"animelist.csv": 0}


def test_rating_complete_rejects_unrated_rows(tmp_path, write_csv):
    write_csv("rating_complete.csv", "user_id,anime_id,rating\n0,1,0\n0,2,10\n0,3,1\n")
    frame, report = _load(tmp_path, DataConfig())
    assert len(frame) == 2 and report.dropped == {"bad_rating": 1}


def test_bom_and_crlf_files_parse_like_clean_ones(tmp_path):
    clean = "user_id,anime_id,rating\n0,1,5\n0,2,7\n1,1,9\n"
    (tmp_path / "clean").mkdir()
    (tmp_path / "clean" / "rating_complete.csv").write_text(clean)
    (tmp_path / "dos").mkdir()
    (tmp_path / "dos" / "rating_complete.csv").write_bytes(b"\xef\xbb\xbf" + clean.replace("\n", "\r\n").encode())
    expected, _ = _load(tmp_path / "clean", DataConfig())
    got, report = _load(tmp_path / "dos", DataConfig())
    pd.testing.assert_frame_equal(got, expected)
    assert report.dropped == {} and len(got) == 3


def test_duplicates_are_found_across_chunk_borders(tmp_path, write_csv):
    rows = [f"0,{a},5" for a in range(1, 2501)] + ["0,1,9", "1,1,5"]
    write_csv("rating_complete.csv", "user_id,anime_id,rating\n" + "\n".join(rows) + "\n")
    frame, report = _load(tmp_path, DataConfig(chunk_rows=1000))
    assert report.dropped == {"duplicate_pair": 1} and len(frame) == 2501
    assert frame.loc[(frame["user_id"] == 0) & (frame["anime_id"] == 1), "rating"].tolist() == [5]


def test_duplicates_in_a_file_not_sorted_by_user_are_still_found(tmp_path, write_csv, caplog):
    rows = [f"5,{a},5" for a in range(1, 1501)] + [f"2,{a},5" for a in range(1, 1501)] + ["5,1,9"]
    write_csv("rating_complete.csv", "user_id,anime_id,rating\n" + "\n".join(rows) + "\n")
    with caplog.at_level(logging.WARNING):
        frame, report = _load(tmp_path, DataConfig(chunk_rows=1000))
    assert report.dropped == {"duplicate_pair": 1} and len(frame) == 3000
    assert "not sorted by user_id" in caplog.text


def test_missing_interaction_file_names_the_file(tmp_path):
    with pytest.raises(DataError, match="rating_complete.csv"):
        _load(tmp_path, DataConfig(source="rating_complete"))


def test_missing_column_names_the_file_and_the_column(tmp_path, write_csv):
    write_csv("rating_complete.csv", "user_id,anime,rating\n0,1,5\n")
    with pytest.raises(DataError, match=r"rating_complete.csv: missing column\(s\) \['anime_id'\]"):
        _load(tmp_path, DataConfig())


def test_empty_file_is_a_data_error(tmp_path, write_csv):
    write_csv("animelist.csv", "")
    with pytest.raises(DataError, match="animelist.csv: file is empty"):
        _load(tmp_path)


def test_missing_anime_csv_names_the_file(tmp_path):
    with pytest.raises(DataError, match="anime.csv"):
        load_catalog(tmp_path, DataReport())


def _anime_csv(ids, drop=()):
    columns = [c for c in schema.ANIME_HEADER if c not in drop]
    rows = [{c: ("Unknown" if c not in ("MAL_ID", "Name") else (i if c == "MAL_ID" else f"Title {n}"))
             for c in columns} for n, i in enumerate(ids)]
    return pd.DataFrame(rows, columns=columns).to_csv(index=False)


def test_catalog_without_a_needed_column_names_it(tmp_path, write_csv):
    write_csv("anime.csv", _anime_csv(["1"], drop=("Genres",)))
    with pytest.raises(DataError, match=r"anime.csv: missing column\(s\) \['Genres'\]"):
        load_catalog(tmp_path, DataReport())


def test_catalog_counts_bad_and_repeated_ids(tmp_path, write_csv):
    write_csv("anime.csv", _anime_csv(["1", "abc", "1", "7"]))
    report = DataReport()
    catalog = load_catalog(tmp_path, report)
    assert catalog["anime_id"].tolist() == [1, 7]
    assert report.dropped == {"catalog_bad_id": 1, "catalog_duplicate_id": 1}
    assert catalog["display_name"].tolist() == ["Title 0", "Title 3"] and (catalog["synopsis"] == "").all()


@pytest.mark.parametrize("text", ["7", "0007", "-3", "0x1f", "abc", " 5", "+5", "", "1e3", "5.0", "9" * 20])
def test_a_value_parses_the_same_in_a_clean_chunk_and_in_a_bad_one(text):
    """The fast path (cast the whole column) and the fallback (row by row) must agree on every value."""
    alone = _parse_int(pa.array([text, "1"]))
    beside_a_bad_value = _parse_int(pa.array([text, "1", "not a number"]))
    assert alone.tolist() == beside_a_bad_value[:2].tolist()


def test_catalog_with_bom_and_crlf_reads_like_a_clean_one(tmp_path):
    text = _anime_csv(["1", "7"])
    (tmp_path / "clean").mkdir()
    (tmp_path / "dos").mkdir()
    (tmp_path / "clean" / "anime.csv").write_text(text)
    (tmp_path / "dos" / "anime.csv").write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    expected = load_catalog(tmp_path / "clean", DataReport())
    pd.testing.assert_frame_equal(load_catalog(tmp_path / "dos", DataReport()), expected)


# --- broken files (issue 11): a stray quote costs one row; bytes that are not text stop the run --------
def test_a_stray_quote_costs_one_row_not_the_rest_of_the_file(tmp_path, write_csv):
    write_csv("rating_complete.csv", 'user_id,anime_id,rating\n0,1,5\n0,"2,7\n0,3,9\n1,1,8\n')
    frame, report = _load(tmp_path, DataConfig())
    assert len(frame) == 3 and report.dropped == {"bad_id": 1}


@pytest.mark.parametrize("line", [2, 4])
def test_binary_bytes_in_interactions_name_the_file_and_line(tmp_path, write_csv, line):
    rows = [b"user_id,anime_id,rating", b"0,1,5", b"0,2,7", b"1,1,9", b"1,2,3"]
    rows[line - 1] = b"\xff\xfe,\x9c\x81,7"
    write_csv("rating_complete.csv", b"\n".join(rows) + b"\n")
    with pytest.raises(DataError, match=rf"^rating_complete.csv line {line}: not UTF-8"):
        _load(tmp_path, DataConfig())


def test_binary_header_names_line_1(tmp_path, write_csv):
    write_csv("anime.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(DataError, match=r"^anime.csv line 1: not UTF-8"):
        load_catalog(tmp_path, DataReport())


def test_catalog_cut_mid_line_names_the_last_line(tmp_path, write_csv):
    write_csv("anime.csv", _anime_csv(["1", "2", "3"])[:-10])
    with pytest.raises(DataError, match=r"^anime.csv line 4: the file ends mid-line"):
        load_catalog(tmp_path, DataReport())


def test_interaction_file_cut_mid_line_is_a_warning(tmp_path, write_csv, caplog):
    write_csv("rating_complete.csv", "user_id,anime_id,rating\n0,1,5\n0,2,7\n1,1,1")
    with caplog.at_level(logging.WARNING):
        frame, _ = _load(tmp_path, DataConfig())
    assert len(frame) == 3
    assert "rating_complete.csv ends mid-line" in caplog.text
