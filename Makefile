# Two commands do everything on a fresh machine:
#   make run    install, generate the default data (if not current), dbt build, summary
#   make test   every check: ruff, YAML, sqlfluff, pytest (generator, data quality,
#               incremental, end-to-end, docs site, metrics, report), dbt build, the
#               offline Redshift check and the metadata gate
# For analysts, after `make run`: make docs / docs-serve, make metrics, make report.
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

# Unit tests check the models' logic, which the data does not change: `make test` runs
# them, the everyday build does not (as dbt recommends for production runs).
RUN_BUILD_ARGS ?= --exclude-resource-type unit_test

RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
# dbt-bouncer (the metadata gate) pins duckdb<2: it gets a virtual environment of its own.
BOUNCER := $(VENV)/bouncer
BOUNCER_STAMP := $(BOUNCER)/.installed
# The browser tests drive Debian's Chromium; test tools never download a browser.
CHROMIUM := /usr/bin/chromium
PG_BIN := /usr/lib/postgresql/15/bin
DOCS_PORT ?= 8080
# What `make docs-serve` serves: the docs site's files (dbt writes index.html anew).
DOCS_SITE := target/docs-site
DOCS_SITE_FILES := index.html manifest.json catalog.json
# pytest workers: the test files run in parallel, each whole on one worker, its tests in order
# (--dist loadfile: loadgroup groups nothing with pytest 9.2, whose node ids xdist 3.8 cannot extend).
PYTEST_WORKERS ?= 2
# make bench: sizes, rounds (BENCH_LARGE_ROUNDS above 10M), BENCH_MAKE_TEST=1 adds make test.
BENCH_SIZES ?= 50K,1M,10M,50M
BENCH_ROUNDS ?= 3
BENCH_LARGE_ROUNDS ?= 1
BENCH_MAKE_TEST ?=
NEEDS_WAREHOUSE = @test -f $(DBT_DUCKDB_PATH) || { \
	echo "make $@: $(DBT_DUCKDB_PATH) not found; run 'make run' first" >&2; exit 1; }

.PHONY: help run test install install-dev install-browser install-postgres pg-up pg-down pg-build generate build summary figures lint pytest \
	check-history dbt-checks redshift-check metadata docs docs-serve metrics report screenshots bench clean

help: ## Show the available targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z%-]+:.*## / {printf "  make %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: $(RUNTIME_STAMP) ## Install, generate the default data, check it, dbt build, print a summary
	$(BIN)/lending-generate --skip-if-current
	$(BIN)/lending-build $(RUN_BUILD_ARGS)

test: install-browser install-postgres ## Run every check (what CI runs)
	@# The four virtual environments are independent, and one pip keeps one core busy:
	@# side by side they take 2 min here instead of 3.
	$(MAKE) -j4 --output-sync=target $(DEV_STAMP) $(INFRA_STAMP) $(AIRFLOW_STAMP)
	@# The parts below are the pull request's parallel jobs (.github/workflows/ci.yml;
	@# tests/python/test_ci_workflow.py keeps the two lists equal).
	$(MAKE) lint
	$(MAKE) checkov
	$(MAKE) pytest
	$(MAKE) orchestration-test
	$(MAKE) dbt-checks

dbt-checks: $(DEV_STAMP) ## The default build, its whole-history check, the Redshift compile, the metadata gate and the README's quoted outputs
	$(BIN)/lending-generate --skip-if-current
	$(BIN)/lending-build
	$(MAKE) check-history
	$(MAKE) redshift-check
	$(MAKE) metadata
	$(BIN)/lending-figures --check

figures: $(RUNTIME_STAMP) ## Rewrite the README's quoted outputs (build summary, queries, metrics) from the current build (after run)
	$(NEEDS_WAREHOUSE)
	$(BIN)/lending-figures --write

install: $(RUNTIME_STAMP) ## Create .venv with the pinned runtime dependencies

install-dev: $(DEV_STAMP) ## Add the pinned development and test tools

install-postgres: ## Install Debian's postgresql for the PostgreSQL build (apt-get, as root)
	@test -x $(PG_BIN)/initdb || { \
		echo "Installing Debian's postgresql for the PostgreSQL build"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql \
		|| { echo "Could not install postgresql: run 'apt-get install postgresql' as root" >&2; \
		exit 1; }; }

