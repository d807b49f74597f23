"""The import rule of docs/architecture.md, checked on the source: a module imports only its own layer or
the layers below it (lazy imports inside functions count too); serving code imports only what
requirements-serve.txt pins."""
from __future__ import annotations

import ast
import importlib.metadata
import sys
from pathlib import Path

import pytest

import anime_recommender

PACKAGE = Path(anime_recommender.__file__).parent
# Lowest first. evaluation is below model: metrics and the ranking protocol score any callable and know no
# model, and model's epoch callback validates with them. pipeline (the training run, its command, stages,
# tracking and plots) and cli orchestrate.
LAYERS = [{"config", "resources"}, {"data"}, {"evaluation"}, {"model"}, {"artifacts"}, {"recommend"}, {"web"},
          {"pipeline", "cli"}]
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}


def part_of(module: str) -> str | None:
    """The layer name of `anime_recommender.X...` (X), None for other packages and the package facade."""
    names = module.split(".")
    return names[1] if names[0] == "anime_recommender" and len(names) > 1 else None


def imported_modules(path: Path) -> set[str]:
    """Every anime_recommender module a file imports, relative imports resolved."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if base == "anime_recommender")
    return {m for m in found if part_of(m)}


def violations(files: list[Path]) -> list[str]:
    found = []
    for path in files:
        own = part_of(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
        if own is None or own == "__init__":
            continue  # anime_recommender/__init__.py: the lazy facade over recommend
        for module in sorted(imported_modules(path)):
            target = part_of(module)
            if RANK[target] > RANK[own]:
                found.append(f"{path.relative_to(PACKAGE)} ({own}) imports {module} ({target}): upward")
    return found


def test_every_module_has_a_layer():
    parts = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()}
    assert parts == set(RANK), f"add new modules to LAYERS (and docs/architecture.md): {parts ^ set(RANK)}"


def test_no_module_imports_upward():
    assert violations(sorted(PACKAGE.rglob("*.py"))) == []


@pytest.mark.parametrize(("source", "expected"), [
    ("from anime_recommender.web import service\n", "imports anime_recommender.web"),
    ("def f():\n    from anime_recommender.pipeline import run\n", "imports anime_recommender.pipeline"),
    ("from ..web.app import create_app\n", "imports anime_recommender.web.app"),
])
def test_the_check_sees_upward_imports(tmp_path, monkeypatch, source, expected):
    """A recommend module that imports web or training, eagerly, lazily or relatively, is reported."""
    fake = tmp_path / "anime_recommender"
    (fake / "recommend").mkdir(parents=True)
    (fake / "recommend" / "bad.py").write_text(source, encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.PACKAGE", fake)
    found = violations([fake / "recommend" / "bad.py"])
    assert len(found) == 1 and expected in found[0], found


SERVING = ("web", "recommend", "artifacts", "config", "resources")


def third_party_imports(path: Path) -> set[str]:
    """Top-level names of the non-package modules a file imports (stdlib included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names - {"anime_recommender", "__future__"}


def test_serving_imports_only_what_requirements_serve_pins(project_root):
    """Every distribution that web / recommend / artifacts / config import is pinned in requirements-serve.txt."""
    pinned = {line.split("==")[0].strip().lower().replace("_", "-")
              for line in (project_root / "requirements-serve.txt").read_text(encoding="utf-8").splitlines()
              if "==" in line and not line.startswith("#")}
    distributions = importlib.metadata.packages_distributions()
    files = [p for part in SERVING for p in ([PACKAGE / f"{part}.py"] if (PACKAGE / f"{part}.py").is_file()
                                              else sorted((PACKAGE / part).rglob("*.py")))]
    needed = {}
    for path in files:
        for name in third_party_imports(path) - set(sys.stdlib_module_names):
            for dist in distributions.get(name, [name]):
                needed.setdefault(dist.lower().replace("_", "-"), set()).add(path.relative_to(PACKAGE).as_posix())
    missing = {dist: sorted(where) for dist, where in needed.items() if dist not in pinned}
    assert not missing, f"serving imports distributions requirements-serve.txt does not pin: {missing}"
    assert not {"tensorflow", "tensorflow-cpu", "keras", "comet-ml", "implicit", "matplotlib"} & pinned



def http_codes_outside_web(files: list[Path]) -> list[str]:
    """Exceptions built with an HTTP status (400..599) or carrying a `code` attribute, outside web/."""
    found = []
    for path in files:
        if part_of(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)) == "web":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(getattr(node, "func", None), "id", "") or getattr(getattr(node, "func", None), "attr", "")
            if isinstance(node, ast.Call) and name.endswith(("Error", "Exception")) and any(
                    isinstance(a, ast.Constant) and type(a.value) is int and 400 <= a.value < 600
                    for a in [*node.args, *(k.value for k in node.keywords)]):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} builds {name} with an HTTP status")
            if isinstance(node, ast.Attribute) and node.attr == "code" and isinstance(node.ctx, ast.Store) \
                    and getattr(node.value, "id", "") == "self":
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} sets self.code")
    return found


def test_http_status_codes_live_only_in_web():
    """The engine says what went wrong (ExportError.too_large); web/ decides the status it answers with."""
    assert http_codes_outside_web(sorted(PACKAGE.rglob("*.py"))) == []


def test_the_check_sees_an_http_status_in_the_engine(tmp_path, monkeypatch):
    fake = tmp_path / "anime_recommender"
    (fake / "recommend").mkdir(parents=True)
    (fake / "recommend" / "bad.py").write_text(
        "class E(ValueError):\n    def __init__(self, code=400):\n        self.code = code\n"
        "def f():\n    raise ExportError('too big', 413)\n", encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.PACKAGE", fake)
    found = http_codes_outside_web([fake / "recommend" / "bad.py"])
    assert sorted(found) == ["recommend/bad.py:3 sets self.code",
                             "recommend/bad.py:5 builds ExportError with an HTTP status"]
