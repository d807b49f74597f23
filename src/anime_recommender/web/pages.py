"""Server-rendered pages: thin views (parse → validate → call the engine → render)."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from anime_recommender.web import demo, queries, service
from anime_recommender.web.declare import bounds, read
from anime_recommender.web.forms import picks_of, read_options
from anime_recommender.web.params import parse_id

bp = Blueprint("pages", __name__)
bp.app_context_processor(demo.context)
bp.add_app_template_global(queries.YEARS, "years")
bp.add_app_template_global(queries.MAX_SCORE, "max_score")


@bp.app_template_global()
def with_param(name: str, value) -> str:
    """This page's address with one more `name=value` (a "Seen it" / "Not interested" link): the list,
    its filters and what was hidden stay one shareable URL; past serving.max_list_values the oldest goes."""
    args = request.args.copy()
    limit = service.get_recommender().cfg.max_list_values
    args.setlist(name, [v for v in args.getlist(name) if v != str(value)][-(limit - 1):] + [str(value)])
    return f"{request.path}?{urlencode(list(args.items(multi=True)))}"


@bp.app_template_global()
def without_params(*names: str) -> str:
    """This page's address without some parameters (show the hidden titles again)."""
    rest = [(k, v) for k, v in request.args.items(multi=True) if k not in names]
    return request.path + (f"?{urlencode(rest)}" if rest else "")


def _page(template: str, rec, **context):
    """Render with the filter-form choices every page needs."""
    return render_template(template, genres=rec.genres, types=rec.types, args=request.args,
                           max_n=rec.cfg.max_n, **context)


@bp.get("/")
def home():
    """The three forms: user ID, anime I like, title search."""
    try:
        rec = service.get_recommender()
    except service.ModelUnavailable as exc:
        return render_template("home.html", unavailable=str(exc), genres=[], types=[], args=request.args,
                               max_n=current_app.config["APP_CONFIG"].serving.max_n), 503
    return _page("home.html", rec, unavailable=None)


@bp.get("/user")
def user_form():
    """The user-ID form posts here by GET; redirect to the shareable /user/<id> address.

    The other parameters are copied as a query string, never as url_for keywords (`_anchor`,
    `_external`, ... would be read as options: a 500, or a redirect to the Host header's site).
    """
    user_id = parse_id(request.args.get("user_id"))
    rest = [(k, v) for k, v in request.args.items(multi=True) if k != "user_id"]
    return redirect(url_for("pages.user", user_id=user_id) + (f"?{urlencode(rest)}" if rest else ""))


@bp.get("/user/<user_id>")
def user(user_id: str):
    """Hybrid (or chosen mode) recommendations, the genre profile chart and similar users."""
    rec = service.get_recommender()
    uid = parse_id(user_id)
    options = read_options(rec, request.args)
    filters = options.filters()
    recs = rec.recommend(uid, options.n, filters, mode=options.mode)
    picture = rec.user_picture(uid, recs.results)
    return _page("user.html", rec, recs=recs, profile=rec.user_profile(uid, loved_limit=0), options=options,
                 next_up=rec.continue_for_user(uid, filters), picture=picture)


@bp.get("/anime/<anime_id>")
def anime(anime_id: str):
    """Details of one anime and the anime most similar to it."""
    rec = service.get_recommender()
    aid = parse_id(anime_id, "anime ID")
    options = read_options(rec, request.args)
    return _page("anime.html", rec, similar=rec.similar_anime(aid, options.n, options.filters()))


@bp.get("/similar")
def similar_by_title():
    """'More like <title>': the surely read title's page; otherwise the likeliest titles, each a link to
    its "more like this" (the one title reader: typos are offered, never guessed)."""
    rec = service.get_recommender()
    query = read(queries.title_query(bounds(rec)), request.args)
    reading = rec.read_title(query.title, query.adult)
    if reading.anime is not None:
        return redirect(url_for("pages.anime", anime_id=reading.anime.anime_id) + "#similar")
    return _page("search.html", rec, results=rec.search(query.title, query.n, query.adult), similar=True)


@bp.get("/search")
def search():
    """Title search results (names, English and Japanese names, fans' short forms; typos forgiven)."""
    rec = service.get_recommender()
    query = read(queries.search_query(bounds(rec)), request.args)
    return _page("search.html", rec, results=rec.search(query.q, query.n, query.adult))


@bp.get("/new")
def new_user():
    """Recommendations for someone who named anime they like (and maybe genres and dislikes)."""
    rec = service.get_recommender()
    query = read(queries.picks_query(bounds(rec)), request.args)
    picks = picks_of(rec, query, strict=False)
    recs = None  # nothing surely read: the page offers what the titles could mean, with the form kept
    if picks.usable:
        recs = rec.recommend_new_user(picks.liked, picks.disliked, picks.genres, n=query.n, filters=query.filters())
    named = {str(a.anime_id): a.title for a in (recs.liked + recs.disliked if recs else [])}
    return _page("new_user.html", rec, recs=recs, picks=picks, swap=_swap_url, named=named)


def _swap_url(typed: str, anime_id: int) -> str:
    """This page's address with one typed title replaced by the anime the viewer meant (its ID)."""
    args = request.args.copy()
    for name in ("liked", "disliked"):
        args.setlist(name, [str(anime_id) if v.strip() == typed else v for v in args.getlist(name)])
    return url_for("pages.new_user", **args.to_dict(flat=False))
