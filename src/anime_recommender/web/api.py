"""The JSON API under /api/v1 (errors come back as {"error": {...}} from errors.py)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from anime_recommender.web import openapi, service
from anime_recommender.web.errors import respond
from anime_recommender.web.forms import read_options, read_picks
from anime_recommender.web.params import parse_flag, parse_id, parse_int, parse_text

bp = Blueprint("api", __name__)


@bp.get("/users/<user_id>/recommendations")
def user_recommendations(user_id: str):
    rec = service.get_recommender()
    uid = parse_id(user_id)
    options = read_options(rec, request.args)
    return jsonify(rec.recommend(uid, options.n, options.filters, options.mode).to_dict())


@bp.get("/users/<user_id>/profile")
def user_profile(user_id: str):
    return jsonify(service.get_recommender().user_profile(parse_id(user_id)).to_dict())


@bp.get("/anime/<anime_id>")
def anime(anime_id: str):
    return jsonify(service.get_recommender().anime(parse_id(anime_id, "anime ID")).to_dict())


@bp.get("/anime/<anime_id>/similar")
def similar(anime_id: str):
    rec = service.get_recommender()
    aid = parse_id(anime_id, "anime ID")
    options = read_options(rec, request.args)
    return jsonify(rec.similar_anime(aid, options.n, options.filters).to_dict())


@bp.get("/similar")
def similar_by_title():
    rec = service.get_recommender()
    title = parse_text(request.args, "title", rec.cfg)
    options = read_options(rec, request.args)
    return jsonify(rec.similar_by_title(title, options.n, options.filters).to_dict())


@bp.get("/search")
def search():
    rec = service.get_recommender()
    query = parse_text(request.args, "q", rec.cfg)
    return jsonify(rec.search(query, parse_int(request.args, "n", 10, 1, rec.cfg.max_n),
                              parse_flag(request.args, "adult", rec.cfg.show_adult)).to_dict())


@bp.get("/recommendations/new-user")
def new_user():
    rec = service.get_recommender()
    picks = read_picks(rec, request.args)
    options = read_options(rec, request.args)
    body = rec.recommend_new_user(picks.liked, picks.disliked, picks.genres, options.n, options.filters).to_dict()
    body["read"] = [r.to_dict() for r in picks.read]
    alternatives = {r.typed: r.to_dict()["alternatives"] for r in picks.unsure}
    body["unmatched"] = [{"input": text, "suggestions": s, "alternatives": alternatives.get(text, [])}
                         for text, s in picks.unmatched]
    return jsonify(body)


@bp.get("/openapi.json")
def openapi_document():
    """This API's OpenAPI 3 document (with the loaded model's genres and types, and the request limits)."""
    try:
        rec = service.get_recommender()
        cfg, genres, types = rec.cfg, rec.genres, rec.types
    except service.ModelUnavailable:
        cfg, genres, types = current_app.config["APP_CONFIG"].serving, [], []
    return jsonify(openapi.document(cfg, genres, types))


@bp.route("/<path:anything>")
def not_found(anything: str):
    return respond(404, f"no API endpoint /api/v1/{anything[:100]}; see the README for the endpoints")
