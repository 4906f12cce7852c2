# Every target builds the same virtual environment first, so a fresh clone needs only `make demo` or `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# CI lays a tiktoken cache beside the clone; use it when it is there and nothing else is set. Never export
# an empty TIKTOKEN_CACHE_DIR: tiktoken reads an empty value as "no cache" and goes to the network.
SHARED_CACHE := $(abspath ../shared/tiktoken-cache)
ifeq ($(strip $(TIKTOKEN_CACHE_DIR)),)
ifneq ($(wildcard $(SHARED_CACHE)),)
export TIKTOKEN_CACHE_DIR := $(SHARED_CACHE)
else
unexport TIKTOKEN_CACHE_DIR
endif
endif

.PHONY: venv demo test test-fast lint bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	@bash scripts/demo.sh

test: $(STAMP)
	$(BIN)/python -m pytest

# The unit tier (well under a minute): everything but the tests marked `slow` (see tests/conftest.py).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	@set -e; for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
