"""A folder of symlinks that lost their link-ness (git with core.symlinks=false, some copies) still reads:
each placeholder file holds its target's relative path, and the data layer follows it."""
from __future__ import annotations

import pytest

from anime_recommender.config import Config
from anime_recommender.data import prepare
from anime_recommender.data.files import follow_link_placeholder


def test_a_placeholder_is_followed_to_its_target(tmp_path):
    (tmp_path / "real.csv").write_text("user_id,anime_id,rating\n1,2,3\n")
    (tmp_path / "kaggle").mkdir()
    placeholder = tmp_path / "kaggle" / "rating_complete.csv"
    placeholder.write_text("../real.csv")
    assert follow_link_placeholder(placeholder) == (tmp_path / "real.csv").resolve()


@pytest.mark.parametrize("content", ["user_id,anime_id,rating\n", "../missing.csv", "/etc/hostname", "a\nb", ""])
def test_anything_else_is_read_as_it_is(tmp_path, content):
    (tmp_path / "b").write_text("x")
    path = tmp_path / "data.csv"
    path.write_text(content)
    assert follow_link_placeholder(path) == path


@pytest.mark.realdata
def test_the_shared_kaggle_layout_trains_as_a_user_points_at_it(real_anime_dir, tmp_path):
    """../shared/data/anime-2020/kaggle-layout: links (or their text placeholders) under the Kaggle names."""
    layout = real_anime_dir / "kaggle-layout"
    cfg = Config().replace("paths", data_dir=layout, artifacts_dir=tmp_path)
    catalog, interactions, seen, report = prepare.load_dataset(cfg)
    assert len(catalog) == 17562
    ratings = {name: rows for name, rows in report.rows_kept.items() if name.startswith("rating_complete")}
    assert list(ratings.values()) == [99584]  # named as read: the link's name, or its target's
    assert interactions["user_id"].nunique() == 574
    assert seen["user_id"].nunique() == 574 + 17 - len(set(range(17)) & set(interactions["user_id"]))
