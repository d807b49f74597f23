"""The Kaggle "Anime Recommendation Database 2020" schema and the project's canonical frames.

Everything downstream of ingestion sees only the canonical columns below, whatever the source
(Kaggle files, the embedded sample, MovieLens).
"""
from __future__ import annotations

# --- Kaggle files, exactly as shipped (header order matters: the generator writes these) ---
ANIME_FILE = "anime.csv"
SYNOPSIS_FILE = "anime_with_synopsis.csv"
ANIMELIST_FILE = "animelist.csv"
RATING_COMPLETE_FILE = "rating_complete.csv"
WATCHING_STATUS_FILE = "watching_status.csv"

ANIME_HEADER = [
    "MAL_ID", "Name", "Score", "Genres", "English name", "Japanese name", "Type", "Episodes",
    "Aired", "Premiered", "Producers", "Licensors", "Studios", "Source", "Duration", "Rating",
    "Ranked", "Popularity", "Members", "Favorites", "Watching", "Completed", "On-Hold", "Dropped",
    "Plan to Watch", "Score-10", "Score-9", "Score-8", "Score-7", "Score-6", "Score-5", "Score-4",
    "Score-3", "Score-2", "Score-1",
]
SYNOPSIS_HEADER = ["MAL_ID", "Name", "Score", "Genres", "sypnopsis"]  # sic: the original spelling
ANIMELIST_HEADER = ["user_id", "anime_id", "rating", "watching_status", "watched_episodes"]
RATING_COMPLETE_HEADER = ["user_id", "anime_id", "rating"]
WATCHING_STATUS_HEADER = ["status", " description"]  # sic: the space is in the original
MISSING = "Unknown"  # how anime.csv spells a missing value

ADULT_RATING = "Rx - Hentai"
ADULT_GENRE = "Hentai"

# --- canonical frames ---
# Catalog: one row per anime (MAL_ID), display-ready.
CATALOG_COLUMNS = {
    "anime_id": "int32",
    "name": "string",           # Name (romaji); always present
    "english_name": "string",   # <NA> when Unknown
    "japanese_name": "string",  # <NA> when Unknown
    "display_name": "string",   # English name, else Name, else Japanese name
    "genres": "string",         # "Action, Comedy" ("" when unknown)
    "type": "string",           # TV, Movie, OVA, ONA, Special, Music, <NA>
    "episodes": "Int32",
    "year": "Int16",            # first air year, <NA> when unknown
    "premiered": "string",
    "aired_from": "string",     # first air date, sortable: "1989-04-26", "1992-07" or "1990"; <NA> unknown
    "studios": "string",
    "source": "string",
    "mal_rating": "string",     # MAL's age rating, e.g. "PG-13 - Teens 13 or older"
    "score": "float32",         # MAL mean score, NaN when Unknown
    "members": "int32",
    "popularity": "int32",      # MAL popularity rank (1 = most popular), 0 when unknown
    "is_adult": "bool",         # Rx - Hentai rating or Hentai genre
    "synopsis": "string",       # "" when absent (anime_with_synopsis.csv leaves out Hentai)
}

# Interactions: one row per (user, anime).
INTERACTION_COLUMNS = {
    "user_id": "int32",
    "anime_id": "int32",
    "rating": "int8",   # 1..10, 0 = on the list but not rated
    "status": "int8",   # watching_status code (data/statuses.py); Completed for rating_complete.csv
}
