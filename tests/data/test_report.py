import json
import logging

from anime_recommender.data.report import DataReport


def _balanced() -> DataReport:
    report = DataReport()
    report.read("a.csv", 10)
    report.keep("a.csv", 7)
    report.add("bad_rating", 2, "a.csv")
    report.add("duplicate_pair", 1, "a.csv")
    return report


def test_rows_read_are_kept_or_dropped_by_reason():
    report = _balanced()
    assert report.dropped == {"bad_rating": 2, "duplicate_pair": 1}
    assert report.unaccounted() == {"a.csv": 0}


def test_adding_zero_rows_records_no_reason():
    report = DataReport()
    report.add("bad_id", 0)
    assert report.dropped == {}


def test_save_writes_json_that_round_trips(tmp_path):
    report = _balanced()
    report.note("train_rows", 5)
    path = report.save(tmp_path / "report.json")
    raw = json.loads(path.read_text())
    assert raw["rows_read"] == {"a.csv": 10} and raw["counts"] == {"train_rows": 5}
    assert DataReport.from_dict(raw).to_dict() == report.to_dict()


def test_log_summary_warns_about_rows_nobody_counted(caplog):
    report = _balanced()
    report.read("a.csv", 1)
    with caplog.at_level(logging.INFO):
        report.log_summary()
    assert "a.csv: 1 rows neither kept nor counted" in caplog.text
    assert "dropped 2 rows: bad_rating" in caplog.text
