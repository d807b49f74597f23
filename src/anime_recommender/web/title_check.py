"""Does an uploaded export name the same anime as the served catalogue? Its entries carry both the id and
the title (<series_title>); an id whose title matches none of the catalogue's names for that id means the
list was made against another catalogue (a real MyAnimeList list against the generated demo, for one).

Run after the export is parsed: recommend/mal_export.py keeps each entry's title.
"""
from __future__ import annotations

from anime_recommender.data.titles import search_key
from anime_recommender.recommend.mal_export import MalExport


def naming_other_anime(export: MalExport, catalog) -> int:
    """How many entries' ids are in the catalogue under names that do not match the entry's title."""
    other = 0
    for anime_id, title in export.titles:
        row = catalog.row(anime_id)
        if row is None:
            continue
        names = (catalog.name, catalog.english_name, catalog.japanese_name, catalog.display_name)
        if any(title == str(column[row]) for column in names):  # as MyAnimeList writes it (its first name):
            continue                                             # nothing to fold (~5 µs a name)
        if search_key(title) not in {search_key(str(column[row])) for column in names}:
            other += 1
    return other
