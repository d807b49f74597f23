# Two commands do everything: `make run` and `make test`. See README.md.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
HOST   ?= 127.0.0.1
PORT   ?= 5000
export PYTHONUNBUFFERED := 1
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: install dev-install data train run serve test test-fast lint bench clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(VENV)/.installed: requirements.txt requirements-serve.txt setup.py
	@command -v $(PYTHON) >/dev/null || { echo "error: Python 3.11 is required (set PYTHON=/path/to/python3.11)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel
	$(PIP) install -q -r requirements.txt
	@# setuptools' editable build prints an information-only banner ("Editable installation..."): nothing to act on
	PYTHONWARNINGS="ignore:Editable installation" $(PIP) install -q --no-deps -e .
	touch $@

install: $(VENV)/.installed  ## create .venv and install the pinned dependencies

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt .ci/install-tools.sh
	$(PIP) install -q -r requirements-dev.txt
	bash .ci/install-tools.sh
	touch $@

dev-install: $(VENV)/.dev-installed  ## test tools too: pytest, chromium + driver, linters

data: install  ## write the embedded sample dataset if the data dir has none
	$(PY) -m anime_recommender.cli prepare-data

train: install  ## train on the configured data (DATA_DIR=<folder>; flags: ARGS="--allow-shrink --epochs 5")
	$(PY) pipeline/training_pipeline.py $(ARGS)

run: install  ## train on the embedded sample if no model exists, then serve on http://$(HOST):$(PORT)
	$(PY) -m anime_recommender.cli ensure-model
	@echo "serving on http://$(HOST):$(PORT)"
	BIND=$(HOST):$(PORT) $(VENV)/bin/gunicorn -c gunicorn.conf.py application:app

serve: install  ## serve the current model (no training)
	BIND=$(HOST):$(PORT) $(VENV)/bin/gunicorn -c gunicorn.conf.py application:app

test: lint  ## ruff, then the whole test suite (installs what it needs)
	$(PY) -m pytest

test-fast: $(VENV)/.dev-installed  ## tests without the slow, browser and delivery ones
	$(PY) -m pytest -m "not slow and not browser and not delivery"

lint: $(VENV)/.dev-installed  ## ruff on the code
	$(VENV)/bin/ruff check src pipeline application.py tests bench gunicorn.conf.py setup.py

bench: install  ## all benchmarks (minutes; full-size data), tables for docs/benchmarks.md
	$(PY) bench/ingest.py
	$(PY) bench/quality.py
	$(PY) bench/train.py
	$(PY) bench/serve.py

clean:  ## remove the venv, generated data and artifacts
	rm -rf $(VENV) .venv-tools data artifacts/runs artifacts/current test-output
