"""Step 5 of every request, the records: each chosen entry as a Recommendation with its reason, and the
answer around them (UserRecommendations, NewUserRecommendations, ListRecommendations, SimilarAnime; a group's
TogetherRecommendations, each person's reason; continue your franchises' NextEntry list).

The one place results are built; the wording itself is explain.py's.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from anime_recommender.recommend import continuation
from anime_recommender.recommend import explain as ex
from anime_recommender.recommend import together as tg
from anime_recommender.recommend.catalog import Catalog
from anime_recommender.recommend.content import closest_favourite
from anime_recommender.recommend.explain import Method, Source
from anime_recommender.recommend.franchise import Grouped
from anime_recommender.recommend.hybrid import Ranked, main_source
from anime_recommender.recommend.lists import Taste
from anime_recommender.recommend.mal_export import MalExport
from anime_recommender.recommend.results import (
    GroupMember,
    ImportSummary,
    ListRecommendations,
    NewUserRecommendations,
    NextEntry,
    PersonReason,
    SimilarAnime,
    TogetherItem,
    TogetherRecommendations,
    UserProfile,
    UserRecommendations,
)
from anime_recommender.recommend.sources import MAX_FAVOURITES, Scored
from anime_recommender.recommend.tower import UserTower
from anime_recommender.recommend.users import genre_profile
from anime_recommender.recommend.vectors import UserVector

MOST_BECAUSE = 3  # list entries named in a reason
PERSON_BECAUSE = 2  # titles of a person's list named in their reason on a group's list


@dataclass(frozen=True)
class Evidence:
    """What reasons read: the catalog (display records) and, by model row, the MAL ids, the unit embeddings
    (the favourite closest to a result) and the factors with the user tower (each entry's exact part)."""

    catalog: Catalog
    anime_ids: np.ndarray
    embeddings: np.ndarray
    factors: np.ndarray
    tower: UserTower | None


@dataclass(frozen=True)
class Found:
    """What steps 2-4 found for one request: the user vector, the scores (None: popular only), the ranking,
    and the list they came from (None for a trained user's history)."""

    user: UserVector
    scored: Scored | None
    ranked: Ranked
    taste: Taste | None = None

    @property
    def genres(self) -> tuple[str, ...]:
        return self.taste.genres if self.taste is not None else ()


# --- one result ---------------------------------------------------------------------------------
def results(ev: Evidence, found: Found) -> list[ex.Recommendation]:
    """The chosen entries as records, each explained by the candidate it stands for."""
    ranked, catalog = found.ranked, ev.catalog
    if ranked.popular:
        return [_record(catalog, p, float(ranked.total[catalog.model_row[p.stands_for]]), source=Source.POPULAR,
                        reason=ex.popular_reason(ex.mal_score_of(catalog, p.row))) for p in ranked.picks]
    if not ranked.picks:
        return []
    rows = catalog.model_row[[p.stands_for for p in ranked.picks]].astype(np.int64)
    closest = _closest_favourites(ev, found.scored, rows)
    contributors = _top_contributors(ev, found, rows)
    out = []
    for p, r in zip(ranked.picks, rows, strict=True):
        because = _because(ev, found.user, found.scored, found=contributors.get(int(r), []))
        facts = _facts(catalog, (r, Source(main_source(ranked.parts, r))), found,
                       closest=closest.get(int(r)), because=because)
        record = _record(catalog, p, float(ranked.total[r]), source=facts.source, reason=ex.reason(facts))
        out.append(replace(record, components={k: float(v[r]) for k, v in ranked.parts.items()}, because=because))
    return out


def _record(catalog: Catalog, shown: Grouped, score: float, *, source: Source, reason: str) -> ex.Recommendation:
    """One result: the anime shown, scored and explained by the candidate it stands for (its franchise's best)."""
    return ex.Recommendation(anime=ex.anime_info(catalog, shown.row), score=score, source=source, explanation=reason,
                             more_in_series=shown.more,
                             series_note=ex.series_note(shown.row != shown.stands_for, shown.started))


def _closest_favourites(ev: Evidence, scored: Scored, rows: np.ndarray) -> dict[int, int]:
    """For the shown results only, the favourite (model row) each is closest to."""
    if scored.favourites is None or not len(rows):
        return {}
    return dict(zip(rows.tolist(), closest_favourite(ev.embeddings, rows, scored.favourites).tolist(), strict=True))


def _top_contributors(ev: Evidence, found: Found, rows: np.ndarray) -> dict[int, list]:
    """For each shown model row, up to MOST_BECAUSE (pooled row, share) of the list entries with the largest
    positive parts of its model score (tower.contributions: exact), shares of the positive parts."""
    pool = found.user
    if Source.MODEL not in found.scored.scores or not len(pool.rows) or not len(rows) or ev.tower is None:
        return {}
    return _largest_parts(ev, pool, rows, most=MOST_BECAUSE)


def _largest_parts(ev: Evidence, pool: UserVector, rows: np.ndarray, *, most: int) -> dict[int, list]:
    """For each model row of `rows`, up to `most` (pooled row, share) of `pool`'s entries with the largest
    positive parts of its model score (tower.contributions: exact), shares of the positive parts."""
    parts = ev.tower.contributions(pool.rows, pool.weights, ev.factors[rows])
    out = {}
    for column, row in enumerate(rows.tolist()):
        part = parts[:, column]
        positive = float(part[part > 0].sum())
        best = np.argsort(-part, kind="stable")[:most]
        out[row] = [(int(pool.rows[j]), float(part[j]) / positive) for j in best if part[j] > 0]
    return out


def _because(ev: Evidence, user: UserVector, scored: Scored,
             *, found: list[tuple[int, float]]) -> tuple[ex.Because, ...]:
    """Display records of the list entries (model rows) that drove one result, with their shares."""
    catalog = ev.catalog

    def liked(row: int) -> bool:
        score = user.scores.get(row, 0)
        return score >= ex.HIGH_SCORE or (scored.stated and score == 0 and not user.listed)
    return tuple(ex.Because(anime_id=int(ev.anime_ids[r]), title=ex.title_of(catalog, catalog.cat_row[r]),
                            share=share, liked=liked(r)) for r, share in found)


def _facts(catalog: Catalog, result: tuple[int, Source], found: Found, *, closest: int | None,
           because: tuple[ex.Because, ...]) -> ex.Facts:
    """The facts the reason of one result (model row, main source) needs, for explain.reason's wording."""
    row, source = result
    scored, favourite = found.scored, None
    if closest is not None:
        favourite = ex.Favourite(title=ex.title_of(catalog, catalog.cat_row[closest]),
                                 score=int(scored.favourite_scores.get(closest, 0)), stated=scored.stated)
    neighbours = None if scored.neighbour_counts is None else int(scored.neighbour_counts[row])
    return ex.Facts(source=source, favourite=favourite, neighbours=neighbours, k=scored.k, genres=found.genres,
                    mal_score=ex.mal_score_of(catalog, catalog.cat_row[row]), because=because)


# --- the answers --------------------------------------------------------------------------------
def trained_user(ev: Evidence, user_id: int, mode: str, *, found: Found, note: str = "") -> UserRecommendations:
    """A trained user's answer; a note when their personal scores left nothing and popular anime stand in."""
    if found.ranked.popular and found.scored is not None:
        note = note or ex.NO_PERSONAL_CANDIDATES
    return UserRecommendations(user_id=int(user_id), mode=mode, results=results(ev, found), note=note)


def _list_mode(found: Found) -> str:
    """model | tfidf | genres | popular: what a list's results mostly rest on."""
    if Source.MODEL in found.scored.scores:
        return "model"
    return "tfidf" if len(found.taste.liked) else ("genres" if found.taste.genres else "popular")


def _list_note(found: Found) -> str:
    taste = found.taste
    if not len(taste.liked) and not taste.genres:
        return ex.NOTHING_LIKED
    return ex.PICKS_UNSEEN_BY_MODEL if len(taste.liked) and not len(found.user.rows) else ""


def listed_user(ev: Evidence, user_id: int, n_listed: int, *, found: Found) -> UserRecommendations:
    """A user training left out, answered from their list."""
    note = " ".join(filter(None, (ex.from_their_list(user_id, n_listed), _list_note(found))))
    return UserRecommendations(user_id=user_id, mode=_list_mode(found), results=results(ev, found), note=note)


def new_user(ev: Evidence, found: Found) -> NewUserRecommendations:
    """Picks or a list: its strongest likes and first dislikes echoed (not a whole list), then the results."""
    taste, catalog = found.taste, ev.catalog
    return NewUserRecommendations(liked=[ex.anime_info(catalog, r) for r in taste.liked[:MAX_FAVOURITES]],
                                  disliked=[ex.anime_info(catalog, r) for r in taste.disliked[:MAX_FAVOURITES]],
                                  genres=list(taste.genres), mode=_list_mode(found), results=results(ev, found),
                                  note=_list_note(found))


def imported(ev: Evidence, found: Found, export: MalExport, *, unknown: list[int],
             loved: np.ndarray) -> ListRecommendations:
    """An imported list's answer: the new-user answer, what the file held, the genres of its favourites."""
    summary = ImportSummary(entries=export.entries, matched=len(export.rows) - len(unknown), unknown_ids=unknown,
                            by_status=export.rows.by_status(), skipped=export.skipped,
                            bad_scores=export.bad_scores, duplicates=export.duplicates)
    genres = genre_profile(ev.catalog.genre_matrix, loved, ev.catalog.genre_names)
    return ListRecommendations(recs=new_user(ev, found), imported=summary, genres=genres)


def user_profile(catalog: Catalog, user_id: int, counts: tuple[int, int, int], *, loved: np.ndarray,
                 shown: tuple[int, list[tuple[int, float]]]) -> UserProfile:
    """A user's profile: `counts` = (on their list, rated, the score their favourites start at), `loved` their
    favourites' catalog rows (best first), `shown` = (how many favourites to list, their nearest users)."""
    (n_seen, n_rated, threshold), (loved_limit, similar_users) = counts, shown
    return UserProfile(user_id=user_id, n_seen=n_seen, n_rated=n_rated, loved_threshold=threshold,
                       genres=genre_profile(catalog.genre_matrix, loved, catalog.genre_names),
                       loved=[ex.anime_info(catalog, r) for r in loved[:loved_limit]], similar_users=similar_users)


def similar_anime(catalog: Catalog, row: int, similar: tuple[Method, np.ndarray, np.ndarray],
                  *, picks: list[Grouped], series: np.ndarray) -> SimilarAnime:
    """Anime like catalog row `row`: `similar` is (method, catalog rows, similarities), `picks` the entries
    shown of them, `series` its franchise's rows in airing order."""
    method, rows, scores = similar
    info = ex.anime_info(catalog, row)
    similarity = dict(zip(rows.tolist(), scores.tolist(), strict=True))
    reason = ex.similar_reason(info.title, method)
    found = [ex.Recommendation(anime=ex.anime_info(catalog, p.row), score=similarity[p.stands_for],
                               source=Source.SIMILAR, explanation=reason, more_in_series=p.more,
                               series_note=ex.series_note(p.row != p.stands_for, False)) for p in picks]
    return SimilarAnime(anime=info, method=method, method_label=ex.METHOD_LABELS[method], results=found,
                        note="" if found else ex.NOTHING_SIMILAR, series=[ex.anime_info(catalog, r) for r in series])


def together(ev: Evidence, people: list[tg.Person], ranked: tg.GroupRanked) -> TogetherRecommendations:
    """A group's answer: its entries, each with every person's reason, and who the people are."""
    catalog = ev.catalog
    rows = catalog.model_row[[p.stands_for for p in ranked.picks]].astype(np.int64)
    reasons = _person_reasons(ev, people, ranked, rows=rows)
    results = [TogetherItem(ex.anime_info(catalog, p.row), float(ranked.total[r]), reasons[i], p.more,
                            ex.series_note(p.row != p.stands_for, p.started))
               for i, (p, r) in enumerate(zip(ranked.picks, rows, strict=True))]
    members = [GroupMember(p.name, p.kind, int(len(p.listed)), tuple(ex.title_of(catalog, r) for r in p.liked))
               for p in people]
    return TogetherRecommendations(members, ranked.aggregation, results, "" if results else tg.NOTHING_FOR_GROUP)


def _person_reasons(ev: Evidence, people: list[tg.Person], ranked: tg.GroupRanked,
                    *, rows: np.ndarray) -> list[tuple[PersonReason, ...]]:
    """Per result row, per person: the entries of their list with the largest parts of their score, and
    the share of the candidates they rank above it."""
    if not len(rows):
        return []
    per_person = []
    candidates = max(int(ranked.mask.sum()), 1)
    for person, scores in zip(people, ranked.scores, strict=True):
        largest = _largest_parts(ev, person.user, rows, most=PERSON_BECAUSE)
        others = scores[ranked.mask]
        per_person.append([PersonReason(person.name, _named(ev, largest[r]),
                                        float((others > scores[r]).sum() / candidates)) for r in rows.tolist()])
    return [tuple(person[j] for person in per_person) for j in range(len(rows))]


def _named(ev: Evidence, found: list[tuple[int, float]]) -> tuple[ex.Because, ...]:
    """Display records of a person's list entries (model rows) behind one group result, with their shares."""
    return tuple(ex.Because(int(ev.anime_ids[r]), ex.title_of(ev.catalog, ev.catalog.cat_row[r]), share)
                 for r, share in found)


def next_entries(catalog: Catalog, found: list[continuation.Next]) -> list[NextEntry]:
    """Continue your franchises' records: each franchise's next main entry, named after its first one."""
    return [NextEntry(ex.anime_info(catalog, n.row), ex.title_of(catalog, n.first), n.watched, n.remaining,
                      n.planned) for n in found]
