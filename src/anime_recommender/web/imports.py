"""Bring your own list: the MyAnimeList import page (the site's only POST) and its JSON API twin.

Nothing uploaded is kept: the file is read into memory (never a temporary file), capped, parsed, used for
this one answer and dropped; the request's log line holds no more than any other request's.
"""
from __future__ import annotations

import io

from flask import Blueprint, current_app, g, jsonify, render_template, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import MethodNotAllowed, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

from anime_recommender.config import ServingConfig
from anime_recommender.recommend.engine import Recommender
from anime_recommender.recommend.lists import ListReading
from anime_recommender.recommend.mal_export import ExportError, ExportLimits, MalExport, read_export
from anime_recommender.web import bodies, queries, service
from anime_recommender.web.declare import Operation, answer, attach
from anime_recommender.web.errors import respond
from anime_recommender.web.params import InputError
from anime_recommender.web.signed_list import MAX_TOKEN_BYTES, read_signed, sign_export
from anime_recommender.web.title_check import naming_other_anime
from anime_recommender.web.upload_guard import UploadRefused, upload_slot

bp = Blueprint("imports", __name__)


# parsed after the upload is read (under its slot), by _answer; documented by web/openapi.py
IMPORT = Operation(summary="Recommendations for an uploaded MyAnimeList export (.xml or .xml.gz)",
                   answer=bodies.ListRecommendations, query=queries.import_query, errors=(400, 413, 503),
                   upload=queries.export_upload, method="POST")


class InMemoryFormParser(FormDataParser):
    """Multipart parsing whose uploaded files stay in memory: nothing uploaded ever touches the disk. Not
    silent: a form that cannot be read is said so (werkzeug would drop every field and the file)."""

    def __init__(self, stream_factory=None, **kwargs):
        kwargs["silent"] = False
        super().__init__(stream_factory=lambda *_args, **_kwargs: io.BytesIO(), **kwargs)


def export_limits(rec: Recommender) -> ExportLimits:
    cfg = rec.cfg
    return ExportLimits(cfg.import_max_bytes, cfg.import_max_xml_bytes, cfg.import_max_entries)


def _uploaded_export(rec: Recommender) -> MalExport:
    """The export in the multipart field `file`, read and parsed holding one of the worker's upload slots:
    ExportError or UploadRefused (4xx / 503) for anything that is not a usable one."""
    limits = export_limits(rec)
    with upload_slot():
        # this route only: the app allows serving.max_body_bytes, which also bounds the form fields around the file
        request.max_content_length = limits.max_bytes + rec.cfg.max_body_bytes
        request.form_data_parser_class = InMemoryFormParser
        try:
            upload = request.files.get("file")
        except RequestEntityTooLarge:
            raise _too_large(limits) from None
        except ValueError:  # a part header that is not UTF-8, no boundary, a body cut inside a part
            raise ExportError("the upload's form could not be read (a part header that is not UTF-8 text, or a "
                              "broken multipart body): upload the file from the import page") from None
        if upload is None:
            raise ExportError("choose your MyAnimeList export file (the multipart form field `file`)")
        data = upload.stream.read(limits.max_bytes + 1)
        upload.close()
        export = read_export(data, limits)
        g.titles_naming_other_anime = naming_other_anime(export, rec.catalog)  # shown by _demo_notice.html
        return export


def _too_large(limits: ExportLimits) -> ExportError:
    """The whole body over the limit, or (within it) a form that is not the import form's shape."""
    if request.content_length is not None and request.content_length <= request.max_content_length:
        return ExportError(f"the form is not the import form: at most {request.max_form_parts} fields, and at "
                           f"most {request.max_form_memory_size // 1000} KB in a field other than the file",
                           too_large=True)
    return ExportError(f"the file is too large: at most {limits.max_bytes // 2**20} MB", too_large=True)


def export_status(exc: ExportError) -> int:
    """The HTTP answer to a refused export: 413 when it broke a size limit, else 400."""
    return 413 if exc.too_large else 400


