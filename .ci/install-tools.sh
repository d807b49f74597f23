#!/usr/bin/env bash
# Test-only tools that pip's requirements-dev.txt cannot give: a real headless Chromium and its
# driver (browser tests), checkov in its own venv (its pins clash with ours), npm-groovy-lint.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: chromium + driver (browser tests), a Java runtime (npm-groovy-lint runs CodeNarc on it),
# nginx (the proxy tests run config/nginx.conf in front of gunicorn), podman and what the image test needs
# with it.
packages=()
command -v chromium >/dev/null && command -v chromedriver >/dev/null || packages+=(chromium chromium-driver)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || packages+=(nginx)
command -v java >/dev/null || packages+=(default-jre-headless)
# podman, runc (crun refuses hybrid cgroups) and debootstrap: tests/delivery/test_image.py builds and runs the image
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || packages+=("$tool"); done
if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
  else
    echo "warning: ${packages[*]} missing and no root: the tests that need them are skipped (CI=true fails them); install: apt-get install ${packages[*]}"
  fi
fi

CHECKOV_VERSION=3.3.30
if [ "$(.venv-tools/bin/checkov --version 2>/dev/null)" != "$CHECKOV_VERSION" ]; then
  "${PYTHON:-python3.11}" -m venv .venv-tools
  .venv-tools/bin/pip install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi

if command -v npm >/dev/null && [ ! -x .venv-tools/node_modules/.bin/npm-groovy-lint ]; then
  npm install --silent --no-audit --no-fund --prefix .venv-tools npm-groovy-lint@15 >/dev/null
fi
