"""Thin command-line entry points; the work lives in the anime_recommender package."""
