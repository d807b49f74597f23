"""Liveness and readiness probes for Kubernetes."""
from __future__ import annotations

from flask import Blueprint, jsonify

from anime_recommender.web import service

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process answers (even without a model)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready only when a verified model is loaded; 503 with the reason otherwise."""
    why = service.unavailable()
    if why is not None:
        return jsonify(status="unavailable", reason=why.reason, hint=why.hint), 503
    return jsonify(status="ready", run_id=service.get_recommender().run_id)
