"""What the engine's rich methods return: plain dataclasses the web renders or turns into JSON."""
from __future__ import annotations

from dataclasses import dataclass, field

from anime_recommender.recommend.explain import AnimeInfo, Because, Recommendation


@dataclass(frozen=True)
class UserRecommendations:
    """Recommendations for a known user, with the mode actually used and a note when it fell back."""

    user_id: int
    mode: str
    results: list[Recommendation]
    note: str = ""

    def to_dict(self) -> dict:
        return {"user_id": self.user_id, "mode": self.mode, "note": self.note,
                "results": [r.to_dict() for r in self.results]}


@dataclass(frozen=True)
class SimilarAnime:
    """Anime similar to one anime, and which method measured it."""

    anime: AnimeInfo
    method: str
    method_label: str
    results: list[Recommendation]
    note: str = ""
    series: list[AnimeInfo] = field(default_factory=list)  # its franchise in airing order, itself included

    def to_dict(self) -> dict:
        return {"anime": self.anime.to_dict(), "method": self.method, "method_label": self.method_label,
                "note": self.note, "results": [r.to_dict() for r in self.results],
                "series": [{"anime_id": a.anime_id, "title": a.title, "type": a.type, "year": a.year,
                            "current": a.anime_id == self.anime.anime_id} for a in self.series]}


@dataclass(frozen=True)
class UserProfile:
    """A user's history in numbers, their genre profile and their nearest users."""

    user_id: int
    n_seen: int
    n_rated: int
    loved_threshold: int
    genres: list[tuple[str, int]]
    loved: list[AnimeInfo]
    similar_users: list[tuple[int, float]]

    def to_dict(self) -> dict:
        return {"user_id": self.user_id, "n_seen": self.n_seen, "n_rated": self.n_rated,
                "loved_threshold": self.loved_threshold,
                "genres": [{"genre": g, "count": c} for g, c in self.genres],
                "loved": [{"anime_id": a.anime_id, "title": a.title} for a in self.loved],
                "similar_users": [{"user_id": u, "similarity": round(s, 4)} for u, s in self.similar_users]}


@dataclass(frozen=True)
class SearchResults:
    """Title search hits, best first, and suggestions when nothing matched."""

    query: str
    hits: list[tuple[AnimeInfo, str, str]]  # (anime, matched name, how)
    suggestions: list[str] = field(default_factory=list)
    note: str = ""  # a plain sentence when nothing matched (the catalogue's last year)

    def to_dict(self) -> dict:
        return {"query": self.query, "suggestions": self.suggestions, "note": self.note,
                "results": [{"anime_id": a.anime_id, "title": a.title, "matched": m, "match": how,
                             "type": a.type, "year": a.year, "genres": a.genres} for a, m, how in self.hits]}


@dataclass(frozen=True)
class NewUserRecommendations:
    """Recommendations for someone who only named anime they like (and maybe genres)."""

    liked: list[AnimeInfo]
    disliked: list[AnimeInfo]
    genres: list[str]
    mode: str
    results: list[Recommendation]
    note: str = ""

    def to_dict(self) -> dict:
        return {"liked": [{"anime_id": a.anime_id, "title": a.title} for a in self.liked],
                "disliked": [{"anime_id": a.anime_id, "title": a.title} for a in self.disliked],
                "genres": self.genres, "mode": self.mode, "note": self.note,
                "results": [r.to_dict() for r in self.results]}


@dataclass(frozen=True)
class ImportSummary:
    """What an imported list held: entries read, how many the catalog knows, which ids it does not."""

    entries: int
    matched: int
    unknown_ids: list[int]
    by_status: dict[str, int]
    skipped: int = 0     # entries without a usable anime id
    bad_scores: int = 0  # scores outside 0-10 or not whole (read as not scored)
    duplicates: int = 0  # entries repeating an anime id (the first one is used)

    def to_dict(self) -> dict:
        return {"entries": self.entries, "matched": self.matched, "unknown_ids": self.unknown_ids,
                "by_status": self.by_status, "skipped": self.skipped, "bad_scores": self.bad_scores,
                "duplicates": self.duplicates}


