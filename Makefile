# Deltaplane — the two commands are `make run` and `make test`; the rest are building blocks.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := backend/.venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
VENV_STAMP := $(VENV)/.installed-stamp
NODE_STAMP := frontend/node_modules/.installed-stamp
DIST_STAMP := frontend/dist/index.html
FRONTEND_SOURCES := $(shell find frontend/src frontend/index.html frontend/vite.config.ts -type f 2>/dev/null)

.PHONY: deploy restore help run test test-backend test-frontend test-e2e build bench fake-delta migrate backup lint system-deps openapi clean

help: ## list targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-14s %s\n", $$1, $$2}'

$(VENV_STAMP): backend/pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e 'backend[test]'
	@touch $@

$(NODE_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

$(DIST_STAMP): $(NODE_STAMP) $(FRONTEND_SOURCES)
	cd frontend && npm run build

build: $(VENV_STAMP) $(DIST_STAMP) ## install backend, build the SPA

run: build ## run the product: paper exchange, SQLite, http://127.0.0.1:8000
	@mkdir -p data logs
	$(VENV)/bin/deltaplane serve

migrate: $(VENV_STAMP) ## apply database migrations
	$(VENV)/bin/deltaplane migrate

system-deps: ## install chromium, nginx and shellcheck from apt when missing
	@bash scripts/install_system_deps.sh

test-backend: $(VENV_STAMP) system-deps
	cd backend && .venv/bin/ruff check src tests
	cd backend && .venv/bin/python -m pytest

test-frontend: $(NODE_STAMP) $(VENV_STAMP)
	cd frontend && npm run check:api && npm run lint && npm run typecheck && npm test

# Sign-in through the SPA served by the backend itself (embedded mode, what `make run` serves),
# then every journey through the production config: docker/nginx.conf in front of the API.
test-e2e: build system-deps
	cd frontend && E2E_SKIP_BUILD=1 npm run e2e -- e2e/auth.spec.ts
	cd frontend && E2E_VIA_NGINX=1 E2E_SKIP_BUILD=1 npm run e2e

test: ## run every test: backend, frontend unit, browser end-to-end
	$(MAKE) test-backend
	$(MAKE) test-frontend
	$(MAKE) test-e2e

openapi: $(VENV_STAMP) $(NODE_STAMP) ## regenerate the typed API client from the backend
	cd frontend && npm run gen:api

bench: $(VENV_STAMP) ## run every benchmark in bench/ (each prints its figure last)
	@set -e; for f in bench/bench_*.py; do echo "== $$f"; $(PY) $$f; done

fake-delta: $(VENV_STAMP) ## run the fake Delta Exchange server on 127.0.0.1:8765
	$(PY) -m deltaplane.exchange.fake_delta --port 8765

backup: ## online-consistent SQLite backup into data/backups
	bash scripts/backup.sh

lint: $(VENV_STAMP)
	cd backend && .venv/bin/ruff check src tests

clean:
	rm -rf frontend/dist

deploy: ## production update: pull, build, migrate, restart (see docs/operations.md)
	bash scripts/deploy_prod.sh

restore: ## restore the newest backup (stops nothing: see docs/operations.md first)
	bash scripts/restore.sh --latest
