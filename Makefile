# StockOSS platform. `make demo` runs the platform locally; `make test` runs every test CI runs.
# Both set the machine up first (scripts/setup.sh is idempotent and fast when nothing changed).
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV   := .venv
PY     := $(VENV)/bin/python
export TF_CLI_CONFIG_FILE ?= /dev/null
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup test test-faults test-slow test-localstack lint demo up status query bench load load-test soak package \
        preview plan apply destroy output bootstrap org-plan org-apply tf-check tf-docs clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_ -]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

setup: ## Install everything (Java for Spark, venv, locked Python packages); idempotent
	@bash scripts/setup.sh

test: setup ## Architecture contracts, unit, integration (moto server + Kafka broker + Spark), Terraform offline checks
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -m "not slow and not load and not faults" -p no:cacheprovider
	$(PY) -m scripts.terraform.check

test-faults: setup ## The fault-injection suite: the whole path under faults, every sink counted (faults: N passed, M failed)
	$(PY) -m pytest tests/faults -m faults -p no:cacheprovider

test-slow: setup ## The slow tests (large volumes)
	$(PY) -m pytest -m slow -p no:cacheprovider

test-localstack: setup ## The integration suite against LocalStack at AWS_ENDPOINT_URL (default http://localhost:4566)
	AWS_ENDPOINT_URL=$${AWS_ENDPOINT_URL:-http://localhost:4566} $(PY) -m pytest -m "integration and not slow and not load and not faults" -p no:cacheprovider

lint: setup ## ruff + mypy on the Python, the architecture contracts (import-linter), terraform fmt -check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy platform_core lambdas glue_jobs local_platform tools scripts bench tests
	$(VENV)/bin/lint-imports --no-cache
	terraform fmt -check -recursive

demo: setup ## Start the local platform, push real traffic through it, print a summary, stop
	$(PY) -m tools demo

up: setup ## Start the local platform and its console (URL printed) and serve until Ctrl-C
	$(PY) -m tools up

status: setup ## Health of a running local platform (make up)
	$(PY) -m tools status

# SQL is passed as typed: $(value) keeps make from expanding `$.` (JSON paths) or `$$`, and the single
# quotes keep the shell from expanding anything.
query: setup ## Run an athena/ query locally: make query Q=athena/queries/x.sql (or SQL="select ...")
	$(PY) -m tools query $(if $(Q),--file $(Q)) $(if $(value SQL),--sql '$(subst ','"'"',$(value SQL))') $(ARGS)

preview: setup ## Render a notification template on every channel (TEMPLATE=order_confirmed LOCALE=fr ARGS="--set total=9.90")
	$(PY) -m tools preview $(or $(TEMPLATE),order_confirmed) --locale $(or $(LOCALE),en) $(ARGS)

bench: setup ## Benchmarks; figures go to bench/results/ and the README
	$(PY) -m bench $(ARGS)

load: setup ## Load generator against the local gateway (ARGS="--rate 10 --duration 60"; see make load ARGS=--help)
	$(PY) -m tools load $(ARGS)

soak: setup ## Soak: a fresh platform at RATE events/s per team (default 5) for MINUTES (default 10); every sink counted
	$(PY) -m tools load --soak-minutes $(or $(MINUTES),10) --rate $(or $(RATE),5) $(ARGS)

load-test: setup ## The load and soak tests
	$(PY) -m pytest -m load -p no:cacheprovider

package: setup ## Build the Lambda zips (reproducible) into build/lambda/ and the services' container images into build/images/
	$(PY) -m scripts.package

tf-check: setup ## Terraform offline checks only
	$(PY) -m scripts.terraform.check

tf-docs: setup ## Rewrite the generated part of every module README (inputs, outputs, resources) from the code
	$(PY) -m scripts.terraform.docs

# --- AWS (needs credentials) -------------------------------------------------
plan apply destroy: setup ## Terraform for one environment of config/platform.yaml: make plan ENV=dev (apply/destroy apply the saved plan)
	@bash scripts/terraform/run.sh check-env $(ENV)
	@$(MAKE) --no-print-directory package
	@bash scripts/terraform/run.sh $@ $(ENV)

output: setup ## An environment's Terraform outputs as JSON (API keys, URLs, DNS records): make output ENV=dev
	@bash scripts/terraform/run.sh check-env $(ENV)
	@bash scripts/terraform/run.sh output $(ENV)

bootstrap org-plan org-apply: ## First-time roots: make bootstrap, then make org-plan / org-apply (management account)
	@bash scripts/terraform/run.sh $@

clean: ## Remove build outputs and local state (keeps the venv)
	rm -rf build .local
