"""Top-k ranking metrics for one user's recommendation list: pure functions, no I/O.

`recommended` is the ranked list of item ids (best first); `relevant` is the held-out items, either a
collection (binary relevance) or a mapping item → gain (graded relevance, nDCG only). An empty
recommendation list or an empty relevant set scores 0.0, never an error.
Formulas follow Järvelin & Kekäläinen (2002) for (n)DCG and the usual IR definitions for the rest.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np


def _gains(relevant: Collection | Mapping) -> dict:
    """Relevant items as item → gain (1.0 for a plain collection)."""
    if isinstance(relevant, Mapping):
        return {item: float(gain) for item, gain in relevant.items() if gain > 0}
    return {item: 1.0 for item in relevant}


def _hits(recommended: Sequence, relevant: Collection | Mapping, k: int) -> int:
    """Number of the first k recommendations that are relevant."""
    wanted = _gains(relevant)
    return sum(1 for item in list(recommended)[:k] if item in wanted)


def dcg(gains: Iterable[float]) -> float:
    """Discounted cumulative gain: sum_i gain_i / log2(i + 1), i = 1-based rank."""
    gains = np.asarray(list(gains), dtype=np.float64)
    return float(np.sum(gains / np.log2(np.arange(2, gains.size + 2))))


def ndcg_at_k(recommended: Sequence, relevant: Collection | Mapping, k: int) -> float:
    """nDCG@k in [0, 1] = DCG@k / IDCG@k, DCG@k = sum_{i<=k} gain(rec_i) / log2(i + 1).

    IDCG@k is the DCG of the k largest gains among all relevant items (the ideal list).
    """
    gains = _gains(relevant)
    if not gains or k <= 0:
        return 0.0
    ideal = dcg(sorted(gains.values(), reverse=True)[:k])
    actual = dcg(gains.get(item, 0.0) for item in list(recommended)[:k])
    return actual / ideal if ideal > 0 else 0.0


def recall_at_k(recommended: Sequence, relevant: Collection | Mapping, k: int) -> float:
    """Recall@k in [0, 1] = |top-k ∩ relevant| / |relevant|."""
    n_relevant = len(_gains(relevant))
    return _hits(recommended, relevant, k) / n_relevant if n_relevant and k > 0 else 0.0


def precision_at_k(recommended: Sequence, relevant: Collection | Mapping, k: int) -> float:
    """Precision@k in [0, 1] = |top-k ∩ relevant| / k (a list shorter than k is not rewarded)."""
    return _hits(recommended, relevant, k) / k if k > 0 and len(_gains(relevant)) else 0.0


def hit_at_k(recommended: Sequence, relevant: Collection | Mapping, k: int) -> float:
    """Hit rate@k in {0, 1}: 1 when at least one of the top k is relevant."""
    return 1.0 if _hits(recommended, relevant, k) > 0 else 0.0


def catalog_coverage(recommendation_lists: Iterable[Sequence], n_items: int) -> float:
    """Catalog coverage in [0, 1] = |distinct items recommended to anyone| / n_items."""
    if n_items <= 0:
        return 0.0
    distinct = set()
    for items in recommendation_lists:
        distinct.update(np.asarray(items).ravel().tolist())
    return len(distinct) / n_items
