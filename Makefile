# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck unit install schema docs bench clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/teslasync serve --demo

lint: install
	$(BIN)/ruff check teslasync tests bench alembic
	$(BIN)/ruff format --check teslasync tests bench alembic

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest

test: lint typecheck unit

schema: install
	$(BIN)/teslasync export-schema schema.graphql

docs: install
	$(BIN)/mkdocs build --strict --site-dir site
	@echo "the site is in site/ (open site/index.html)"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache site
