"""Copy config/config.yaml into deployment.yaml's ConfigMap: `python -m tests.delivery.sync_configmap`.

test_consistency.py::test_configmap_is_the_project_config fails while the two differ.
"""
from __future__ import annotations

from tests.conftest import PROJECT_ROOT

MARKER = "  config.yaml: |\n"


def sync() -> bool:
    """Rewrite the ConfigMap's config.yaml block; True when deployment.yaml changed."""
    path = PROJECT_ROOT / "deployment.yaml"
    manifest = path.read_text(encoding="utf-8")
    config = (PROJECT_ROOT / "config" / "config.yaml").read_text(encoding="utf-8")
    block = "".join(f"    {line}".rstrip() + "\n" for line in config.splitlines())
    start = manifest.index(MARKER) + len(MARKER)
    end = manifest.index("---\n", start)
    updated = manifest[:start] + block + manifest[end:]
    if updated != manifest:
        path.write_text(updated, encoding="utf-8")
    return updated != manifest


if __name__ == "__main__":
    print("deployment.yaml updated" if sync() else "deployment.yaml already matches config/config.yaml")
