"""The textbook per-list ranking metrics, written independently of evaluation/metrics.py: the oracle the
tests check the pipeline's vectorised metrics against (one list at a time, plain Python)."""
from __future__ import annotations

import math
from collections.abc import Collection, Sequence


def hits(recommended: Sequence, relevant: Collection, k: int) -> int:
    """How many of the first k recommendations are relevant."""
    return sum(1 for item in list(recommended)[:k] if item in relevant)


def dcg(gains: Sequence[float]) -> float:
    """Σ_i gain_i / log2(i + 1), i the 1-based rank."""
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, start=1))


def ndcg_at_k(recommended: Sequence, relevant: Collection, k: int) -> float:
    """DCG@k over the DCG of the ideal list (min(|relevant|, k) hits first)."""
    if not relevant or k <= 0:
        return 0.0
    ideal = dcg([1.0] * min(len(relevant), k))
    return dcg([1.0 if item in relevant else 0.0 for item in list(recommended)[:k]]) / ideal


def recall_at_k(recommended: Sequence, relevant: Collection, k: int) -> float:
    return hits(recommended, relevant, k) / len(relevant) if relevant and k > 0 else 0.0


def precision_at_k(recommended: Sequence, relevant: Collection, k: int) -> float:
    return hits(recommended, relevant, k) / k if relevant and k > 0 else 0.0


def hit_at_k(recommended: Sequence, relevant: Collection, k: int) -> float:
    return 1.0 if hits(recommended, relevant, k) else 0.0


ORACLE = {"ndcg": ndcg_at_k, "recall": recall_at_k, "precision": precision_at_k, "hit": hit_at_k}
