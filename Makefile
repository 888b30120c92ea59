# Every target bootstraps .venv on first use from nothing but python3 and git.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test test-fast lint typecheck check run

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[all,dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the agent with every extra

test: $(STAMP)  ## run the whole test suite
	$(BIN)/pytest

test-fast: $(STAMP)  ## the inner-loop suite: everything but tests marked slow or network, on 2 workers
	$(BIN)/pytest -n 2 -m "not slow and not network"

lint: $(STAMP)  ## ruff check, ruff format --check and hadolint on the Dockerfile
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

typecheck: $(STAMP)  ## mypy --strict over the agent
	$(BIN)/mypy --strict src main.py

check: lint typecheck test  ## all of the above

.PHONY: bench bench-perf bench-sandbox

bench: $(STAMP)  ## measure this repository with every enabled benchmark
	$(BIN)/agent bench

bench-perf: $(STAMP)  ## time cold and warm `agent bench` against the tools run by hand
	$(BIN)/python scripts/bench_perf.py

bench-sandbox: $(STAMP)  ## the sandbox's cost: `agent bench --no-cache` of this repo with and without it
	$(BIN)/python scripts/bench_sandbox.py

run: $(STAMP)  ## the offline demo: evolve a fresh sample repository, no key or network needed
	$(BIN)/agent demo --path "$$(mktemp -d)/demo"

.PHONY: test-live run-live

# Both targets call the real Anthropic API and cost money; they refuse to start without a key.
NEED_KEY = @test -n "$$ANTHROPIC_API_KEY" || { echo "set ANTHROPIC_API_KEY first" >&2; exit 1; }
# --dry-run: every phase runs for real, but nothing is merged and no branch is kept;
# `make run-live LIVE_ARGS=` leaves an accepted generation pending for `agent merge N`.
LIVE_ARGS ?= --dry-run

test-live: $(STAMP)  ## one real generation on a small temp repository (needs ANTHROPIC_API_KEY)
	$(NEED_KEY)
	$(BIN)/pytest tests/test_integration_live.py -v

run-live: $(STAMP)  ## one real generation on this repository, --dry-run by default (needs ANTHROPIC_API_KEY)
	$(NEED_KEY)
	$(BIN)/agent run --provider anthropic --repo . $(LIVE_ARGS)

.PHONY: dist release-check

dist: $(STAMP)  ## build the wheel and sdist into dist/
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

# Reaches the package index: installs the wheel with every extra into a brand-new venv.
release-check: dist  ## install the built wheel in a fresh venv and print `agent --version`
	rm -rf dist/venv
	$(PYTHON) -m venv dist/venv
	dist/venv/bin/pip install --quiet --disable-pip-version-check "$$(ls dist/*.whl)[all]"
	cd dist && venv/bin/agent --version
