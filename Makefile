# Every target bootstraps .venv on first use from nothing but python3 and git.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck check

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[all,dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the agent with every extra

test: $(STAMP)  ## run the whole test suite
	$(BIN)/pytest

lint: $(STAMP)  ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)  ## mypy --strict over the agent
	$(BIN)/mypy --strict src main.py

check: lint typecheck test  ## all of the above

.PHONY: bench bench-perf

bench: $(STAMP)  ## measure this repository with every enabled benchmark
	$(BIN)/agent bench

bench-perf: $(STAMP)  ## time cold and warm `agent bench` against the tools run by hand
	$(BIN)/python scripts/bench_perf.py