def _answer(rec: Recommender, export: MalExport, values):
    """Recommendations for the export with the filters in `values` (form fields or query parameters), and
    the switches: include_planned (Plan to Watch may come back) and dropped_dislikes (Dropped pushes away)."""
    query = IMPORT.parse(rec, values)
    reading = ListReading(query.include_planned, query.dropped_dislikes)
    return rec.recommend_import(export, query.n, query.filters(), reading=reading)


def _serving(rec: Recommender | None) -> ServingConfig:
    """The serving config, from the recommender or (no model loaded) the app's."""
    return rec.cfg if rec else current_app.config["APP_CONFIG"].serving


def _next_up(rec: Recommender, export: MalExport, values) -> list:
    """Continue your franchises for the list (recommend/continuation.py): adult titles, "Not interested" and
    "Seen it" as the filters say."""
    return rec.continue_list(export.rows, IMPORT.parse(rec, values).filters())


def _shown(rec: Recommender, export: MalExport, values) -> dict:
    """The results page's context: the recommendations and where the list and they sit among the anime."""
    recs = _answer(rec, export, values)
    picture = rec.taste_picture(export.rows.anime_ids, [r.anime.anime_id for r in recs.recs.results])
    return {"recs": recs, "picture": picture}


def _page(rec: Recommender | None, status: int = 200, form=None, **context):
    """The import page; `form` (the fields to show again) is the request's form unless the body was not read."""
    return render_template("import.html", genres=rec.genres if rec else [], types=rec.types if rec else [],
                           args=request.form if form is None else form, max_n=_serving(rec).max_n,
                           **context), status


@bp.get("/import")
def form():
    """The upload form: one file field and the usual filters."""
    return _page(service.get_recommender())


@bp.post("/import")
def upload():
    """The recommendations page for an uploaded list, or the form again with what was wrong with the file."""
    rec = service.get_recommender()
    try:
        export = _uploaded_export(rec)
        return _page(rec, **_shown(rec, export, request.form), signed=sign_export(export),
                     next_up=_next_up(rec, export, request.form))
    except UploadRefused as exc:
        return *_page(rec, exc.code, form=MultiDict(), error=str(exc)), exc.headers
    except ExportError as exc:
        return _page(rec, export_status(exc), error=str(exc))
    except InputError as exc:
        return _page(rec, 400, error=str(exc))


@bp.post("/import/again")
def again():
    """The same list with other filters, hides or switches: read from the signed list the results page
    carries (web/signed_list.py), no upload, nothing stored."""
    rec = service.get_recommender()
    request.max_content_length = MAX_TOKEN_BYTES + rec.cfg.max_body_bytes
    try:
        with upload_slot():  # a body of up to 1 MiB: read under the same slot and deadline as an upload
            signed = request.form.get("list", "")
        export = read_signed(signed, rec.cfg.import_max_entries)
    except UploadRefused as exc:
        return *_page(rec, exc.code, form=MultiDict(), error=str(exc)), exc.headers
    except ExportError as exc:
        return _page(rec, export_status(exc), error=str(exc))
    try:
        return _page(rec, **_shown(rec, export, request.form), signed=signed,
                     next_up=_next_up(rec, export, request.form))
    except InputError as exc:
        return _page(rec, 400, error=str(exc), signed=signed)


@bp.post("/api/v1/recommendations/import")
@attach(IMPORT)
def api():
    """JSON: the new-user answer for the list, plus `imported` (entries, matched, unknown_ids, by_status)."""
    rec = service.get_recommender()
    try:
        export = _uploaded_export(rec)
    except UploadRefused as exc:
        return *respond(exc.code, str(exc), title=exc.title), exc.headers
    except ExportError as exc:
        return respond(export_status(exc), str(exc))
    body = _answer(rec, export, request.args).to_dict()
    body["continue"] = [e.to_dict() for e in _next_up(rec, export, request.args)]
    return jsonify(answer(IMPORT.answer, body))


@bp.get("/api/v1/recommendations/import")
def api_needs_post():
    """A GET here is a 405 naming POST (errors._http adds the Allow header, RFC 9110)."""
    raise MethodNotAllowed(["POST"], "POST your MyAnimeList export as the multipart form field `file` (see the README)")
