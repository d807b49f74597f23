"""The application factory: a list of named steps, each a few lines."""
from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from anime_recommender.config import Config, load_config
from anime_recommender.data.statuses import Status
from anime_recommender.resources import resource_dir
from anime_recommender.web import (
    api,
    errors,
    health,
    imports,
    metrics,
    pages,
    security,
    service,
    together,
    upload_guard,
)

log = logging.getLogger(__name__)


class HtmlSafeJSON(DefaultJSONProvider):
    """JSON with <, > and & escaped, so echoed input can never become markup if a page embeds it."""

    sort_keys = False  # keys in the order the code builds them (Flask 3 ignores the JSON_SORT_KEYS setting)

    def dumps(self, obj, **kwargs) -> str:
        text = super().dumps(obj, **kwargs)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def create_app(config: Config | None = None, test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config, logging, the recommender (once per process), blueprints, error pages."""
    app = Flask(__name__, template_folder=str(resource_dir("templates")),
                static_folder=str(resource_dir("static")))
    app.json = HtmlSafeJSON(app)
    app.jinja_env.globals["Status"] = Status  # the pages name watching statuses as data/statuses.py does
    configure_app(app, config, test_config)
    configure_logging(app)
    service.init_app(app)
    upload_guard.init_app(app)
    register_blueprints(app)
    errors.register_errorhandlers(app)
    metrics.init_app(app)
    security.init_app(app)
    return app


def configure_app(app: Flask, config: Config | None, test_config: Mapping[str, Any] | None) -> None:
    """Project config plus Flask settings; `test_config` may set ARTIFACTS_DIR or inject RECOMMENDER."""
    config = config or load_config()
    app.config.update(APP_CONFIG=config, MAX_CONTENT_LENGTH=config.serving.max_body_bytes,
                      MAX_QUERY_STRING=config.serving.max_query_string)
    if test_config:
        app.config.update(test_config)
    app.debug = False


def configure_logging(app: Flask) -> None:
    """Package logs to stdout (gunicorn and containers collect them there)."""
    logger = logging.getLogger("anime_recommender")
    if not any(getattr(h, "_anime_stdout", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        handler._anime_stdout = True
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def register_blueprints(app: Flask) -> None:
    """Pages, the JSON API, the list import (page + API) and the health probes."""
    app.register_blueprint(pages.bp)
    app.register_blueprint(imports.bp)
    app.register_blueprint(together.bp)
    app.register_blueprint(together.api_bp, url_prefix="/api/v1")
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    app.register_blueprint(health.bp)
