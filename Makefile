# Two commands do everything on a fresh machine:
#   make run    install, generate the default data (if not current), dbt build, summary
#   make test   every check: ruff, YAML, sqlfluff, pytest, dbt build, the offline
#               Redshift check and the metadata gate
# Run `make help` for the rest.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check

# dbt reads profiles.yml from the project root and never phones home.
export DO_NOT_TRACK := 1
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_PROJECT_DIR := $(CURDIR)
# The DuckDB warehouse file; dbt-duckdb creates the file but not its folder.
export DBT_DUCKDB_PATH ?= data/lending_research.duckdb
WAREHOUSE_DIR := $(dir $(DBT_DUCKDB_PATH))

RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed

.PHONY: help run test install install-dev generate build summary lint pytest redshift-check \
	metadata clean

help: ## Show the available targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: $(RUNTIME_STAMP) ## Install, generate the default data, dbt build, print a summary
	$(BIN)/python scripts/generate_data.py --skip-if-current
	@mkdir -p $(WAREHOUSE_DIR)
	$(BIN)/dbt build
	$(BIN)/python scripts/summarize_build.py

test: $(DEV_STAMP) ## Run every check (what CI runs)
	$(MAKE) lint
	$(MAKE) pytest
	$(BIN)/python scripts/generate_data.py --skip-if-current
	@mkdir -p $(WAREHOUSE_DIR)
	$(BIN)/dbt build
	$(MAKE) redshift-check
	$(MAKE) metadata

install: $(RUNTIME_STAMP) ## Create .venv with the pinned runtime dependencies

install-dev: $(DEV_STAMP) ## Add the pinned development and test tools

generate: $(RUNTIME_STAMP) ## Regenerate the default dataset in data/raw
	$(BIN)/python scripts/generate_data.py

build: $(RUNTIME_STAMP) ## dbt build on the data already generated
	@mkdir -p $(WAREHOUSE_DIR)
	$(BIN)/dbt build

lint: $(DEV_STAMP) ## ruff (lint + format) on Python, YAML check, sqlfluff on the dbt SQL
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/check_yaml.py
	@mkdir -p $(WAREHOUSE_DIR)
	$(BIN)/sqlfluff lint models tests

pytest: $(DEV_STAMP) ## Generator tests and the end-to-end dbt build on a small dataset
	$(BIN)/python -m pytest

redshift-check: $(DEV_STAMP) ## Compile for Redshift offline and check the SQL (after build)
	$(BIN)/python scripts/check_redshift_sql.py --duckdb $(DBT_DUCKDB_PATH)

metadata: $(DEV_STAMP) ## Metadata gate: descriptions, key tests, mart contracts (after build)
	$(BIN)/python scripts/check_metadata.py target/manifest.json --duckdb $(DBT_DUCKDB_PATH)

clean: ## Remove dbt artifacts, generated data and the DuckDB file (keeps .venv)
	rm -rf target logs data

$(RUNTIME_STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements.txt
	@touch $@

$(DEV_STAMP): requirements-dev.txt $(RUNTIME_STAMP)
	$(PIP_INSTALL) -r requirements-dev.txt
	@touch $@
