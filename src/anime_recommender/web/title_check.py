"""Does an uploaded export name the same anime as the served catalogue? Its entries carry both the id and
the title (<series_title>); an id whose title matches none of the catalogue's names for that id means the
list was made against another catalogue (a real MyAnimeList list against the generated demo, for one).

Run after the export is parsed (recommend/mal_export.py validated and capped it); this reads titles only.
"""
from __future__ import annotations

import html
import re

from anime_recommender.recommend.mal_export import GZIP_MAGIC, ExportLimits, _decompressed

_ENTRY = re.compile(rb"<anime>(.*?)</anime>", re.DOTALL)
_ID = re.compile(rb"<series_animedb_id>\s*(\d{1,10})\s*</series_animedb_id>")
_TITLE = re.compile(rb"<series_title>\s*(?:<!\[CDATA\[(.*?)\]\]>|([^<]*))\s*</series_title>", re.DOTALL)
_NOT_WORD = re.compile(r"\W+")


def _plain(title: str) -> str:
    return _NOT_WORD.sub("", title.casefold())


def titled_ids(data: bytes, limits: ExportLimits) -> list[tuple[int, str]]:
    """(id, title) of every entry that has both."""
    xml = _decompressed(data, limits.max_xml_bytes) if data.startswith(GZIP_MAGIC) else data
    found = []
    for block in _ENTRY.findall(xml):
        anime_id, title = _ID.search(block), _TITLE.search(block)
        if anime_id and title:
            raw = title.group(1) if title.group(1) is not None else html.unescape(title.group(2).decode("utf-8",
                                                                                                     "replace"))
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
            if text.strip():
                found.append((int(anime_id.group(1)), text))
    return found


def naming_other_anime(data: bytes, limits: ExportLimits, catalog) -> int:
    """How many entries' ids are in the catalogue under names that do not match the entry's title."""
    other = 0
    for anime_id, title in titled_ids(data, limits):
        row = catalog.row(anime_id)
        if row is None:
            continue
        names = {_plain(str(column[row])) for column in (catalog.name, catalog.english_name,
                                                          catalog.japanese_name, catalog.display_name)}
        if _plain(title) not in names:
            other += 1
    return other
