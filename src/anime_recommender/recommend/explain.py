"""Every word a viewer reads about a result: source and method names, reasons, notes, display records."""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from enum import StrEnum

from anime_recommender.recommend.catalog import Catalog


class Source(StrEnum):
    """Where a result's score came from: the JSON `source`, the hybrid weight keys, the blend's parts."""

    MODEL = "model"
    USERS = "users"
    CONTENT = "content"
    POPULAR = "popular"
    GENRES = "genres"
    SIMILAR = "similar"
    TEXT = "text"  # synopsis + genres TF-IDF of liked anime the model never saw, beside the model


class Method(StrEnum):
    """How "more like this" measured similarity."""

    EMBEDDINGS = "embeddings"
    TFIDF = "tfidf"


MAL_ANIME_URL = "https://myanimelist.net/anime/{}"
METHOD_LABELS = {
    Method.EMBEDDINGS: "what the same viewers watch",
    Method.TFIDF: "synopsis and genres",
}


@dataclass(frozen=True)
class AnimeInfo:
    """What a page shows about one anime."""

    anime_id: int
    title: str
    name: str
    english_name: str | None
    japanese_name: str | None
    genres: list[str]
    type: str | None
    year: int | None
    episodes: int | None
    mal_score: float | None
    members: int
    studios: str | None
    is_adult: bool
    synopsis: str
    in_model: bool

    @property
    def mal_url(self) -> str:
        """Its MyAnimeList page (the MAL id is the catalog's key)."""
        return MAL_ANIME_URL.format(self.anime_id)

    def to_dict(self) -> dict:
        """JSON-ready dict: asdict's, built flat (asdict deep-copies every field; an import answers ~120 of these)."""
        return {**{name: getattr(self, name) for name in _INFO_FIELDS}, "genres": list(self.genres),
                "mal_url": self.mal_url}


_INFO_FIELDS = tuple(f.name for f in fields(AnimeInfo))


@dataclass(frozen=True)
class Because:
    """An entry of the viewer's own list and its share of a result's model score (the positive parts)."""

    anime_id: int
    title: str
    share: float
    liked: bool = False  # a like they told us (a pick, or a score of HIGH_SCORE or more), for the wording


@dataclass(frozen=True)
class Recommendation:
    """One recommended anime, its score, which source put it there and why."""

    anime: AnimeInfo
    score: float
    source: str
    explanation: str
    components: dict[str, float] = field(default_factory=dict)
    more_in_series: int = 0   # other entries of its franchise left out of the list (grouped by franchise)
    series_note: str = ""     # why this entry stands for its franchise, when it was chosen over another
    because: tuple[Because, ...] = ()  # the 1-3 entries of the viewer's list that raised its model score most

    def to_dict(self) -> dict:
        """JSON-ready dict (synopsis left out to keep lists short)."""
        info = {k: v for k, v in self.anime.to_dict().items() if k != "synopsis"}
        return {**info, "score": round(self.score, 6), "source": self.source,
                "explanation": self.explanation, "components": {k: round(v, 4) for k, v in self.components.items()},
                "more_in_series": self.more_in_series, "series_note": self.series_note,
                "because": [{"anime_id": b.anime_id, "title": b.title, "share": round(b.share, 4)}
                            for b in self.because]}


def _opt(value: str) -> str | None:
    return value or None