pg-up: $(RUNTIME_STAMP) install-postgres ## Start a local PostgreSQL in .pg/ and print its libpq variables
	$(BIN)/lending-pg up

pg-down: $(RUNTIME_STAMP) ## Stop the local PostgreSQL and remove .pg/
	$(BIN)/lending-pg down

pg-build: $(RUNTIME_STAMP) install-postgres ## Load the raw data and dbt build --target pg (throwaway server if none answers)
	$(BIN)/lending-generate --skip-if-current
	$(BIN)/lending-pg build

install-browser: ## Install Debian's chromium for the browser tests (apt-get, as root)
	@test -x $(CHROMIUM) || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
		|| { echo "Could not install chromium: run 'apt-get install chromium' as root" >&2; \
		exit 1; }; }

generate: $(RUNTIME_STAMP) ## Regenerate the default dataset in data/raw
	$(BIN)/lending-generate

build: $(RUNTIME_STAMP) ## Check the raw data's structure, dbt build, print a summary
	$(BIN)/lending-build $(RUN_BUILD_ARGS)

lint: $(DEV_STAMP) ## ruff (lint + format), yamllint, zizmor, secret scan, sqlfluff on the dbt SQL
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/yamllint --strict .
	@# The workflows' security audit: actions pinned to commits, no persisted credentials,
	@# no template expansion in scripts (SECURITY.md). Offline: no GitHub API here.
	$(BIN)/zizmor --offline --quiet .github/workflows
	@# detect-secrets on what git tracks or would add, with the plugins and filters of the
	@# committed baseline; `lending-secrets-history` scans the history (CI).
	git ls-files -z --cached --others --exclude-standard \
		| xargs -0 $(BIN)/detect-secrets-hook --baseline .secrets.baseline
	@mkdir -p -m 700 $(WAREHOUSE_DIR)
	$(BIN)/sqlfluff lint models tests

pytest: $(DEV_STAMP) install-browser install-postgres ## Generator, end-to-end dbt, docs site, metrics, report
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=15

# The pytest suite in the pull request's shards, one job each (make pytest runs them all at
# once, which keeps both cores busy here): the dbt builds, PostgreSQL, and the rest.
PYTEST_SHARD_dbt := tests/python/dbt
PYTEST_SHARD_postgres := tests/python/postgres
PYTEST_SHARD_rest := --ignore=tests/python/dbt --ignore=tests/python/postgres
pytest-shard-%: $(DEV_STAMP) install-browser install-postgres ## One shard of the pytest suite: dbt, postgres or rest
	@test -n "$(PYTEST_SHARD_$*)" || { echo "make $@: no shard '$*' (dbt, postgres, rest)" >&2; exit 1; }
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=15 $(PYTEST_SHARD_$*)

check-history: $(RUNTIME_STAMP) ## Every data test over the whole history, not only what the last build wrote (after build)
	$(NEEDS_WAREHOUSE)
	$(BIN)/dbt test --exclude-resource-type unit_test --vars '{check_history: true}'

redshift-check: $(DEV_STAMP) ## Compile for Redshift offline and check the SQL (after build)
	$(BIN)/lending-redshift-check --duckdb $(DBT_DUCKDB_PATH)

metadata: $(DEV_STAMP) ## Metadata gate (dbt-bouncer): descriptions, key tests, contracts (after build)
	$(NEEDS_WAREHOUSE)
	@# The catalog (the built relations' real columns) for the catalog checks.
	$(BIN)/dbt docs generate --no-compile --quiet
	$(BOUNCER)/bin/dbt-bouncer run --config-file dbt-bouncer.yml

docs: $(RUNTIME_STAMP) ## Generate the docs site, and target/static_index.html to share
	$(NEEDS_WAREHOUSE)
	$(BIN)/dbt docs generate --static
	$(BIN)/lending-stamp-docs
	@echo "Docs site in target/: browse it with 'make docs-serve', or open or share the"
	@echo "single file target/static_index.html (needs no server)."

