"""Placing the map in the drawing box, the picture of one page, and loading it from a run (or not)."""
from __future__ import annotations

import numpy as np
import pytest

from anime_recommender.artifacts import ArtifactIntegrityError, RunWriter, load_run
from anime_recommender.recommend import taste_map as tm


def square(n: int = 10) -> tm.TasteMap:
    """n × n anime on a grid; popularity rising with the row."""
    grid = np.stack(np.meshgrid(np.arange(n), np.arange(n)), -1).reshape(-1, 2).astype(np.float32)
    return tm.TasteMap.build(grid, np.arange(n * n, dtype=np.float32))


def test_every_anime_sits_inside_the_box_and_up_is_up():
    m = square()
    x, y = m.xy[:, 0], m.xy[:, 1]
    assert x.min() >= tm.PAD and x.max() <= tm.WIDTH - tm.PAD
    assert y.min() >= tm.PAD and y.max() <= tm.HEIGHT - tm.PAD
    assert m.xy[90, 1] < m.xy[0, 1]  # a larger second coordinate is drawn higher (smaller SVG y)


def test_the_catalogue_is_one_path_of_the_most_popular_dots(monkeypatch):
    monkeypatch.setattr(tm, "BACKGROUND", 25)
    m = square()
    assert m.background.count("M") == 25 and m.background.startswith(f"M{m.xy[99, 0]:.1f} {m.xy[99, 1]:.1f}h0")


def test_a_picture_marks_the_list_most_popular_first_and_caps_it(monkeypatch):
    monkeypatch.setattr(tm, "MAX_MINE", 3)
    picture = square().picture(np.array([5, 7, 50, 99, 7]), np.array([60, 61]), title=lambda r: f"A{r}",
                                anime_id=lambda r: 1000 + r)
    assert [p.anime_id for p in picture.mine] == [1099, 1050, 1007] and picture.mine_on_map == 4
    assert [p.title for p in picture.recommended] == ["A60", "A61"] and picture.labelled == picture.recommended
    assert [p.anime_id for p in picture.landmarks] == [1099, 1098, 1097, 1096]


def test_a_run_without_the_file_has_no_map_and_a_wrong_shape_is_refused(tmp_path):
    with RunWriter(tmp_path / "old") as writer:
        writer.save_array("anime_ids", np.arange(3))
        writer.publish({})
    assert tm.load_taste_map(load_run(tmp_path / "old"), np.ones(3)) is None
    with RunWriter(tmp_path / "bad") as writer:
        writer.save_array(tm.FILE, np.zeros((4, 2), np.float32))
        writer.publish({})
    with pytest.raises(ArtifactIntegrityError, match="taste_map.npy has shape"):
        tm.load_taste_map(load_run(tmp_path / "bad"), np.ones(3))
