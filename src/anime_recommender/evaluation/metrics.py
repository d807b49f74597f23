"""The top-k ranking metrics every evaluation reports: nDCG, recall, precision and hit rate at k.

Binary relevance (a held-out list entry is relevant), computed for a batch of ranked lists at once; the
pipeline's full-ranking protocol (ranking.py), the validation callback and the benches all score
through `batch_metrics` (`list_metrics` is one list through the same formulas). An empty list or an
empty relevant set scores 0.0, never an error. nDCG follows Järvelin & Kekäläinen (2002):
DCG@k = Σ_{i≤k} rel_i / log2(i + 1), divided by the DCG of an ideal list of min(|relevant|, k) hits.
tests/model/metric_oracle.py writes the textbook per-list formulas the tests check these against.
"""
from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import scipy.sparse as sp

METRIC_NAMES = ("ndcg", "recall", "precision", "hit")


def batch_metrics(top: np.ndarray, target_rows: sp.csr_matrix, k: int) -> dict[str, np.ndarray]:
    """Per-list nDCG/recall/precision/hit@k: `top` the ranked item columns (one row per list, at most k),
    `target_rows` the relevant items of each list (CSR over the same columns)."""
    dense = target_rows.toarray() > 0
    hits = np.take_along_axis(dense, top, axis=1).astype(np.float64)
    n_relevant = dense.sum(axis=1)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.concatenate([[0.0], np.cumsum(discounts)])[np.minimum(n_relevant, k)]
    n_hits = hits.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "ndcg": np.where(ideal > 0, hits @ discounts[:top.shape[1]] / ideal, 0.0),
            "recall": np.where(n_relevant > 0, n_hits / np.maximum(n_relevant, 1), 0.0),
            "precision": n_hits / k,
            "hit": (n_hits > 0).astype(np.float64),
        }


def list_metrics(recommended: Sequence, relevant: Collection, k: int) -> dict[str, float]:
    """The metrics of one ranked list of item ids (best first) against its relevant ids."""
    if k <= 0:
        return dict.fromkeys(METRIC_NAMES, 0.0)
    shown = list(recommended)[:k]
    columns = {item: i for i, item in enumerate(dict.fromkeys([*shown, *relevant]))}
    wanted = [columns[item] for item in dict.fromkeys(relevant)]
    target = sp.csr_matrix((np.ones(len(wanted)), (np.zeros(len(wanted), np.int64), wanted)),
                           shape=(1, max(len(columns), 1)))
    top = np.array([[columns[item] for item in shown]], dtype=np.int64).reshape(1, len(shown))
    return {name: float(values[0]) for name, values in batch_metrics(top, target, k).items()}
