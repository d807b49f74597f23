"""Content-based similarity: learned anime embeddings, or synopsis + genres TF-IDF for unseen anime."""
from __future__ import annotations

import logging

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from anime_recommender.recommend.catalog import Catalog
from anime_recommender.recommend.explain import Method
from anime_recommender.recommend.filters import Request, catalog_mask, top_k

log = logging.getLogger(__name__)


def _documents(catalog: Catalog) -> list[str]:
    """Synopsis plus genre tokens (repeated so genres weigh like a few synopsis words)."""
    genre_tokens = [" ".join(("genre_" + g.strip().replace(" ", "_").lower()) for g in gs.split(",") if g.strip())
                    for gs in catalog.genres]
    return [f"{syn} {g} {g}" for syn, g in zip(catalog.synopsis, genre_tokens, strict=True)]


class TextSimilarity:
    """Sparse L2-normalised TF-IDF rows over the whole catalog, built once."""

    def __init__(self, catalog: Catalog, max_features: int = 50_000):
        docs = _documents(catalog)
        if not any(d.strip() for d in docs):
            self.matrix = sparse.csr_matrix((len(docs), 1), dtype=np.float32)
            return
        vectorizer = TfidfVectorizer(stop_words="english", max_features=max_features, min_df=1,
                                     sublinear_tf=True, dtype=np.float32, token_pattern=r"(?u)\b\w\w+\b")
        self.matrix = vectorizer.fit_transform(docs).tocsr()
        log.info("tf-idf: %d anime x %d terms, %d non-zeros", *self.matrix.shape, self.matrix.nnz)

    def similarity(self, rows: np.ndarray) -> np.ndarray:
        """Cosine similarity of every catalog row to the mean of `rows` (dense, n_cat)."""
        query = self.matrix[np.asarray(rows)]
        query = sparse.csr_matrix(query.mean(axis=0))
        return np.asarray((self.matrix @ query.T).todense()).ravel().astype(np.float32)

    def has_text(self, row: int) -> bool:
        """Whether an anime has any synopsis or genre words at all."""
        return self.matrix[row].nnz > 0


def embedding_similarity(embeddings: np.ndarray, embeddings_t: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Max cosine of every anime to any of `rows` (model rows).

    Max, not the favourites' centroid: on the real slice the centroid made the content source useless
    in the hybrid blend (validation nDCG@10 0.1188 vs 0.1265, docs/benchmarks.md). Computed as
    (favourites x d) @ (d x anime) with the transposed copy made at load, so the max runs over contiguous rows.
    """
    return (embeddings[np.asarray(rows)] @ embeddings_t).max(axis=0)


def closest_favourite(embeddings: np.ndarray, candidates: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each candidate row, the favourite (of `rows`) most similar to it: only for shown results."""
    rows = np.asarray(rows)
    return rows[(embeddings[candidates] @ embeddings[rows].T).argmax(axis=1)]


def similar_rows(catalog: Catalog, embeddings: np.ndarray, text: TextSimilarity, *, row: int,
                 request: Request) -> tuple[Method, np.ndarray, np.ndarray]:
    """(method, catalog rows, similarities) of the `request.n` anime most like catalog row `row`.

    Embedding cosine over model rows when the model knows the anime, else TF-IDF over the whole catalog.
    """
    mask = catalog_mask(catalog, request.filters)
    mask[row] = False
    model_row = int(catalog.model_row[row])
    if model_row >= 0:
        sims = embeddings @ embeddings[model_row]
        rows = top_k(sims, mask[catalog.cat_row], request.n)
        return Method.EMBEDDINGS, catalog.cat_row[rows], sims[rows]
    sims = text.similarity(np.array([row]))
    rows = top_k(sims, mask & (sims > 0), request.n)
    return Method.TFIDF, rows, sims[rows]
