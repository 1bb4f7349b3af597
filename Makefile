# Humans and CI use the same targets. `make up` runs the stack, `make test` the suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(HOME)/.local/bin:$(PATH)
export NUXT_TELEMETRY_DISABLED := 1

UV := uv
RUN := $(UV) run --frozen

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

.PHONY: install
install: ## Install uv, Node.js, the Python and frontend dependencies
	@scripts/services.sh uv node
	$(UV) sync --frozen
	@if [ -f frontend/package-lock.json ]; then \
	  if [ ! -d frontend/node_modules ] || [ frontend/package-lock.json -nt frontend/node_modules/.package-lock.json ]; then \
	    cd frontend && npm ci --no-audit --no-fund; \
	  fi; \
	fi

.PHONY: services
services: ## Start PostgreSQL and Redis where they are not running; create the database
	@scripts/services.sh postgres database redis

.PHONY: migrate
migrate: ## Apply the database migrations
	$(RUN) alembic upgrade head

.PHONY: seed
seed: ## Create the demo user (idempotent)
	$(RUN) python -m app.cli seed-demo

.PHONY: frontend
frontend: ## Build the frontend's static bundle (frontend/.output/public)
	@if [ -f frontend/package.json ]; then cd frontend && npm run generate; fi

.PHONY: up
up: install services migrate seed ## Run the whole stack (Ctrl-C stops it)
	@scripts/up.sh

.PHONY: lint
lint: ## ruff, formatting and mypy
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy app

.PHONY: test
test: install services ## The whole test suite, starting every service it needs
	@scripts/services.sh chromium
	$(MAKE) --no-print-directory lint
	@if [ -f frontend/package.json ]; then cd frontend && npm test && npm run generate; fi
	$(RUN) pytest

.PHONY: bench
bench: install services ## Benchmarks: prints a table and writes bench/results/latest.json
	$(RUN) python -m bench
