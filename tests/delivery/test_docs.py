"""docs/deploy.md (linked from the README's Deploy section) names exactly what the delivery files define."""
from __future__ import annotations

import re

import pytest

from tests.conftest import PROJECT_ROOT
from tests.delivery.conftest import find

pytestmark = pytest.mark.delivery

DOC = PROJECT_ROOT / "docs" / "deploy.md"


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_names_and_numbers_match_the_files(doc, dockerfile, manifests, deployment, web_container):
    assert f"`{dockerfile.base_image}`" in doc
    assert f"EXPOSE {dockerfile.exposed_port}" in doc and "`/healthz`" in doc
    assert f"CMD {dockerfile.final('CMD').args}" in doc
    namespace = deployment["metadata"]["namespace"]
    name = deployment["metadata"]["name"]
    assert f"kubectl -n {namespace} rollout status deployment/{name}" in doc
    assert f"kubectl -n {namespace} rollout undo deployment/{name}" in doc
    secret = next(e for e in web_container["env"] if e["name"] == "COMET_API_KEY")["valueFrom"]["secretKeyRef"]
    assert f"create secret generic {secret['name']}" in doc and f"--from-literal={secret['key']}=" in doc
    cronjob = find(manifests, "CronJob")
    assert f"--from=cronjob/{cronjob['metadata']['name']}" in doc
    for claim in (m for m in manifests if m["kind"] == "PersistentVolumeClaim"):
        assert claim["metadata"]["name"] in doc
    assert f"(the Deployment keeps {deployment['spec']['revisionHistoryLimit']})" in doc
    hpa = find(manifests, "HorizontalPodAutoscaler")["spec"]
    assert f"{hpa['minReplicas']}-{hpa['maxReplicas']} pods" in doc
    limits, requests = web_container["resources"]["limits"], web_container["resources"]["requests"]
    assert f"request {requests['memory'].replace('Gi', ' Gi')}, limit {limits['memory'].replace('Gi', ' Gi')}" in doc
    workers = next(e["value"] for e in web_container["env"] if e["name"] == "WEB_CONCURRENCY")
    assert f"`WEB_CONCURRENCY={workers}`" in doc


def test_placeholders_and_credentials_match_the_jenkinsfile(doc, jenkinsfile_text):
    for placeholder in ("REGISTRY/anime-recommender:GIT_SHA", "MODEL_RUN_ID"):
        assert placeholder in doc
    for credential in re.findall(r"credentialsId:\s*'([^']+)'", jenkinsfile_text):
        assert f"`{credential}`" in doc, f"docs/deploy.md does not name the Jenkins credential {credential}"


def test_mermaid_diagram(doc):
    diagram = re.search(r"```mermaid\n(.*?)```", doc, flags=re.DOTALL)
    assert diagram, "docs/deploy.md needs the mermaid diagram"
    text = diagram.group(1).lower()
    for stage in ("make train", "artifacts", "registry", "deployment", "loadbalancer", "users"):
        assert stage in text, f"the diagram lacks {stage}"
