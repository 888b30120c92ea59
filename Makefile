# Every target bootstraps .venv on first use from nothing but python3 and git.
# `make test PYTHON=/usr/bin/python3` builds and uses a venv of that interpreter's own
# (.venv-usr-bin-python3), so the default .venv is never rebuilt for another Python.
PYTHON ?= python3
VENV ?= $(if $(filter python3,$(PYTHON)),.venv,.venv-$(subst /,-,$(patsubst /%,%,$(PYTHON))))
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test test-fast lint typecheck check run

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[all,dev,docs]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the agent with every extra, dev and docs included

test: $(STAMP)  ## run the whole test suite
	$(BIN)/pytest

test-fast: $(STAMP)  ## the inner-loop suite: everything but tests marked slow or network, on 2 workers
	$(BIN)/pytest -n 2 -m "not slow and not network"

lint: $(STAMP)  ## ruff check, ruff format --check and hadolint on the Dockerfile
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

# mypy cannot follow package-dir, so it reads src/ through a link named like the package.
TYPECHECK := $(VENV)/typecheck
typecheck: $(STAMP)  ## mypy --strict over the package self_improving_agent and main.py
	mkdir -p $(TYPECHECK) && ln -sfn "$(CURDIR)/src" $(TYPECHECK)/self_improving_agent
	MYPYPATH=$(TYPECHECK) $(BIN)/mypy --strict -p self_improving_agent
	MYPYPATH=$(TYPECHECK) $(BIN)/mypy --strict main.py

check: lint typecheck test  ## all of the above

.PHONY: docs docs-serve docs-ref screenshots readme-map

docs: $(STAMP)  ## build the manual (docs/) into site/ with mkdocs --strict: a warning fails it
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

docs-serve: $(STAMP)  ## serve the manual on http://127.0.0.1:8000, rebuilt on every change
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

docs-ref: $(STAMP)  ## regenerate the manual's reference pages, troubleshooting and floor picture from the code
	$(BIN)/python scripts/docs_ref.py

screenshots: $(STAMP)  ## PNG pictures for the docs: the demo's terminal output and dashboard (needs chromium)
	$(BIN)/python scripts/screenshots.py

readme-map: $(STAMP)  ## where each heading of the old README went in the manual
	$(BIN)/python scripts/readme_map.py

.PHONY: bench bench-perf provider-overhead env-timing bench-sandbox scan-timing bounded-work start-timing mind-timing generation-timing

bench: $(STAMP)  ## measure this repository with every enabled benchmark
	$(BIN)/agent bench

bench-perf: $(STAMP)  ## time cold and warm `agent bench` against the tools run by hand
	$(BIN)/python scripts/bench_perf.py

provider-overhead: $(STAMP)  ## each provider's own time per call outside the HTTP round trip (budget 5 ms)
	$(BIN)/python scripts/provider_overhead.py

# PROJECTS: git checkouts of real projects (needs the package index for the cold builds).
PROJECTS ?= $(wildcard $(AGENT_REAL_PROJECTS)/*)
env-timing: $(STAMP)  ## cold uv environment build vs venv + pip of the same requirements, per project
	$(BIN)/python scripts/env_timing.py $(PROJECTS)

bench-sandbox: $(STAMP)  ## the sandbox's cost: `agent bench --no-cache` of this repo with and without it
	$(BIN)/python scripts/bench_sandbox.py

mind-timing: $(STAMP)  ## a cached mock generation through the mind's process vs main's in-process mind (target 1.1x)
	$(BIN)/python scripts/mind_timing.py

scan-timing: $(STAMP)  ## the write gate's code scan: the agent's largest file, generated 3,000-line files (target 100 ms)
	$(BIN)/python scripts/scan_timing.py

bounded-work: $(STAMP)  ## seconds and peak agent RSS of a generation on a 50 MB + 45 MB .py repo and on a 1 MB reply
	$(BIN)/python scripts/bounded_work.py

start-timing: $(STAMP)  ## `agent --version`, `--help` and a warm `agent bench` against a minimal Typer app (bounds 1.5x, 1.5x, 2x)
	$(BIN)/python scripts/start_timing.py

generation-timing: $(STAMP)  ## scripted generations (breaks, neutral, improves) on a real project against a cold full `agent bench`
	$(BIN)/python scripts/generation_timing.py

run: $(STAMP)  ## the offline demo: evolve a fresh sample repository, no key or network needed
	$(BIN)/agent demo --path "$$(mktemp -d)/demo"

.PHONY: test-live run-live

# Both targets call real models and may cost money. Each covers every provider whose credentials
# are set and skips the others: ANTHROPIC_API_KEY; AWS_PROFILE or AWS_ACCESS_KEY_ID (Bedrock, with
# LIVE_BEDROCK_MODEL, an inference profile); OPENAI_API_KEY or OPENAI_BASE_URL (with
# LIVE_OPENAI_MODEL, e.g. the name an Ollama or vLLM server serves).
LIVE_PROVIDERS = $(strip $(if $(ANTHROPIC_API_KEY),anthropic) \
	$(if $(or $(AWS_PROFILE),$(AWS_ACCESS_KEY_ID)),bedrock) \
	$(if $(or $(OPENAI_API_KEY),$(OPENAI_BASE_URL)),openai))
LIVE_BEDROCK_MODEL ?= global.anthropic.claude-sonnet-4-6
LIVE_OPENAI_MODEL ?= gpt-5-mini
export LIVE_BEDROCK_MODEL LIVE_OPENAI_MODEL
NEED_KEY = @test -n "$(LIVE_PROVIDERS)" || { echo "set ANTHROPIC_API_KEY, AWS credentials, or OPENAI_API_KEY / OPENAI_BASE_URL first" >&2; exit 1; }
# --dry-run: every phase runs for real, but nothing is merged and no branch is kept;
# `make run-live LIVE_ARGS=` leaves an accepted generation pending for `agent merge N`.
LIVE_ARGS ?= --dry-run

test-live: $(STAMP)  ## one real generation on a small temp repository per provider whose key is set
	$(NEED_KEY)
	$(BIN)/pytest tests/test_integration_live.py -v

run-live: $(STAMP)  ## one real generation on this repository per provider whose key is set, --dry-run by default
	$(NEED_KEY)
	@for provider in $(LIVE_PROVIDERS); do \
		case $$provider in \
			bedrock) model="--model $(LIVE_BEDROCK_MODEL)";; \
			openai) model="--model $(LIVE_OPENAI_MODEL)";; \
			*) model="";; \
		esac; \
		echo "== $$provider $$model"; \
		$(BIN)/agent run --provider $$provider $$model --repo . $(LIVE_ARGS) || exit 1; \
	done

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
