"""The site says when it serves the generated demo catalogue (every page, from templates/_demo_notice.html),
its form examples come from the catalogue it serves, and an imported list whose ids name other anime here
is told how many."""
from __future__ import annotations

import re

import pytest

from anime_recommender.artifacts import RunWriter
from anime_recommender.config import load_config
from anime_recommender.web import create_app
from tests.recommend.tiny_run import _arrays, catalog_frame, singleton_franchises
from tests.web.test_import import _file, post

PAGES = ["/", "/user/10", "/anime/106", "/search?q=series", "/new?liked=106", "/import", "/no-such-page"]


@pytest.fixture(scope="module")
def demo_client(tmp_path_factory):
    """The tiny run published as training publishes a run of the generated sample (its data report says so)."""
    root = tmp_path_factory.mktemp("demo-artifacts")
    catalog = catalog_frame()
    with RunWriter(root) as writer:
        for name, array in _arrays().items():
            writer.save_array(name, array)
        writer.save_frame("catalog", catalog)
        writer.save_frame("franchises", singleton_franchises(catalog))
        writer.save_json("data_report", {"rows_kept": {}, "counts": {"generated_sample": 1}})
        writer.publish({"config": {}, "note": "tiny demo run"})
    app = create_app(load_config(env={}), {"ARTIFACTS_DIR": str(root), "TESTING": True})
    return app.test_client()


@pytest.mark.parametrize("path", PAGES)
def test_every_page_of_the_demo_says_it_is_one(demo_client, path):
    page = demo_client.get(path).get_data(as_text=True)
    notice = re.search(r'<div class="notice demo-notice" id="demo-notice".*?</div>', page, re.DOTALL)
    assert notice, f"{path} has no demo notice"
    assert "made up" in notice.group(0) and "make train DATA_DIR=" in notice.group(0)


@pytest.mark.parametrize("path", ["/", "/user/10", "/import"])
def test_a_run_of_real_data_shows_no_demo_notice(client, path):
    assert 'id="demo-notice"' not in client.get(path).get_data(as_text=True)


def test_examples_come_from_the_served_catalogue(client):
    page = client.get("/").get_data(as_text=True)
    placeholders = re.findall(r'placeholder="([^"]*)"', page)
    # the tiny catalogue's most-listed titles (members grow with the row; row 38 is adult) and its first user
    assert 'e.g. Series 39 English' in placeholders and "e.g. Series 37 English" in placeholders
    assert "e.g. 10" in placeholders and "e.g. series" in placeholders
    assert "Cowboy Bebop" not in page and "Steins;Gate" not in page
    assert "anonymised" in re.search(r'<label for="user_id">([^<]*)</label>', page).group(1)


def _export(*entries: tuple[int, str]) -> bytes:
    body = "".join(f"<anime><series_animedb_id>{i}</series_animedb_id><series_title><![CDATA[{t}]]></series_title>"
                   f"<my_score>9</my_score><my_status>Completed</my_status></anime>" for i, t in entries)
    return f'<?xml version="1.0" encoding="UTF-8" ?><myanimelist><myinfo/>{body}</myanimelist>'.encode()


def test_import_counts_the_ids_that_name_other_anime_here(client):
    export = _export((106, "Attack on Titan"), (108, "kimetsu no yaiba"), (101, "Cowboy Bebop"),
                     (102, "Steins;Gate"), (40748, "Jujutsu Kaisen"))  # the last id is not in the catalogue
    page = post(client, "/import", _file(export, "animelist.xml")).get_data(as_text=True)
    warning = re.search(r'id="titles-naming-other-anime"[^>]*>(.*?)</div>', page, re.DOTALL).group(1)
    assert re.sub(r"\s+", " ", warning).strip().startswith("2 entries of your list: these ids name other anime here")


def test_import_whose_titles_agree_says_nothing(client):
    page = post(client, "/import", _file(_export((106, "Shingeki no Kyojin"), (104, "Pokémon Adventure")),
                                         "animelist.xml")).get_data(as_text=True)
    assert 'id="titles-naming-other-anime"' not in page
