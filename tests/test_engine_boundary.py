"""The engine's boundary (docs/architecture.md, "A request's steps"), checked on the source: only the Recommender
(recommend/engine.py) holds the run's arrays (`.m`) and the serving config (`.cfg`); every step module is handed
value objects, never the engine, and web/ asks the Recommender's methods, never its model arrays."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import anime_recommender

PACKAGE = Path(anime_recommender.__file__).parent
ENGINE_ONLY = {"m", "cfg"}  # the Recommender's run arrays and serving config


def reaches_in(source: str, path: str, *, forbidden: set[str], no_rec: bool) -> list[str]:
    """'path:line .attr' for each read of a forbidden attribute, and 'path:line rec' for each parameter named
    `rec` (a function handed the whole engine) when `no_rec`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in forbidden:
            found.append(f"{path}:{node.lineno} .{node.attr}")
        elif no_rec and isinstance(node, ast.arg) and node.arg == "rec":
            found.append(f"{path}:{node.lineno} rec")
    return found


def _module_findings(folder: str, *, forbidden: set[str], no_rec: bool, skip: tuple[str, ...] = ()) -> list[str]:
    return [hit for path in sorted((PACKAGE / folder).glob("*.py")) if path.name not in skip
            for hit in reaches_in(path.read_text(encoding="utf-8"), f"{folder}/{path.name}", forbidden=forbidden,
                                  no_rec=no_rec)]


@pytest.mark.parametrize(("source", "no_rec", "expected"), [
    ("def f(rec):\n    return rec.m.listed_ids(1)\n", True, ["x.py:1 rec", "x.py:2 .m"]),
    ("def f(rec, n):\n    return n > rec.cfg.max_n\n", False, ["x.py:2 .cfg"]),
    ("def f(shelf, tables):\n    return shelf.catalog, tables.factors\n", True, []),
])
def test_the_check_sees_a_step_reaching_into_the_engine(source, no_rec, expected):
    assert reaches_in(source, "x.py", forbidden=ENGINE_ONLY, no_rec=no_rec) == expected


def test_engine_steps_take_value_objects_not_the_recommender():
    """together.py, continuation.py and every other step read what they are handed (ScoreTables, Shelf,
    Evidence, config values), never `rec.m` / `rec.cfg`."""
    assert _module_findings("recommend", forbidden=ENGINE_ONLY, no_rec=True, skip=("engine.py",)) == []


def test_web_never_reads_the_engines_model_arrays():
    """Pages and API ask the Recommender (user_picture, continue_for_user, example_user_id, ...)."""
    assert _module_findings("web", forbidden={"m"}, no_rec=False) == []
