"""Anime recommendations from MyAnimeList ratings: `from anime_recommender import Recommender`."""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["Recommender", "UnknownAnimeError", "UnknownUserError", "load_config"]


def __getattr__(name: str):
    """Import lazily so `import anime_recommender` stays cheap (no TensorFlow, no Flask)."""
    if name in {"Recommender", "UnknownUserError", "UnknownAnimeError"}:
        from anime_recommender.recommend import engine

        return getattr(engine, name)
    if name == "load_config":
        from anime_recommender.config import load_config

        return load_config
    raise AttributeError(name)
