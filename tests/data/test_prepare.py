import logging

import pytest

from anime_recommender.config import Config, DataConfig
from anime_recommender.data import schema
from anime_recommender.data.ingest import load_catalog, load_interactions
from anime_recommender.data.prepare import ensure_data, load_dataset
from anime_recommender.data.report import DataError, DataReport
from anime_recommender.data.statuses import Status


def _config(data_dir, **data):
    cfg = Config().replace("paths", data_dir=data_dir).replace("sample", users=120, anime=60, seed=1)
    return cfg.replace("data", **data) if data else cfg


def test_empty_data_dir_gets_the_embedded_sample(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="anime_recommender.data.prepare"):
        data_dir = ensure_data(_config(tmp_path / "data"))
    assert (data_dir / schema.ANIME_FILE).is_file() and (data_dir / schema.WATCHING_STATUS_FILE).is_file()
    # a normal first run: said at INFO, not as a warning
    assert [r.levelname for r in caplog.records if "generating the embedded sample" in r.getMessage()] == ["INFO"]


def test_existing_data_is_left_alone(tmp_path):
    cfg = _config(tmp_path)
    ensure_data(cfg)
    before = (tmp_path / schema.ANIMELIST_FILE).stat().st_mtime_ns
    assert ensure_data(cfg.replace("sample", seed=99)) == tmp_path
    assert (tmp_path / schema.ANIMELIST_FILE).stat().st_mtime_ns == before


def test_no_data_and_no_generation_is_an_error(tmp_path):
    with pytest.raises(DataError, match="generate_if_missing"):
        ensure_data(_config(tmp_path, generate_if_missing=False))


def test_load_dataset_accounts_for_every_row_and_keeps_full_lists_as_seen(tmp_path):
    catalog, interactions, seen, report = load_dataset(_config(tmp_path))
    assert len(catalog) == 60 and len(interactions) > 0
    assert set(seen["status"]) == set(Status) and len(seen) > len(interactions)
    assert all(v == 0 for v in report.unaccounted().values())


def test_animelist_source_splits_interactions_from_the_seen_set(tmp_path):
    _, interactions, seen, report = load_dataset(_config(tmp_path, source="animelist"))
    assert set(interactions["status"]) <= {1, 2, 3, 4}
    assert len(interactions) + report.dropped["status_not_interaction"] == len(seen)
    assert report.unaccounted() == {"anime.csv": 0, "anime_with_synopsis.csv": 0, "animelist.csv": 0}


def test_generated_sample_ingests_with_nothing_dropped(sample_dir):
    report = DataReport()
    catalog = load_catalog(sample_dir, report)
    frame = load_interactions(sample_dir, DataConfig(), report, catalog_ids=catalog["anime_id"])
    assert len(frame) > 0 and report.dropped == {}
    assert catalog["is_adult"].any() and (catalog["synopsis"] != "").mean() > 0.9