@dataclass(frozen=True)
class ListRecommendations:
    """Recommendations for an imported list: the new-user answer, the import's summary, its taste profile."""

    recs: NewUserRecommendations
    imported: ImportSummary
    genres: list[tuple[str, int]]  # genre profile of the list's favourites, most frequent first

    def to_dict(self) -> dict:
        return {**self.recs.to_dict(), "imported": self.imported.to_dict(),
                "taste_profile": [{"genre": g, "count": c} for g, c in self.genres]}


@dataclass(frozen=True)
class TitleReading:
    """How a typed title was read: the anime used (None when unsure) and what else it could mean."""

    typed: str
    anime: AnimeInfo | None
    how: str  # alias | exact | initials | prefix (used) | unsure | none (not used)
    alternatives: list[AnimeInfo] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)  # closest names, when nothing matched at all
    note: str = ""  # a plain sentence when nothing matched (the catalogue's last year)

    def to_dict(self) -> dict:
        def short(a: AnimeInfo) -> dict:
            return {"anime_id": a.anime_id, "title": a.title, "type": a.type, "year": a.year}
        return {"input": self.typed, "anime_id": self.anime.anime_id if self.anime else None,
                "title": self.anime.title if self.anime else None, "match": self.how,
                "alternatives": [short(a) for a in self.alternatives]}


# --- watch together (recommend/together.py ranks, records.together builds these) ---------------------------
@dataclass(frozen=True)
class GroupMember:
    """One member of a group as the answer names them: how they were given, how long their list is, what they like."""

    name: str
    given_as: str                        # user | list | titles
    on_list: int                         # anime on their list (any status): never recommended to the group
    liked_titles: tuple[str, ...] = ()   # titles they named (picks) or their best-rated ones, for the page

    def to_dict(self) -> dict:
        return {"name": self.name, "given_as": self.given_as, "on_list": self.on_list,
                "liked": list(self.liked_titles)}


@dataclass(frozen=True)
class PersonReason:
    """Why one result is there for one person: the titles of their own list that raised it most."""

    name: str
    because: tuple[Because, ...]
    rank_share: float  # where it sits in their own ranking of the candidates: 0.01 = their top 1 %

    @property
    def text(self) -> str:
        if not self.because:
            return f"{self.name}: fits their taste overall"
        return f"{self.name}: close to {' and '.join(b.title for b in self.because)}"

    def to_dict(self) -> dict:
        return {"name": self.name, "reason": self.text, "top_share": round(self.rank_share, 4),
                "because": [{"anime_id": b.anime_id, "title": b.title, "share": round(b.share, 4)}
                            for b in self.because]}


@dataclass(frozen=True)
class TogetherItem:
    """One anime for the group, its group score and each person's reason."""

    anime: AnimeInfo
    score: float
    reasons: tuple[PersonReason, ...]
    more_in_series: int = 0
    series_note: str = ""

    @property
    def explanation(self) -> str:
        return "; ".join(r.text for r in self.reasons)

    def to_dict(self) -> dict:
        info = {k: v for k, v in self.anime.to_dict().items() if k != "synopsis"}
        return {**info, "score": round(self.score, 6), "explanation": self.explanation,
                "people": [r.to_dict() for r in self.reasons], "more_in_series": self.more_in_series,
                "series_note": self.series_note}


@dataclass(frozen=True)
class TogetherRecommendations:
    """The group's list."""

    people: list[GroupMember]
    aggregation: str
    results: list[TogetherItem]
    note: str = ""
    notes: list[str] = field(default_factory=list)  # per-person remarks (titles not read, ...)

    def to_dict(self) -> dict:
        return {"people": [p.to_dict() for p in self.people], "aggregation": self.aggregation,
                "note": self.note, "notes": self.notes, "results": [r.to_dict() for r in self.results]}


# --- continue your franchises (recommend/continuation.py finds, records.next_entries builds these) ----------
@dataclass(frozen=True)
class NextEntry:
    """The next main entry of one franchise the viewer started."""

    next: AnimeInfo
    franchise: str          # the title of the franchise's first main entry
    watched: int            # main entries watched (Watching, Completed, On-Hold, or marked "Seen it")
    remaining: int          # main entries not watched yet, the next one included
    planned: bool           # the next entry is already on their Plan to Watch

    def to_dict(self) -> dict:
        info = {k: v for k, v in self.next.to_dict().items() if k != "synopsis"}
        return {**info, "franchise": self.franchise, "watched": self.watched, "remaining": self.remaining,
                "planned": self.planned}
