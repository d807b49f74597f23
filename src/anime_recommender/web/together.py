"""Watch together (page and JSON API) and continue your franchises (JSON API; the user and import pages show it).

Each of two to four people is a numbered slot of the form: `name<i>` (what to call them; "Person <i>" when
empty), and one of `user<i>` (a user ID of the data), `liked<i>` (a few liked titles or MAL ids, one per value
or one per line) or, on a POST, `file<i>` (their MyAnimeList export). The API also takes `user_id` repeated
(one person each, after the slots). Uploads are read into memory only, under the worker's upload slot and
body deadline, the whole body capped like the import's (web/imports.py), then dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Blueprint, jsonify, render_template, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from anime_recommender.recommend import continuation
from anime_recommender.recommend import together as tg
from anime_recommender.recommend.engine import Recommender
from anime_recommender.recommend.errors import RecommenderError, UnknownUserError
from anime_recommender.recommend.mal_export import ExportError, ExportLimits, MalExport, read_export
from anime_recommender.web import service
from anime_recommender.web.errors import respond, sentence
from anime_recommender.web.forms import read_options, read_picks
from anime_recommender.web.imports import FORM_OVERHEAD, InMemoryFormParser
from anime_recommender.web.params import InputError, parse_id, parse_list, shown
from anime_recommender.web.upload_guard import UploadRefused, upload_slot

bp = Blueprint("together", __name__)
MAX_NAME = 40


@dataclass
class Group:
    """The people read from a request, and remarks about what was typed (titles not read surely)."""

    people: list[tg.Person] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class PersonError(InputError):
    """Something wrong with one person's entry: the message names them; `code` 400, or 404 for an unknown user."""

    def __init__(self, message: str, code: int = 400):
        super().__init__(message)
        self.code = code


def _name(values: MultiDict, slot: int) -> str:
    name = " ".join((values.get(f"name{slot}") or "").split())
    if len(name) > MAX_NAME:
        raise PersonError(f"the name of person {slot} is too long: at most {MAX_NAME} characters")
    return name or f"Person {slot}"


def _titles(values: MultiDict, slot: int) -> list[str]:
    """`liked<i>` values, each split at line breaks (the page's box holds one title per line)."""
    return [line.strip() for v in values.getlist(f"liked{slot}") for line in v.splitlines() if line.strip()]


def _person(rec: Recommender, values: MultiDict, slot: int, export: MalExport | None, group: Group) -> None:
    """Add slot `slot`'s person to the group, if the slot is filled."""
    user, titles = (values.get(f"user{slot}") or "").strip(), _titles(values, slot)
    given = [bool(user), bool(titles), export is not None]
    if not any(given):
        return
    name = _name(values, slot)
    if sum(given) > 1:
        raise PersonError(f"{name}: give one of a user ID, a list file or a few titles, not several")
    try:
        if user:
            group.people.append(tg.person_from_user(rec, parse_id(user), name))
        elif export is not None:
            group.people.append(tg.person_from_list(rec, export.rows, name))
        else:
            _from_titles(rec, name, titles, group)
    except UnknownUserError as exc:
        raise PersonError(f"{name}: {exc}", 404) from None
    except (InputError, RecommenderError) as exc:
        message = str(exc)
        raise PersonError(message if message.startswith(name) else f"{name}: {message}") from None


def _from_titles(rec: Recommender, name: str, titles: list[str], group: Group) -> None:
    """A person from liked titles, read by the one title reader; titles not read surely are noted."""
    picks = read_picks(rec, MultiDict([("liked", t) for t in titles]))
    group.people.append(tg.person_from_titles(rec, picks.liked, name))
    for typed, suggestions in picks.unmatched:
        hint = f" (did you mean {', '.join(suggestions[:3])}?)" if suggestions else ""
        group.notes.append(f"{name}: “{shown(typed)}” was not used: it did not surely match one anime{hint}")


