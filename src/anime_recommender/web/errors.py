"""One place that turns every failure into a friendly page or a JSON error, never a traceback."""
from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, make_response, render_template, request
from jinja2 import TemplateNotFound
from werkzeug.exceptions import HTTPException

from anime_recommender.recommend.errors import RecommenderError, UnknownAnimeError, UnknownUserError
from anime_recommender.web.bodies import Error
from anime_recommender.web.declare import answer
from anime_recommender.web.params import InputError
from anime_recommender.web.service import ModelUnavailable
from anime_recommender.web.upload_guard import framing_error

log = logging.getLogger(__name__)

TITLES = {400: "That request did not make sense", 404: "Not found", 405: "Method not allowed",
          408: "The upload took too long", 413: "Request too large", 414: "Address too long",
          500: "Something went wrong", 503: "Model not available yet"}


def sentence(message: str) -> str:
    """A message as a plain sentence for a page: a capital first letter and a full stop."""
    message = message.strip()
    if not message:
        return message
    first = message.split(" ", 1)[0]
    capital = first.isalpha() and len(first) > 1  # not a parameter name such as 'n' or 'year_min'
    return (message[0].upper() if capital else message[0]) + message[1:] + ("" if message[-1] in ".?!" else ".")


def respond(code: int, message: str, *, suggestions: list[str] | None = None, kind: str = "",
            title: str | None = None):
    """A JSON error under /api/ (the declared bodies.Error), otherwise the page `{code}.html` (or error.html);
    `kind` (user, anime) picks the page's help."""
    title = title or TITLES.get(code, "Error")
    if request.path.startswith("/api/"):
        detail = {"code": code, "title": title, "message": message}
        if suggestions:
            detail["suggestions"] = suggestions
        return jsonify(answer(Error, {"error": detail})), code
    context = {"code": code, "title": title, "message": sentence(message), "suggestions": suggestions or [],
               "kind": kind}
    try:
        return render_template(f"{code}.html", **context), code
    except TemplateNotFound:
        return render_template("error.html", **context), code


def _http(exc: HTTPException):
    """The friendly body, with the exception's own headers kept (`Allow` on a 405, `Retry-After`, ...)."""
    response = make_response(respond(exc.code or 500, exc.description or TITLES.get(exc.code, "error")))
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _unexpected(exc: Exception):
    if framing_error(exc):  # a body the server cannot frame, read outside the upload routes' guard
        log.warning("malformed request on %s: %s", ascii(request.path[:200]), ascii(str(exc)[:200]))
        return respond(400, "the request is malformed (its framing is broken): send it again")
    log.exception("unhandled error on %s", ascii(request.path[:200]))
    return respond(500, "an unexpected error happened on our side; it has been logged")


def register_errorhandlers(app: Flask) -> None:
    """Map HTTP errors, input errors, unknown ids, a missing model and anything else to responses."""
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(InputError, lambda e: respond(400, str(e)))
    app.register_error_handler(UnknownUserError, lambda e: respond(404, str(e), kind="user"))
    app.register_error_handler(UnknownAnimeError,
                               lambda e: respond(404, str(e), suggestions=e.suggestions, kind="anime"))
    app.register_error_handler(RecommenderError, lambda e: respond(400, str(e)))
    app.register_error_handler(ModelUnavailable, lambda e: respond(503, str(e)))
    app.register_error_handler(Exception, _unexpected)
    app.before_request(_limit_query_string)


def _limit_query_string():
    """Refuse oversized query strings before any parsing."""
    limit = current_app.config["MAX_QUERY_STRING"]
    if len(request.query_string) > limit:
        raise InputError(f"the address is too long: at most {limit} characters of parameters")