docs-serve: $(RUNTIME_STAMP) ## Serve the docs site on http://localhost:8080 (DOCS_PORT=...)
	@test -f target/index.html -a -f target/catalog.json || { \
		echo "make docs-serve: no docs site in target/; run 'make docs' first" >&2; exit 1; }
	@# dbt docs serve serves its whole target path: target/ also holds the compiled SQL, run
	@# results and the Airflow runs' artifacts. So a folder of the site's files only.
	rm -rf $(DOCS_SITE) && mkdir -p -m 700 $(DOCS_SITE)
	cp $(addprefix target/,$(DOCS_SITE_FILES)) $(DOCS_SITE)/
	$(BIN)/dbt docs serve --target-path $(DOCS_SITE) --host 127.0.0.1 --port $(DOCS_PORT) \
		--no-browser

metrics: $(RUNTIME_STAMP) ## Example metric query: success rate by country and year
	$(NEEDS_WAREHOUSE)
	$(BIN)/mf query --metrics success_rate,settled_count,disbursed_usd \
		--group-by country__country_name,metric_time__year \
		--order country__country_name,metric_time__year --decimals 4

report: $(RUNTIME_STAMP) ## Write the charts report to reports/lending_report.html
	$(NEEDS_WAREHOUSE)
	$(BIN)/lending-report --output reports/lending_report.html

screenshots: $(DEV_STAMP) install-browser docs report ## Retake the README's screenshots (docs/images) from the current build
	$(BIN)/lending-screenshots

bench: $(DEV_STAMP) ## Measure the targets of issues 14 and 24 into benchmarks/results.json (BENCH_SIZES, BENCH_MAKE_TEST=1)
	$(BIN)/lending-bench --sizes $(BENCH_SIZES) --rounds $(BENCH_ROUNDS) \
		--large-rounds $(BENCH_LARGE_ROUNDS) $(if $(BENCH_MAKE_TEST),--make-test)

clean: ## Remove dbt artifacts, generated data, the DuckDB file and reports (keeps .venv)
	rm -rf target logs data reports test-artifacts

# The pinned requirements first, hash-checked: requirements-lock.txt is requirements.txt with
# the sha256 of every file PyPI has for each pin (`make lock`), and pip refuses any download
# that differs. Then the project's own package (scripts/lending, editable, so its console
# commands run the working tree's code), built with the locked setuptools.
$(RUNTIME_STAMP): requirements-lock.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --require-hashes -r requirements-lock.txt
	$(PIP_INSTALL) --no-deps --no-build-isolation -e .
	@touch $@

# --- The hash locks. Every virtual environment installs from one, with --require-hashes:
# <name>.txt holds the pins a person edits, <name>-lock.txt the same pins with the sha256 of
# every file the index has for each (pip-compile --generate-hashes), so a package changed
# on the index fails the install. Regenerate them after any change to a requirements file
# (tests/python/test_requirements_lock.py compares each pair). requirements-dev.txt includes
# requirements.txt and installs into the same venv, so its lock holds the same runtime pins
# and hashes (the test checks that too). pip-tools has a venv of its own, .venv-lock,
# itself installed from a hash lock.
LOCK_VENV := .venv-lock
# requirements file:its lock, for each virtual environment.
LOCKS := requirements.txt:requirements-lock.txt \
	requirements-dev.txt:requirements-dev-lock.txt \
	requirements-bouncer.txt:requirements-bouncer-lock.txt \
	requirements-infra.txt:requirements-infra-lock.txt \
	requirements-airflow.txt:requirements-airflow-lock.txt \
	requirements-lock-tools.txt:requirements-lock-tools-lock.txt
# pip-compile writes a pin with an extra (uvicorn[standard]==...) alone; pip 23.2, Python
# 3.11's, then refuses a dependency's plain `uvicorn>=...` as unpinned. After `make lock`,
# add the plain pin with the same hashes under each (test_requirements_lock.py names them).
PIP_COMPILE := $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
	--no-strip-extras --no-emit-index-url --no-emit-find-links

.PHONY: lock

