"""The shape of a request in recommend/ (docs/architecture.md "A request's steps"), checked on the source:
result records are built in one module, and no step reaches through a context object."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "anime_recommender"
RECORDS = {"Recommendation", "UserRecommendations", "NewUserRecommendations", "ListRecommendations",
           "SimilarAnime", "ImportSummary", "UserProfile"}
STEPS = ("lists.py", "vectors.py", "sources.py", "hybrid.py", "records.py")


def _calls(path: Path) -> set[str]:
    """Names of everything called in a module (`f(...)` and `x.f(...)`)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.id if isinstance(func, ast.Name) else getattr(func, "attr", ""))
    return names


def test_result_records_are_built_only_in_records():
    builders = {str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if _calls(p) & RECORDS}
    assert builders == {"recommend/records.py"}


@pytest.mark.parametrize("step", STEPS)
def test_a_step_reads_no_engine_and_no_whole_run(step):
    """Each step is handed arrays or small value objects: never the Recommender nor all of ModelArrays."""
    tree = ast.parse((PACKAGE / "recommend" / step).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert not imported & {"Recommender", "ModelArrays", "engine", "arrays"}
