"""The Jenkinsfile runs what a developer runs: every step that can run here is a documented Make target."""
from __future__ import annotations

import re
import shlex

import pytest

from tests.conftest import PROJECT_ROOT
from tests.delivery.conftest import jenkins_sh_steps

pytestmark = pytest.mark.delivery

# Steps that need what only the Jenkins agent has (registry, cluster, the artifacts share).
AGENT_ONLY_TOOLS = {"docker", "kubectl", "printf", "sed", "ln", "mv", "basename", "readlink", "mkdir", "cp", "true"}
# Tools that a developer reaches through make; calling them directly would let CI drift from `make`.
MAKE_ONLY_TOOLS = {"python", "python3", "python3.11", "pip", "pytest", "ruff", "gunicorn", "npm", "checkov",
                   "hadolint", "kubernetes-validate", "npm-groovy-lint"}


def makefile_targets() -> set[str]:
    text = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][\w-]*)\s*:(?!=)", text, flags=re.MULTILINE))


def commands_of(script: str) -> list[list[str]]:
    """Each simple command of a shell snippet as words (quotes respected; split on ; && || | and lines)."""
    script = re.sub(r"\\+\n", " ", script)  # line continuations (a Groovy source writes them as \\)
    commands: list[list[str]] = []
    for line in script.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        current: list[str] = []
        for token in lexer:
            if token in {";", "&&", "||", "|", "&"}:
                commands.append(current)
                current = []
            else:
                current.append(token)
        commands.append(current)
    return [c for c in commands if c]


@pytest.fixture(scope="module")
def sh_steps(jenkinsfile_text) -> list[str]:
    steps = jenkins_sh_steps(jenkinsfile_text)
    assert len(steps) >= 8, f"expected the pipeline's sh steps, parsed {steps}"
    return steps


def test_stages_in_order(jenkinsfile_text):
    stages = re.findall(r"stage\('([^']+)'\)", jenkinsfile_text)
    assert stages == ["Checkout", "Set up Python", "Lint", "Test", "Train", "Build and push image", "Deploy"]


def test_runnable_steps_are_make_targets(sh_steps):
    """install, lint, test and train run as `make <target>`; the rest only needs agent-only tools."""
    make_targets = []
    for script in sh_steps:
        for words in commands_of(script):
            tool = words[0]
            if tool == "make":
                make_targets += [w for w in words[1:] if not w.startswith("-") and "=" not in w]
                continue
            assert tool not in MAKE_ONLY_TOOLS, f"run {tool!r} through a make target, not directly: {script!r}"
            assert tool in AGENT_ONLY_TOOLS or tool.startswith(("kubectl", "docker")), (
                f"unexpected command {tool!r} in sh step {script!r}: make it a make target"
            )
    assert make_targets == ["install", "lint", "test", "train"], make_targets
    missing = set(make_targets) - makefile_targets()
    assert not missing, f"Jenkinsfile runs make targets the Makefile lacks: {missing}"


@pytest.mark.parametrize("doc", ["README.md", "docs/deploy.md"])
def test_make_targets_are_documented(sh_steps, doc):
    text = (PROJECT_ROOT / doc).read_text(encoding="utf-8")
    for script in sh_steps:
        for words in commands_of(script):
            if words[0] == "make":
                assert f"make {words[1]}" in text, f"{doc} does not document `make {words[1]}` (used by Jenkins)"


def test_pipeline_options(jenkinsfile_text):
    for option in ("timeout(", "disableConcurrentBuilds()", "buildDiscarder(", "skipDefaultCheckout(true)"):
        assert option in jenkinsfile_text, f"Jenkinsfile options lack {option}"


def test_credentials_only_through_bindings(jenkinsfile_text):
    """Every credential comes from the Jenkins store through withCredentials; no secret in the file."""
    ids = re.findall(r"credentialsId:\s*'([^']+)'", jenkinsfile_text)
    assert set(ids) == {"registry-credentials", "kubeconfig-anime-recommender", "comet-api-key"}, ids
    bindings = re.findall(r"withCredentials\(\[(\w+)\(", jenkinsfile_text)
    assert len(bindings) == len(ids), "every credentialsId must sit in a withCredentials binding"
    assert not re.search(r"(?i)(password|api_?key|token)\s*[:=]\s*['\"][^'\"$]", jenkinsfile_text), (
        "a literal secret in the Jenkinsfile"
    )
    assert "--password-stdin" in jenkinsfile_text and not re.search(r"docker login[^\n]*\s-p\s", jenkinsfile_text)
    # Secrets are expanded by the shell from the bound variable, never interpolated by Groovy into a
    # GString (which would put them in the build log and the process list).
    gstring_steps = re.findall(r'\bsh\s*\(?\s*"(?:""(.*?)""|([^"\n]*))"', jenkinsfile_text, flags=re.DOTALL)
    for step in ("".join(parts) for parts in gstring_steps):
        assert not re.search(r"REGISTRY_PASSWORD|REGISTRY_USER|COMET_API_KEY|KUBECONFIG", step), step


def test_train_gates_the_build(jenkinsfile_text):
    """make train runs with the data/artifacts parameters and before anything is built or deployed."""
    train = jenkinsfile_text.index("stage('Train')")
    assert train < jenkinsfile_text.index("stage('Build and push image')") < jenkinsfile_text.index("stage('Deploy')")
    block = jenkinsfile_text[train:jenkinsfile_text.index("stage('Build and push image')")]
    assert 'DATA_DIR = "${params.DATA_DIR}"' in block and 'ARTIFACTS_DIR = "${params.ARTIFACTS_DIR}"' in block
    assert "sh 'make train'" in block
    assert "catchError" not in jenkinsfile_text and "returnStatus" not in jenkinsfile_text, (
        "a failing step (the quality gate) must fail its stage"
    )


def test_deploy_substitutes_applies_waits_and_rolls_back(jenkinsfile_text):
    deployment = (PROJECT_ROOT / "deployment.yaml").read_text(encoding="utf-8")
    for placeholder in ("REGISTRY/anime-recommender:GIT_SHA", "MODEL_RUN_ID"):
        assert placeholder in jenkinsfile_text and placeholder in deployment, placeholder
    assert 'env.IMAGE = "${params.REGISTRY}/anime-recommender:${scmVars.GIT_COMMIT}"' in jenkinsfile_text
    assert "kubectl('apply -f deployment.yaml')" in jenkinsfile_text
    assert re.search(r"rollout status \"deployment/\$DEPLOYMENT\" --timeout=\d+s", jenkinsfile_text)
    failure = jenkinsfile_text[jenkinsfile_text.index("stage('Deploy')"):]
    failure = failure[failure.index("failure {"):]
    assert "rollout undo" in failure[:failure.index("}")], "a failed rollout must be undone"
    name = re.search(r"DEPLOYMENT = '([^']+)'", jenkinsfile_text).group(1)
    namespace = re.search(r"NAMESPACE = '([^']+)'", jenkinsfile_text).group(1)
    assert re.search(rf"kind: Deployment\nmetadata:\n  name: {name}\n  namespace: {namespace}\n", deployment)