def _num(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def title_of(catalog: Catalog, row: int) -> str:
    """Display title of a catalog row: English name, else Name, else Japanese name."""
    return catalog.display_name[row] or catalog.japanese_name[row]


def mal_score_of(catalog: Catalog, row: int) -> float | None:
    """MAL score of a catalog row, None when unknown."""
    return _num(catalog.score[row])


def anime_info(catalog: Catalog, row: int) -> AnimeInfo:
    """Build the display record of a catalog row."""
    year, episodes = _num(catalog.year[row]), _num(catalog.episodes[row])
    score = _num(catalog.score[row])
    return AnimeInfo(
        anime_id=int(catalog.anime_id[row]), title=title_of(catalog, row),
        name=catalog.name[row], english_name=_opt(catalog.english_name[row]),
        japanese_name=_opt(catalog.japanese_name[row]),
        genres=[g.strip() for g in catalog.genres[row].split(",") if g.strip()],
        type=_opt(catalog.type[row]), year=None if year is None else int(year),
        episodes=None if episodes is None else int(episodes),
        mal_score=None if score is None else round(score, 2), members=int(catalog.members[row]),
        studios=_opt(catalog.studios[row]), is_adult=bool(catalog.is_adult[row]),
        synopsis=catalog.synopsis[row], in_model=bool(catalog.model_row[row] >= 0),
    )


HIGH_SCORE = 7  # MAL's "Good": a score from here up is "rated highly"


@dataclass(frozen=True)
class Favourite:
    """The liked anime a result is closest to, and what the person actually told us about it."""

    title: str
    score: int = 0        # their score (1..10), 0 when they gave none
    stated: bool = False  # they named it as a like (picks, an imported list), not only had it on a list


def because_liked(favourite: Favourite) -> str:
    if 0 < favourite.score < HIGH_SCORE:
        return f"because you rated {favourite.title} {favourite.score}/10"
    if favourite.score or favourite.stated:
        return f"because you liked {favourite.title}"
    return f"because {favourite.title} is on your list"


def users_like_you(count: int, k: int) -> str:
    return f"popular with users like you ({count} of your {k} most similar users loved it)"


TEXT_REASON = "similar synopsis and genres to the anime you picked"
LIKED_TEXT_REASON = "similar synopsis and genres to anime you liked"


def _joined(titles: list[str]) -> str:
    return titles[0] if len(titles) == 1 else f"{', '.join(titles[:-1])} and {titles[-1]}"


def because_list(because: tuple[Because, ...]) -> str:
    """The titles of the viewer's own list that drove a result, in plain words ("liked" only when they were)."""
    liked, listed = [b.title for b in because if b.liked], [b.title for b in because if not b.liked]
    if liked and listed:
        return f"because you liked {_joined(liked)} and have {_joined(listed)} on your list"
    return f"because you liked {_joined(liked)}" if liked else f"because of {_joined(listed)} on your list"


def model_reason(favourite: Favourite | None = None) -> str:
    """Rated highly only for a real high score; a named like is "liked"; anything else "on your list"."""
    if favourite is None:
        return "the model predicts it fits your taste"
    if favourite.score >= HIGH_SCORE:
        told = "which you rated highly"
    elif favourite.score:
        told = f"which you rated {favourite.score}/10"
    else:
        told = "which you liked" if favourite.stated else "which is on your list"
    return f"the model predicts it fits your taste; close to {favourite.title}, {told}"


def popular_reason(score: float | None) -> str:
    rated = f", MAL score {score:.2f}" if score is not None else ""
    return f"top-rated and popular with viewers{rated}"


def genre_reason(genres: list[str]) -> str:
    return f"matches the genres you picked: {', '.join(genres)}"


def series_note(replaced: bool, started: bool) -> str:
    """Say why a franchise is shown by this entry: the next one of a series begun, or where one starts."""
    if started:
        return "next in a series you have started"
    return "where its series starts" if replaced else ""


def similar_reason(title: str, method: Method) -> str:
    if method == Method.TFIDF:
        return f"similar synopsis and genres to {title}"
    return f"watched by the same viewers as {title}"


@dataclass(frozen=True)
class Facts:
    """What the reason of one blended result rests on: the source that contributed most, and what it knows."""

    source: Source
    favourite: Favourite | None = None   # the liked anime it is closest to (content)
    neighbours: int | None = None        # how many of the k most similar users loved it (users)
    k: int = 0
    genres: tuple[str, ...] = ()         # the genres picked on the new-user form
    mal_score: float | None = None
    because: tuple[Because, ...] = ()    # the list entries with the largest parts of its model score


def reason(facts: Facts) -> str:
    """The one-line why of a blended result, from the source that contributed most."""
    source, favourite = facts.source, facts.favourite
    if source == Source.MODEL and facts.because:
        return because_list(facts.because)
    if source == Source.CONTENT:
        return because_liked(favourite) if favourite else TEXT_REASON
    if source == Source.TEXT:
        return LIKED_TEXT_REASON
    if source == Source.USERS and facts.neighbours is not None:
        return users_like_you(facts.neighbours, facts.k)
    if source == Source.GENRES and facts.genres:
        return genre_reason(list(facts.genres))
    if source == Source.POPULAR:
        return popular_reason(facts.mal_score)
    return model_reason(favourite)


# --- notes shown above a list of results ---------------------------------------------------------
NO_PERSONAL_CANDIDATES = "no personalised candidates pass these filters: showing popular anime instead"
NOTHING_SIMILAR = "nothing similar passes these filters"
PICKS_UNSEEN_BY_MODEL = "the model has not seen these anime yet: matched by synopsis and genres"
NOTHING_LIKED = ("nothing on this list reads as a like yet (no scores above 4, nothing completed or watching): "
                 "showing top-rated popular anime instead")


def from_their_list(user_id: int, n_listed: int) -> str:
    return (f"user {user_id} had too few ratings to be part of the model's training ({n_listed} anime on their "
            "list): recommendations read from that list, nothing on it included")


def short_history(user_id: int, n_seen: int) -> str:
    return (f"user {user_id} has only {n_seen} anime on their list: showing "
            "top-rated popular anime they have not seen")
