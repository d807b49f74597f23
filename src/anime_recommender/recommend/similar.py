"""Similar anime for one catalog row: embedding cosine over model rows, or TF-IDF over the catalog."""
from __future__ import annotations

import numpy as np

from anime_recommender.recommend.content import EMBEDDINGS, TFIDF
from anime_recommender.recommend.filters import Filters, catalog_mask, top_k


def similar_rows(rec, row: int, filters: Filters, n: int) -> tuple[str, np.ndarray, np.ndarray]:
    """(method, catalog rows, similarities) of the n anime most like catalog row `row`."""
    catalog = rec.catalog
    mask = catalog_mask(catalog, filters)
    mask[row] = False
    model_row = int(catalog.model_row[row])
    if model_row >= 0:
        emb = rec.m.anime_embeddings
        sims = emb @ emb[model_row]
        rows = top_k(sims, mask[catalog.cat_row], n)
        return EMBEDDINGS, catalog.cat_row[rows], sims[rows]
    sims = rec.text.similarity(np.array([row]))
    rows = top_k(sims, mask & (sims > 0), n)
    return TFIDF, rows, sims[rows]
