"""Similar anime: embeddings when the model knows the anime, synopsis TF-IDF when it does not."""
from __future__ import annotations

from anime_recommender.recommend.filters import Filters


def test_embedding_neighbour_is_the_closest_angle(rec):
    similar = rec.similar_anime(100, n=3)
    assert similar.method == "embeddings"
    assert next(r.anime.anime_id for r in similar.results) == 102
    assert 100 not in [r.anime.anime_id for r in similar.results]


def test_unseen_anime_falls_back_to_tfidf_and_says_so(rec):
    similar = rec.similar_anime(900, n=3)
    assert similar.method == "tfidf" and similar.method_label == "synopsis and genres"
    assert similar.results[0].anime.anime_id == 901
    assert similar.results[0].explanation.startswith("similar synopsis and genres to")


def test_similar_respects_filters(rec):
    similar = rec.similar_anime(100, n=10, filters=Filters(types=("Movie",)))
    assert all(r.anime.type == "Movie" for r in similar.results)


def test_similar_hides_adult(rec):
    ids = [r.anime.anime_id for r in rec.similar_anime(136, n=39).results]
    assert 138 not in ids


def test_anime_details(rec):
    info = rec.anime(106)
    assert info.title == "Attack on Titan" and info.japanese_name == "進撃の巨人" and info.in_model


def test_content_score_is_the_max_cosine_to_any_favourite():
    import numpy as np

    from anime_recommender.recommend.content import embedding_similarity

    rng = np.random.default_rng(0)
    emb = rng.normal(size=(50, 8)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    favourites = np.array([3, 7, 11])
    expected = np.max(emb @ emb[favourites].T, axis=1)
    assert np.allclose(embedding_similarity(emb, np.ascontiguousarray(emb.T), favourites), expected, atol=1e-6)