def read_group(rec: Recommender, values: MultiDict, exports: dict[int, MalExport] | None = None) -> Group:
    """The people of a together request (slots, then `user_id` values), two to serving.together_max_people."""
    most, exports = rec.cfg.together_max_people, exports or {}
    group = Group()
    for slot in range(1, most + 1):
        _person(rec, values, slot, exports.get(slot), group)
    extra = parse_list(values, "user_id", rec.cfg)
    for i, raw in enumerate(extra, start=len(group.people) + 1):
        _person(rec, MultiDict({f"user{i}": raw}), i, None, group)
    if not tg.MIN_PEOPLE <= len(group.people) <= most:
        raise PersonError(f"watch together is for {tg.MIN_PEOPLE} to {most} people: give each person a user "
                          f"ID, a list file or a few liked titles (got {len(group.people)})")
    return group


def _limits(rec: Recommender) -> ExportLimits:
    cfg = rec.cfg
    return ExportLimits(cfg.import_max_bytes, cfg.import_max_xml_bytes, cfg.import_max_entries)


def read_uploads(rec: Recommender) -> tuple[MultiDict, dict[int, MalExport]]:
    """The form and the exports in `file1`..`file<max>`, read and parsed in memory under an upload slot; the
    whole body is capped like one import (all files together)."""
    limits = _limits(rec)
    with upload_slot():
        request.max_content_length = limits.max_bytes + FORM_OVERHEAD
        request.form_data_parser_class = InMemoryFormParser
        try:
            files, form = request.files, request.form
        except RequestEntityTooLarge:
            raise ExportError(f"the files are too large: at most {limits.max_bytes // 2**20} MB for all of them "
                              "together", 413) from None
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
                    raise ExportError(f"{_name(form, slot)}'s file: {exc}", exc.code) from None
        return form, exports


def _answer(rec: Recommender, values: MultiDict, exports: dict[int, MalExport] | None = None):
    group = read_group(rec, values, exports)
    options = read_options(rec, values)
    found = tg.recommend_together(rec, group.people, options.n, options.filters)
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


@bp.get("/together")
def page():
    """The group form; with people in the address, their list (a shareable URL)."""
    rec = service.get_recommender()
    if not _filled(request.args):
        return _page(rec, request.args)
    try:
        return _page(rec, request.args, found=_answer(rec, request.args))
    except PersonError as exc:
        return _page(rec, request.args, exc.code, error=sentence(str(exc)))
    except (InputError, RecommenderError) as exc:
        return _page(rec, request.args, 400, error=sentence(str(exc)))


@bp.post("/together")
def page_upload():
    """The group's list when some people uploaded their MyAnimeList export."""
    rec = service.get_recommender()
    try:
        form, exports = read_uploads(rec)
    except UploadRefused as exc:
        return *_page(rec, MultiDict(), exc.code, error=sentence(str(exc))), exc.headers
    except ExportError as exc:
        return _page(rec, MultiDict(), exc.code, error=sentence(str(exc)))
    try:
        return _page(rec, form, found=_answer(rec, form, exports), share=None if exports else _share(form))
    except PersonError as exc:
        return _page(rec, form, exc.code, error=sentence(str(exc)))
    except (InputError, RecommenderError) as exc:
        return _page(rec, form, 400, error=sentence(str(exc)))


def _api(values: MultiDict, exports: dict[int, MalExport] | None = None):
    rec = service.get_recommender()
    try:
        return jsonify(_answer(rec, values, exports).to_dict())
    except PersonError as exc:
        return respond(exc.code, str(exc), kind="user" if exc.code == 404 else "")


@bp.get("/api/v1/recommendations/together")
def api():
    """JSON: the group's list; people as `user_id` repeated, or numbered slots (see the module docstring)."""
    return _api(request.args)


@bp.post("/api/v1/recommendations/together")
def api_upload():
    """JSON: the group's list with uploaded exports (multipart `file<i>`); filters in the query or the form."""
    rec = service.get_recommender()
    try:
        form, exports = read_uploads(rec)
    except UploadRefused as exc:
        return *respond(exc.code, str(exc), title=exc.title), exc.headers
    except ExportError as exc:
        return respond(exc.code, str(exc))
    return _api(MultiDict([*request.args.items(multi=True), *form.items(multi=True)]), exports)


@bp.get("/api/v1/users/<user_id>/continue")
def api_continue(user_id: str):
    """JSON: the next unwatched main entry of every franchise the user started and did not drop."""
    rec = service.get_recommender()
    uid = parse_id(user_id)
    return jsonify({"user_id": uid, "continue": [e.to_dict() for e in continuation.for_user(rec, uid)]})
