"""Web layer of the anime recommender (see docs/architecture.md)."""
