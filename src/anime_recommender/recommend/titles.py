"""Read a typed title the way a fan means it: exact names, initials (fmab, aot, snk), short forms, and
never a weak guess used silently.

A reading is *sure* (used, and shown as "fmab → Fullmetal Alchemist: Brotherhood") when the text is an
exact name, a famous short form from ALIASES, or initials / a name prefix that one popular anime clearly
owns; otherwise it is *unsure*: nothing is used and the likeliest anime are offered instead.
The one reader of every title box (issue #16): the header search ranks its sure reading and the
alternatives first (`TitleReader.search`), the new-user form and "more like a title" use `read`, so
"aot", "fmab" or "one peice" mean the same thing wherever they are typed. Adult titles only when asked.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from anime_recommender.data.titles import search_key
from anime_recommender.recommend.catalog import Catalog
from anime_recommender.recommend.search import SearchHit, TitleIndex

# Famous short forms that initials and the konosuba rule cannot produce (tested on the real catalog).
ALIASES = {
    "fmab": 5114,       # Fullmetal Alchemist: Brotherhood ("Full Metal", so not the initials "fab")
    "fma": 121,         # Fullmetal Alchemist
    "jjk": 40748,       # Jujutsu Kaisen
    "jjba": 14719,      # JoJo's Bizarre Adventure (TV)
    "eva": 30,          # Neon Genesis Evangelion
    "rezero": 31240,    # Re:Zero kara Hajimeru Isekai Seikatsu
    "oregairu": 14813,  # Yahari Ore no Seishun Love Comedy wa Machigatteiru.
    "danmachi": 28121,  # Dungeon ni Deai wo Motomeru no wa Machigatteiru Darou ka
    "tensura": 37430,   # Tensei shitara Slime Datta Ken
}
ARTICLES = {"the", "a", "an"}
DOMINANCE = 2.0      # initials / a prefix count as sure when the top anime has this many times the members
                     # of the next one ("aot": Attack on Titan, 2.5M members, over AOTU Shijie)
MAX_ALTERNATIVES = 5


@dataclass(frozen=True)
class Reading:
    """How one typed text was read: the catalog row used (None when unsure) and what else it could be."""

    typed: str
    row: int | None
    how: str   # alias | exact | initials | prefix | unsure | none
    alternatives: list[int] = field(default_factory=list)  # catalog rows offered, likeliest first

    @property
    def sure(self) -> bool:
        return self.row is not None


def short_forms(name: str) -> set[str]:
    """Initials of a Latin-script name (with and without articles) and its konosuba-style contraction."""
    words = search_key(name).split()
    if len(words) < 2 or not all(w.isascii() for w in words):
        return set()
    forms = {"".join(w if w.isdigit() else w[0] for w in words)}
    content = [w for w in words if w not in ARTICLES]
    forms.add("".join(w if w.isdigit() else w[0] for w in content))
    if len(words[0]) >= 4 and len(words[1]) >= 4 and words[0].isalpha() and words[1].isalpha():
        forms.add(words[0][:4] + words[1][:4])  # Kono Subarashii -> konosuba
    return {f for f in forms if len(f) >= 2}


class TitleReader:
    """Typed text -> a Reading, over the title index plus an index of every name's short forms."""

    def __init__(self, catalog: Catalog, titles: TitleIndex):
        self.catalog, self.titles = catalog, titles
        forms: dict[str, set[int]] = defaultdict(set)
        for column in (catalog.name, catalog.english_name):
            for row, name in enumerate(column):
                for form in short_forms(name):
                    forms[form].add(row)
        self.forms = {k: self._by_members(v) for k, v in forms.items()}
        self.aliases = {k: catalog.row_of[a] for k, a in ALIASES.items() if a in catalog.row_of}

    def _by_members(self, rows) -> list[int]:
        return sorted(set(rows), key=lambda r: (-int(self.catalog.members[r]), r))

    def read(self, typed: str, include_adult: bool = False) -> Reading:
        """The sure reading of `typed`, or an unsure one with the likeliest alternatives."""
        return self._read(typed, include_adult, self.titles.search(typed, limit=MAX_ALTERNATIVES * 2,
                                                                   include_adult=include_adult))

    def search(self, query: str, limit: int = 10, include_adult: bool = False) -> list[SearchHit]:
        """Search hits with the reading first: an exact name, a short form ("aot") or the likeliest
        alternative leads, then the rest of the title search."""
        hits = self.titles.search(query, limit=max(limit, MAX_ALTERNATIVES * 2), include_adult=include_adult)
        reading = self._read(query, include_adult, hits)
        lead = ([reading.row] if reading.sure else []) + (reading.alternatives if reading.how != "exact" else [])
        by_row = {h.row: h for h in hits}
        first = [by_row.get(r) or SearchHit(r, self.catalog.display_name[r], 100.0, reading.how) for r in lead]
        return list({h.row: h for h in first + hits}.values())[:limit]

    def _read(self, typed: str, include_adult: bool, hits: list[SearchHit]) -> Reading:
        key = search_key(typed)
        compact = key.replace(" ", "")
        if compact in self.aliases:
            return Reading(typed, self.aliases[compact], "alias")
        exact = self._by_members(h.row for h in hits if h.how == "exact")
        if exact:
            return Reading(typed, exact[0], "exact", exact[1:MAX_ALTERNATIVES + 1])
        initials = [r for r in self.forms.get(compact, []) if include_adult or not self.catalog.is_adult[r]]
        pool = self._by_members(initials + [h.row for h in hits if h.how == "prefix"])
        if pool and self._owns(pool):
            how = "initials" if pool[0] in initials else "prefix"
            return Reading(typed, pool[0], how, pool[1:MAX_ALTERNATIVES + 1])
        offered = list(dict.fromkeys(pool + [h.row for h in hits]))[:MAX_ALTERNATIVES]
        return Reading(typed, None, "unsure" if offered else "none", offered)

    def _owns(self, pool: list[int]) -> bool:
        """Whether the most popular candidate clearly owns the text: DOMINANCE over every rival that is not
        one of its own sequels or spin-offs (whose names start with its name: "Attack on Titan Season 2")."""
        names = [n for n in (search_key(self.catalog.name[pool[0]]), search_key(self.catalog.english_name[pool[0]]))
                 if n]
        rivals = [r for r in pool[1:] if not any(search_key(self.catalog.name[r]).startswith(n)
                                                  or search_key(self.catalog.english_name[r]).startswith(n)
                                                  for n in names)]
        members = self.catalog.members
        return not rivals or members[pool[0]] >= DOMINANCE * max(int(members[rivals[0]]), 1)
