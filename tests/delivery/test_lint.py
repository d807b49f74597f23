"""The delivery files pass their linters for real: hadolint, kubernetes-validate, checkov, npm-groovy-lint."""
from __future__ import annotations

import json
import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.conftest import PROJECT_ROOT
from tests.delivery.conftest import run_tool

pytestmark = pytest.mark.delivery

CHECKOV_CONFIG = PROJECT_ROOT / ".checkov.yaml"


def newest_kubernetes_version() -> str:
    """The newest Kubernetes version the installed kubernetes-validate has schemas for."""
    schemas = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    versions = {m.group(1) for p in schemas.iterdir() if (m := re.fullmatch(r"v(\d+\.\d+\.\d+)-local", p.name))}
    assert versions, f"no schemas found under {schemas}"
    return max(versions, key=lambda v: tuple(int(x) for x in v.split(".")))


def test_hadolint_reports_nothing(hadolint_bin):
    """No finding at any level (error, warning, info, style) and no ignore rules."""
    assert not (PROJECT_ROOT / ".hadolint.yaml").exists(), "no hadolint ignores: fix the Dockerfile instead"
    done = run_tool([hadolint_bin, "--no-color", "--failure-threshold", "style", "Dockerfile"], timeout=60)
    assert done.returncode == 0 and not done.stdout.strip(), f"hadolint:\n{done.stdout}{done.stderr}"


def test_kubernetes_validate_strict_on_newest_version(kubernetes_validate_bin):
    version = newest_kubernetes_version()
    assert tuple(int(x) for x in version.split(".")[:2]) >= (1, 33), f"schemas too old: {version}"
    done = run_tool([kubernetes_validate_bin, "--strict", "--kubernetes-version", version, "deployment.yaml"],
                    timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"kubernetes-validate {version}:\n{output}"
    assert "WARN" not in output and "ERROR" not in output, output
    kinds = len([d for d in yaml.safe_load_all((PROJECT_ROOT / "deployment.yaml").read_text()) if d])
    assert output.count("passed") == kinds, f"every resource must be validated:\n{output}"


def _checkov(checkov_bin: Path, target: str, framework: str) -> str:
    done = run_tool([checkov_bin, "--config-file", CHECKOV_CONFIG, "-f", target, "--framework", framework,
                     "--compact", "--quiet", "--skip-download"], timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"checkov {framework} on {target}:\n{output}"
    match = re.search(r"Passed checks: (\d+), Failed checks: (\d+), Skipped checks: (\d+)", output)
    assert match, f"no checkov summary in:\n{output}"
    passed, failed, _ = map(int, match.groups())
    assert failed == 0 and passed > 0, output
    return output


def _inline_k8s_skips() -> dict[str, list[str]]:
    """checkov.io/skipN annotations of deployment.yaml: {resource name: ['CKV_...=reason', ...]}."""
    skips: dict[str, list[str]] = {}
    for doc in yaml.safe_load_all((PROJECT_ROOT / "deployment.yaml").read_text(encoding="utf-8")):
        if not doc:
            continue
        annotations = doc["metadata"].get("annotations") or {}
        values = [v for k, v in annotations.items() if k.startswith("checkov.io/skip")]
        if values:
            skips[f"{doc['kind']}/{doc['metadata']['name']}"] = values
    return skips


def test_checkov_kubernetes(checkov_bin):
    output = _checkov(checkov_bin, "deployment.yaml", "kubernetes")
    skipped = int(re.search(r"Skipped checks: (\d+)", output).group(1))
    assert skipped == sum(len(v) for v in _inline_k8s_skips().values()), (
        f"checkov skipped {skipped} checks, deployment.yaml justifies {_inline_k8s_skips()}"
    )


def test_checkov_dockerfile(checkov_bin):
    output = _checkov(checkov_bin, "Dockerfile", "dockerfile")
    skipped = int(re.search(r"Skipped checks: (\d+)", output).group(1))
    inline = re.findall(r"checkov:skip=(\S+)", (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8"))
    assert skipped == len(inline), f"checkov skipped {skipped} Dockerfile checks, {len(inline)} are justified inline"


def test_every_checkov_skip_is_justified():
    """Inline skips carry `ID=reason` (or `checkov:skip=ID:reason`); config skips a comment each."""
    for resource, values in _inline_k8s_skips().items():
        for value in values:
            check, _, reason = value.partition("=")
            assert re.fullmatch(r"CKV2?_[A-Z0-9]+_\d+", check), f"{resource}: bad check id in {value!r}"
            assert len(reason.split()) >= 8, f"{resource}: skip {check} needs a real justification, got {reason!r}"
    for line in (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if "checkov:skip=" in line:
            check, _, reason = line.split("checkov:skip=", 1)[1].partition(":")
            assert len(reason.split()) >= 5, f"Dockerfile: skip {check} needs a justification: {line!r}"
    config_lines = CHECKOV_CONFIG.read_text(encoding="utf-8").splitlines()
    config = yaml.safe_load("\n".join(config_lines)) or {}
    for key in ("skip-check", "skip_check"):
        entries = config.get(key) or []
        entries = entries.split(",") if isinstance(entries, str) else entries
        for check in entries:
            line = next(line for line in config_lines if check in line and not line.lstrip().startswith("#"))
            assert "#" in line and len(line.split("#", 1)[1].split()) >= 5, (
                f".checkov.yaml: skipped {check} without a justification comment on its line"
            )


def test_npm_groovy_lint_jenkinsfile(groovy_lint_bin, tmp_path):
    """CodeNarc's Jenkinsfile rules: no error and no warning (info-level notes are allowed)."""
    done = run_tool([groovy_lint_bin, "--failon", "warning", "--noserver", "--output", "json",
                     PROJECT_ROOT / "Jenkinsfile"], timeout=420, cwd=tmp_path)
    try:
        report = json.loads(done.stdout[done.stdout.index("{"):])
    except ValueError:
        pytest.fail(f"npm-groovy-lint gave no JSON report ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    summary = report["summary"]
    findings = [f"{path}:{e.get('line')} {e.get('severity')} {e.get('rule')}: {e.get('msg')}"
                for path, data in report.get("files", {}).items() for e in data.get("errors", [])
                if e.get("severity") in ("error", "warning")]
    assert summary["totalFilesLinted"] == 1, summary
    assert summary["totalFoundErrorNumber"] == 0 and summary["totalFoundWarningNumber"] == 0, "\n".join(findings)
    assert done.returncode == 0, f"npm-groovy-lint exited {done.returncode}:\n{done.stderr}"
