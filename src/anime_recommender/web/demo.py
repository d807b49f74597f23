"""What the site says about the catalogue it serves: that it is the generated demo (while it is), and form
examples taken from it, so every example on a page is a title or a user the site knows."""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from flask import current_app

from anime_recommender import artifacts
from anime_recommender.web import service

log = logging.getLogger(__name__)
KEY = "served_catalogue"


@dataclass(frozen=True)
class Served:
    """The catalogue being served, as the pages describe it."""

    generated: bool            # the embedded sample (data/sample.py): made-up titles and users
    liked: tuple[str, ...]     # the most-listed titles, for the "Anime I like" examples
    user_id: int | None        # a user of the run, for the user-ID example
    search: str                # a word of a known title, for the search example


def generated_sample(artifacts_dir) -> bool:
    """The run's data report says its data is the generated sample (training notes the sample's marker)."""
    try:
        report = artifacts.load_run(artifacts_dir, verify=False).json("data_report")
    except (artifacts.ArtifactError, OSError, KeyError, ValueError):
        return False
    return bool(report.get("counts", {}).get("generated_sample"))


def describe(rec, generated: bool) -> Served:
    """Examples from the served catalogue: its most-listed titles the model knows, one of its users."""
    catalog = rec.catalog
    known = np.flatnonzero((catalog.model_row >= 0) & ~catalog.is_adult)
    top = known[np.argsort(-catalog.members[known], kind="stable")][:3]
    titles = tuple(str(catalog.display_name[row]) for row in top)
    search = titles[-1].split()[0].lower() if titles else ""
    return Served(generated, titles[:2], rec.example_user_id(), search)


def context() -> dict:
    """Template context: `served`, the served run described once (again after a new run is served); None
    while no model is loaded."""
    slot = current_app.extensions.get(service.KEY)
    rec = slot.state()[0] if slot is not None else None
    if rec is None:
        return {"served": None}
    cached = current_app.extensions.get(KEY)
    if cached is None or cached[0] != rec.run_id:
        artifacts_dir = current_app.config.get("ARTIFACTS_DIR") or current_app.config["APP_CONFIG"].paths.artifacts_dir
        served = describe(rec, generated_sample(artifacts_dir))
        if served.generated:
            log.info("serving the generated demo catalogue: every page says so")
        cached = current_app.extensions[KEY] = (rec.run_id, served)
    return {"served": cached[1]}
