# What the README tells a newcomer to type: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export PBHUB_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test test-all lint format dist bench bench-detection bench-scale bench-remap bench-writer soak screenshots venv clean keitaro-rules

venv: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Postback Hub needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $@

run: venv
	$(BIN)/pbhub db upgrade
	@$(BIN)/pbhub users ensure-admin
	@echo
	@echo "  Postback Hub is starting at $(PBHUB_BASE_URL)/"
	@echo "  Sign in to the dashboard there as admin@localhost with the password shown once above"
	@echo "  (lost it? $(BIN)/pbhub users reset-password admin@localhost)."
	@echo "  Scripts use an API token:  $(BIN)/pbhub tokens create admin@localhost"
	@echo "  then: curl -H 'Authorization: Bearer <token>' $(PBHUB_BASE_URL)/api/v1/sources"
	@echo
	$(BIN)/pbhub serve --bind $(HOST):$(PORT) --workers 1 --threads 8

test: venv
	$(BIN)/pytest

# Everything, on throwaway PostgreSQL and Redis servers started from this machine's own
# binaries when DATABASE_URL / REDIS_URL are not set (see tests/throwaway_services.py).
test-all: venv
	$(BIN)/python -m tests.throwaway_services

# The release files: a wheel and an sdist in dist/ (see docs/operations.md).
dist: venv
	rm -rf dist build
	$(BIN)/python -m build --no-isolation --outdir dist .

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Keitaro's request rules (app/keitaro/api_rules.json), derived again from its published
# OpenAPI document, which is not in the repository (see docs/keitaro.md).
keitaro-rules: venv
	$(BIN)/python -m app.keitaro.derive_rules ../shared/reference/keitaro-admin-api-v1.openapi.json

bench: venv
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.deliveries
	$(BIN)/python -m bench.keitaro_import

bench-detection: venv
	$(BIN)/python -m bench.detection

bench-scale: venv
	$(BIN)/python -m bench.stats_scale

bench-writer: venv
	$(BIN)/python -m bench.writer

bench-remap: venv
	$(BIN)/python -m bench.remap

soak: venv
	$(BIN)/python -m bench.soak

screenshots: venv
	$(BIN)/python -m tests.browser.screenshots

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
