"""Watch together (page and JSON API) and continue your franchises (JSON API; the user and import pages show it).

Each of two to four people is a numbered slot of the form (web/queries.together_query): `name<i>` (what to call
them; "Person <i>" when empty), and one of `user<i>` (a user ID of the data), `liked<i>` (a few liked titles or
MAL ids, one per value or one per line) or, on a POST, `file<i>` (their MyAnimeList export). The API also takes
`user_id` repeated (one person each, after the slots). Uploads are read into memory only, under the worker's
upload slot and body deadline, the whole body capped like the import's (web/imports.py), then dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Blueprint, jsonify, render_template, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from anime_recommender.recommend import together as tg
from anime_recommender.recommend.engine import Recommender
from anime_recommender.recommend.errors import RecommenderError, UnknownUserError
from anime_recommender.recommend.mal_export import ExportError, MalExport, read_export
from anime_recommender.web import bodies, queries, service
from anime_recommender.web.declare import Operation, answer, attach, bounds, read, route
from anime_recommender.web.errors import respond, sentence
from anime_recommender.web.forms import picks_of
from anime_recommender.web.imports import InMemoryFormParser, export_limits, export_status
from anime_recommender.web.params import InputError, shown
from anime_recommender.web.queries import Query
from anime_recommender.web.upload_guard import UploadRefused, upload_slot

bp = Blueprint("together", __name__)
api_bp = Blueprint("together_api", __name__)  # registered under /api/v1
SUMMARY = "One list for 2 to 4 people that nobody in the group has on their list, with each person's reason"
# parsed after the files are read (under the upload slot); documented by web/openapi.py
UPLOAD = Operation(summary=SUMMARY + ", from uploaded MyAnimeList exports (multipart file<i>)",
                   answer=bodies.TogetherRecommendations, query=queries.together_query,
                   errors=(400, 404, 408, 413, 503), upload=queries.together_upload, method="POST")


class PersonNotFound(UnknownUserError):
    """A user ID of one person that is nowhere in the data: a 404 that names the person."""

    def __init__(self, name: str, user_id: int):
        self.user_id = user_id
        ValueError.__init__(self, f"{name}: {UnknownUserError(user_id)}")


@dataclass(frozen=True)
class Given:
    """What one person gave (one of a user ID, liked titles or a list file), under their name."""

    name: str
    user: int | None = None
    titles: list[str] = field(default_factory=list)
    export: MalExport | None = None


@dataclass
class Group:
    """The people read from a request, and remarks about what was typed (titles not read surely)."""

    people: list[tg.Person] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def one_per_line(values: MultiDict) -> MultiDict:
    """The values with each `liked<i>` split at line breaks (the page's box holds one title per line)."""
    out = MultiDict()
    for key, value in values.items(multi=True):
        parts = value.splitlines() if key.startswith("liked") else [value]
        for part in parts:
            out.add(key, part)
    return out


def _person(rec: Recommender, query: Query, slot: int, *, export: MalExport | None, group: Group) -> None:
    """Add slot `slot`'s person to the group, if the slot is filled."""
    user, titles = getattr(query, f"user{slot}", None), getattr(query, f"liked{slot}", [])
    given = [user is not None, bool(titles), export is not None]
    if not any(given):
        return
    name = getattr(query, f"name{slot}", None) or f"Person {slot}"
    if sum(given) > 1:
        raise InputError(f"{name}: give one of a user ID, a list file or a few titles, not several")
    group.people.append(_made(rec, Given(name, user, titles, export), group))


def _made(rec: Recommender, given: Given, group: Group) -> tg.Person:
    """One person from what was given; errors say whose entry was wrong."""
    name, user, titles, export = given.name, given.user, given.titles, given.export
    try:
        if user is not None:
            return rec.person_from_user(user, name)
        if export is not None:
            return rec.person_from_list(export.rows, name)
        return _from_titles(rec, name, titles, group=group)
    except UnknownUserError:
        raise PersonNotFound(name, user) from None
    except (InputError, RecommenderError) as exc:
        message = str(exc)
        raise InputError(message if message.startswith(name) else f"{name}: {message}") from None


def _from_titles(rec: Recommender, name: str, titles: list[str], *, group: Group) -> tg.Person:
    """A person from liked titles, read by the one title reader; titles not read surely are noted."""
    picks = picks_of(rec, read(queries.picks_query(bounds(rec)), MultiDict([("liked", t) for t in titles])))
    for typed, suggestions in picks.unmatched:
        hint = f" (did you mean {', '.join(suggestions[:3])}?)" if suggestions else ""
        group.notes.append(f"{name}: “{shown(typed)}” was not used: it did not surely match one anime{hint}")
    return rec.person_from_titles(picks.liked, name)


def read_group(rec: Recommender, query: Query, exports: dict[int, MalExport] | None = None) -> Group:
    """The people of a together request (slots, then `user_id` values), two to serving.together_max_people."""
    most, exports = rec.cfg.together_max_people, exports or {}
    group = Group()
    for slot in range(1, most + 1):
        _person(rec, query, slot, export=exports.get(slot), group=group)
    for number, user in enumerate(query.user_id, start=len(group.people) + 1):
        group.people.append(_made(rec, Given(f"Person {number}", user), group))
    if not tg.MIN_PEOPLE <= len(group.people) <= most:
        raise InputError(f"watch together is for {tg.MIN_PEOPLE} to {most} people: give each person a user "
                         f"ID, a list file or a few liked titles (got {len(group.people)})")
    return group


def read_uploads(rec: Recommender) -> tuple[MultiDict, dict[int, MalExport]]:
    """The form and the exports in `file1`..`file<max>`, read and parsed in memory under an upload slot; the
    whole body is capped like one import (all files together)."""
    limits = export_limits(rec)
    with upload_slot():
        request.max_content_length = limits.max_bytes + rec.cfg.max_body_bytes
        request.form_data_parser_class = InMemoryFormParser
        try:
            files, form = request.files, request.form
        except RequestEntityTooLarge:
            raise ExportError(f"the files are too large: at most {limits.max_bytes // 2**20} MB for all of them "
                              "together", too_large=True) from None
        except ValueError:
            raise ExportError("the form could not be read (a broken multipart body): upload the files from the "
                              "watch together page") from None
        exports = {}
        for slot in range(1, rec.cfg.together_max_people + 1):
            upload = files.get(f"file{slot}")
            data = upload.stream.read(limits.max_bytes + 1) if upload is not None else b""
            if upload is not None:
                upload.close()
            if data:  # a browser sends an empty part for a file field left empty
                try:
                    exports[slot] = read_export(data, limits)
                except ExportError as exc:
                    whose = (form.get(f"name{slot}") or "").strip()[:rec.cfg.max_text_length] or f"Person {slot}"
                    raise ExportError(f"{whose}'s file: {exc}", too_large=exc.too_large) from None
        return form, exports


def _answer(rec: Recommender, values: MultiDict, exports: dict[int, MalExport] | None = None):
    query = UPLOAD.parse(rec, one_per_line(values))
    group = read_group(rec, query, exports)
    found = rec.watch_together(group.people, query.n, filters=query.filters())
    found.notes.extend(group.notes)
    return found


def _page(rec: Recommender, values: MultiDict, status: int = 200, **context):
    return render_template("together.html", genres=rec.genres, types=rec.types, args=values, max_n=rec.cfg.max_n,
                           slots=range(1, rec.cfg.together_max_people + 1), **context), status


def _share(values: MultiDict) -> str:
    """The GET address of a list made without files: the same people and filters, shareable."""
    return f"{request.path}?{urlencode([(k, v) for k, v in values.items(multi=True) if v.strip()])}"


def _filled(values: MultiDict) -> bool:
    return any(values.get(k) for k in values if k.startswith(("user", "liked", "name")))


def _page_answer(rec: Recommender, values: MultiDict, exports: dict[int, MalExport] | None = None, **context):
    """The page with the group's list, or with what was wrong (the form kept)."""
    try:
        return _page(rec, values, found=_answer(rec, values, exports), **context)
    except UnknownUserError as exc:
        return _page(rec, values, 404, error=sentence(str(exc)))
    except (InputError, RecommenderError) as exc:
        return _page(rec, values, 400, error=sentence(str(exc)))


@bp.get("/together")
def page():
    """The group form; with people in the address, their list (a shareable URL)."""
    rec = service.get_recommender()
    if not _filled(request.args):
        return _page(rec, request.args)
    return _page_answer(rec, request.args)


@bp.post("/together")
def page_upload():
    """The group's list from the form (with or without list files)."""
    rec = service.get_recommender()
    try:
        form, exports = read_uploads(rec)
    except UploadRefused as exc:
        return *_page(rec, MultiDict(), exc.code, error=sentence(str(exc))), exc.headers
    except ExportError as exc:
        return _page(rec, MultiDict(), export_status(exc), error=sentence(str(exc)))
    return _page_answer(rec, form, exports, share=None if exports else _share(form))


@route(api_bp, "/recommendations/together", summary=SUMMARY, query=queries.together_query,
       answer=bodies.TogetherRecommendations)
def api(rec: Recommender, query: Query):
    """JSON: the group's list; people as `user_id` repeated, or numbered slots (see the module docstring)."""
    group = read_group(rec, query)
    found = rec.watch_together(group.people, query.n, filters=query.filters())
    found.notes.extend(group.notes)
    return found


@api_bp.post("/recommendations/together")
@attach(UPLOAD)
def api_upload():
    """JSON: the group's list with uploaded exports (multipart `file<i>`); the other fields in the query or the
    form."""
    rec = service.get_recommender()
    try:
        form, exports = read_uploads(rec)
    except UploadRefused as exc:
        return *respond(exc.code, str(exc), title=exc.title), exc.headers
    except ExportError as exc:
        return respond(export_status(exc), str(exc))
    values = MultiDict([*request.args.items(multi=True), *form.items(multi=True)])
    return jsonify(answer(UPLOAD.answer, _answer(rec, values, exports).to_dict()))


@route(api_bp, "/users/<user_id>/continue", answer=bodies.Continuation, query=queries.continue_query,
       summary="The next unwatched main entry of every franchise the user started and did not drop, in watch "
               "order, with how many main entries remain; titles given as `hide` are left out, `seen` ones "
               "count as watched")
def api_continue(rec: Recommender, query: Query, user_id: int):
    return {"user_id": user_id, "continue": [e.to_dict() for e in rec.continue_for_user(user_id, query.filters())]}
