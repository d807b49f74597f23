"""Losses over one positive and its negatives per row.

Per-positive negatives (both inputs): y_pred logits (batch, 1 + n), column 0 the positive; y_true packs what
the sampler knows: [positive weight (1) | negative is valid (n; 0 = collided with a known item) | log q of
each candidate (1 + n)].
Negatives shared by a step's users (per-user input, softmax): y_pred (P, 2) = [positive logit | log Σ
exp(logit − log q) over the user's valid negatives] (model/trainers.py), y_true [weight | log q(positive)].
"""
from __future__ import annotations

from keras import ops


def _split(y_true, n_neg: int):
    return y_true[:, 0], y_true[:, 1:1 + n_neg], y_true[:, 1 + n_neg:]


def bce(n_neg: int):
    """Pointwise log loss of NCF (He et al. 2017, eq. 7): positive label 1, sampled negatives 0."""
    def loss(y_true, y_pred):
        weight, valid, _ = _split(y_true, n_neg)
        pos = weight * ops.softplus(-y_pred[:, 0])
        neg = ops.sum(valid * ops.softplus(y_pred[:, 1:]), axis=1)
        return (pos + neg) / (1.0 + n_neg)
    return loss


def bpr(n_neg: int):
    """Bayesian personalised ranking (Rendle et al. 2009): -log σ(s_pos - s_neg), averaged over negatives."""
    def loss(y_true, y_pred):
        weight, valid, _ = _split(y_true, n_neg)
        margins = y_pred[:, :1] - y_pred[:, 1:]
        return weight * ops.sum(valid * ops.softplus(-margins), axis=1) / ops.maximum(ops.sum(valid, 1), 1.0)
    return loss


def softmax(n_neg: int):
    """Sampled softmax with logQ correction (Yi et al. 2019): cross-entropy of the positive among candidates."""
    def loss(y_true, y_pred):
        weight, valid, log_q = _split(y_true, n_neg)
        logits = y_pred - log_q
        mask = ops.concatenate([ops.ones_like(valid[:, :1]), valid], axis=1)
        logits = ops.where(mask > 0, logits, -1e9)
        return weight * (ops.logsumexp(logits, axis=1) - logits[:, 0])
    return loss


def shared_softmax():
    """The sampled softmax above with the negatives' log-sum-exp computed once per user: the same value."""
    def loss(y_true, y_pred):
        return y_true[:, 0] * ops.softplus(y_pred[:, 1] - (y_pred[:, 0] - y_true[:, 1]))
    return loss


LOSSES = {"bce": bce, "bpr": bpr, "softmax": softmax}


def get(name: str, n_neg: int, shared: bool = False):
    """The loss function called `name` for n negatives per positive, or for negatives shared per step."""
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r} (expected one of {sorted(LOSSES)})")
    if shared:
        if name != "softmax":
            raise ValueError(f"negatives shared by a step's users need the softmax loss, not {name!r}")
        return shared_softmax()
    return LOSSES[name](n_neg)
