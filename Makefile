# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
CLIENT_STAMP := client/node_modules/.installed-stamp
CLIENT_BUILD := client/dist/index.html

.PHONY: run test lint typecheck unit install schema docs bench clean client client-test

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

$(CLIENT_STAMP): client/package.json client/package-lock.json
	cd client && npm ci
	@touch $(CLIENT_STAMP)

$(CLIENT_BUILD): $(CLIENT_STAMP) schema.graphql $(shell find client/src client/index.html client/vite.config.ts client/codegen.ts -type f -not -path 'client/src/gql/*' 2>/dev/null)
	cd client && npm run build

# the web app, served by the API at / (Node.js 20+)
client: $(CLIENT_BUILD)

# its unit tests, its size budget, and end-to-end tests in Debian's chromium against the API in demo mode
client-test: install client
	cd client && npm test && npm run budget && npm run e2e

run: install
	@if command -v npm >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory client || echo "The web app could not be built: the API runs without it (client/README.md)."; \
	else \
		echo "Node.js is not installed, so the web app is not built: the API and GraphiQL run without it."; \
		echo "Install Node.js 20 or newer and run 'make client' (or use the Docker image, which has it built in)."; \
	fi
	$(BIN)/teslasync serve --demo

lint: install
	$(BIN)/ruff check teslasync tests bench alembic
	$(BIN)/ruff format --check teslasync tests bench alembic

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest

test: lint typecheck unit client-test

schema: install
	$(BIN)/teslasync export-schema schema.graphql

docs: install
	$(BIN)/mkdocs build --strict --site-dir site
	@echo "the site is in site/ (open site/index.html)"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache site client/node_modules client/dist client/src/gql