lock: ## Regenerate every requirements-*lock.txt (sha256 of every pinned file) from its requirements file
	@test -x $(LOCK_VENV)/bin/python || $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		--require-hashes -r requirements-lock-tools-lock.txt
	@for pair in $(LOCKS); do \
		echo "pip-compile $${pair%%:*} -> $${pair#*:}"; \
		$(PIP_COMPILE) --output-file $${pair#*:} $${pair%%:*}; \
	done

$(DEV_STAMP): requirements-dev-lock.txt $(RUNTIME_STAMP) $(BOUNCER_STAMP)
	$(PIP_INSTALL) --require-hashes -r requirements-dev-lock.txt
	@touch $@

$(BOUNCER_STAMP): requirements-bouncer-lock.txt
	@test -x $(BOUNCER)/bin/python || $(PYTHON) -m venv $(BOUNCER)
	$(BOUNCER)/bin/python -m pip install --quiet --disable-pip-version-check \
		--require-hashes -r requirements-bouncer-lock.txt
	@touch $@

# --- Terraform (infra/terraform), checked offline: no terraform binary or provider registry
# here. checkov's pins conflict with requirements.txt, so it has a venv of its own.
INFRA_VENV := .venv-infra
INFRA_STAMP := $(INFRA_VENV)/.installed
CHECKOV_OFFLINE := --framework terraform --skip-download --compact --quiet

.PHONY: infra-check checkov

infra-check: checkov ## Terraform: checkov (offline, zero failures), parse and consistency tests
	$(BIN)/python -m pytest tests/python/infra

# `make test` runs this, and the tests above with the rest of pytest.
checkov: $(DEV_STAMP) $(INFRA_STAMP) ## Terraform: checkov offline, zero failed checks
	BC_SKIP_MAPPING=TRUE $(INFRA_VENV)/bin/checkov --directory infra/terraform $(CHECKOV_OFFLINE)

$(INFRA_STAMP): requirements-infra-lock.txt
	@test -x $(INFRA_VENV)/bin/python || $(PYTHON) -m venv $(INFRA_VENV)
	$(INFRA_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		--require-hashes -r requirements-infra-lock.txt
	@touch $@

# --- Orchestration: the monthly delivery DAG (orchestration/README.md) -------------------
# Airflow 3 and Cosmos live in .venv-airflow (their pins conflict with dbt's); the DAG runs
# dbt and the lending-* commands from .venv. The Airflow tests import airflow, so they run
# with that venv's python and without the main suite's conftest (which skips their folder).
AIRFLOW_VENV := .venv-airflow
AIRFLOW_STAMP := $(AIRFLOW_VENV)/.installed
AIRFLOW_TESTS := tests/python/orchestration
AIRFLOW_PYTEST := $(AIRFLOW_VENV)/bin/python -m pytest --confcutdir=$(AIRFLOW_TESTS)
AIRFLOW_PORT ?= 8081
# Cosmos reports usage to its vendor unless told not to; nothing here phones home.
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
export SCARF_NO_ANALYTICS := true

.PHONY: install-airflow orchestration-test dag-test airflow-standalone

install-airflow: $(AIRFLOW_STAMP) ## Create .venv-airflow (Airflow 3, Cosmos) from requirements-airflow-lock.txt

orchestration-test: $(AIRFLOW_STAMP) $(DEV_STAMP) ## The DAG: import, structure, end-to-end runs
	$(AIRFLOW_PYTEST) $(AIRFLOW_TESTS)

dag-test: $(AIRFLOW_STAMP) $(DEV_STAMP) ## Only the end-to-end `airflow dags test` runs
	$(AIRFLOW_PYTEST) $(AIRFLOW_TESTS)/test_dag_runs.py

airflow-standalone: $(AIRFLOW_STAMP) $(RUNTIME_STAMP) ## Airflow's UI with the DAG on localhost:8081
	@test -f target/manifest.json || $(BIN)/dbt parse --quiet
	@# standalone starts its components as `airflow ...` commands: the venv's, on PATH.
	PATH=$(CURDIR)/$(AIRFLOW_VENV)/bin:$$PATH AIRFLOW_HOME=$(CURDIR)/.airflow \
		AIRFLOW__COSMOS__CACHE_DIR=$(CURDIR)/.airflow/cosmos \
		AIRFLOW__CORE__DAGS_FOLDER=$(CURDIR)/orchestration/dags \
		AIRFLOW__CORE__LOAD_EXAMPLES=False AIRFLOW__API__HOST=127.0.0.1 \
		AIRFLOW__API__PORT=$(AIRFLOW_PORT) \
		airflow standalone

$(AIRFLOW_STAMP): requirements-airflow-lock.txt
	@test -x $(AIRFLOW_VENV)/bin/python || $(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		--require-hashes -r requirements-airflow-lock.txt
	@touch $@
