"""Web layer of the anime recommender (see docs/architecture.md): `create_app()` builds the Flask app."""
from __future__ import annotations


def create_app(config=None, test_config=None):
    """Build the Flask application (imported lazily so `import anime_recommender.web` stays cheap)."""
    from anime_recommender.web.app import create_app as factory

    return factory(config, test_config)


__all__ = ["create_app"]
