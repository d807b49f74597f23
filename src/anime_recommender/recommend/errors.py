"""Domain errors of the engine: each says what was wrong in words a page can show."""
from __future__ import annotations


class RecommenderError(ValueError):
    """Base of the engine's input errors (a 4xx for the web layer, never a 500)."""


class UnknownUserError(RecommenderError, LookupError):
    """A user id that is nowhere in the data the model was trained on."""

    def __init__(self, user_id: int):
        self.user_id = user_id
        super().__init__(
            f"User {user_id} is not in our data. It stops in 2020, so most people are not in it: import your "
            "MyAnimeList list or name a few anime you like instead."
        )


class UnknownAnimeError(RecommenderError, LookupError):
    """An anime id (or title) that is not in the catalog."""

    def __init__(self, anime: int | str, suggestions: list[str] | None = None):
        self.anime = anime
        self.suggestions = suggestions or []
        what = (f"There is no anime with ID {anime} in the catalogue." if isinstance(anime, int)
                else f"No anime surely matches “{anime}”.")
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(what + hint)
