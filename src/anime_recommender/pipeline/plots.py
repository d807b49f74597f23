"""Training curves as a PNG (matplotlib, Agg backend: no display needed on a server or in CI)."""
from __future__ import annotations

import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

log = logging.getLogger(__name__)


def training_curves(history: dict[str, list[float]], path: Path, k: int = 10) -> Path:
    """Loss (left) and validation nDCG@k / recall@k (right) per epoch, written to `path`."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    losses = history.get("loss", [])
    epochs = range(1, len(losses) + 1)
    left.plot(epochs, losses, marker="o", label="train loss")
    left.set(title="Loss", xlabel="epoch", ylabel="loss")
    left.legend()
    for name in (f"val_ndcg@{k}", f"val_recall@{k}"):
        values = history.get(name, [])
        if values:
            right.plot(range(1, len(values) + 1), values, marker="o", label=name)
    right.set(title="Validation ranking", xlabel="epoch")
    if right.lines:
        right.legend()
    else:
        right.text(0.5, 0.5, "no validation split", ha="center", va="center", transform=right.transAxes)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)
