"""The JSON API under /api/v1 (errors come back as {"error": {...}} from errors.py). Each route is declared once
(web/declare.py): its query model, its answer model; the OpenAPI document is generated from them."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from werkzeug.exceptions import NotFound

from anime_recommender.web import bodies, openapi, queries, service
from anime_recommender.web.declare import bounds, route
from anime_recommender.web.errors import respond
from anime_recommender.web.forms import picks_of

bp = Blueprint("api", __name__)


@route(bp, "/users/<user_id>/recommendations", summary="Recommendations for a known user",
       query=queries.recommend_query, answer=bodies.UserRecommendations)
def user_recommendations(rec, query, user_id: int):
    return rec.recommend(user_id, query.n, query.filters(), mode=query.mode)


@route(bp, "/users/<user_id>/profile", summary="A user's genre profile and similar users", answer=bodies.UserProfile)
def user_profile(rec, user_id: int):
    return rec.user_profile(user_id)


@route(bp, "/users/<user_id>/taste-map", summary="Where the user's titles and their recommendations sit among "
       "the anime: the user page's picture as points (404 for a model trained before maps existed)",
       query=queries.recommend_query, answer=bodies.TasteMap)
def user_taste_map(rec, query, user_id: int):
    recs = rec.recommend(user_id, query.n, query.filters(), mode=query.mode)
    picture = rec.user_picture(user_id, recs.results)
    if picture is None:
        raise NotFound("this model has no taste map (it was trained before maps existed): train it again")
    return {"user_id": user_id, **picture.to_dict()}


@route(bp, "/anime/<anime_id>", summary="One anime", answer=bodies.Anime)
def anime(rec, anime_id: int):
    return rec.anime(anime_id)


@route(bp, "/anime/<anime_id>/similar", summary="Anime similar to one anime",
       query=queries.filter_query, answer=bodies.SimilarAnime)
def similar(rec, query, anime_id: int):
    return rec.similar_anime(anime_id, query.n, query.filters())


@route(bp, "/similar", summary="Anime similar to the surely read title (404 with the alternatives otherwise)",
       query=queries.title_query, answer=bodies.SimilarAnime)
def similar_by_title(rec, query):
    return rec.similar_by_title(query.title, query.n, query.filters())


@route(bp, "/search", summary="Title search", query=queries.search_query, answer=bodies.SearchResults,
       errors=(400, 503))
def search(rec, query):
    return rec.search(query.q, query.n, query.adult)


@route(bp, "/recommendations/new-user", summary="Recommendations from liked anime and/or genres, no account",
       query=queries.picks_query, answer=bodies.NewUserRecommendations, errors=(400, 503))
def new_user(rec, query):
    picks = picks_of(rec, query)
    body = rec.recommend_new_user(picks.liked, picks.disliked, picks.genres,
                                  n=query.n, filters=query.filters()).to_dict()
    body["read"] = [r.to_dict() for r in picks.read]
    alternatives = {r.typed: r.to_dict()["alternatives"] for r in picks.unsure}
    body["unmatched"] = [{"input": text, "suggestions": s, "alternatives": alternatives.get(text, [])}
                         for text, s in picks.unmatched]
    return body


@bp.get("/openapi.json")
def openapi_document():
    """This API's OpenAPI 3.1 document (with the loaded model's genres and types, and the request limits)."""
    try:
        limits = bounds(service.get_recommender())
    except service.ModelUnavailable:
        limits = queries.Bounds.of(current_app.config["APP_CONFIG"].serving)
    return jsonify(openapi.document(current_app, limits))


@bp.route("/<path:anything>")
def not_found(anything: str):
    return respond(404, f"no API endpoint /api/v1/{anything[:100]}; see the README for the endpoints")
