#!/usr/bin/env bash
# Test-only tools that pip's requirements-dev.txt cannot give: a real headless Chromium and its
# driver (browser tests), checkov in its own venv (its pins clash with ours), npm-groovy-lint.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "warning: chromium/chromium-driver missing and no root: browser tests will be skipped (install: apt-get install chromium chromium-driver)"
  fi
fi

if [ ! -x .venv-tools/bin/checkov ]; then
  python3.11 -m venv .venv-tools
  .venv-tools/bin/pip install -q --disable-pip-version-check checkov==3.3.30
fi

if command -v npm >/dev/null && [ ! -x .venv-tools/node_modules/.bin/npm-groovy-lint ]; then
  npm install --silent --no-audit --no-fund --prefix .venv-tools npm-groovy-lint@15 >/dev/null
fi
