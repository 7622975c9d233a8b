# The Makefile is the interface. `make run` and `make test` are the two commands in the README;
# everything else is a step they call, or a tool for developers.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
export PYTHONPATH := $(CURDIR)
export PYTHONDONTWRITEBYTECODE := 1
# Rasa phones home unless told not to; there is no internet here anyway.
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: help setup lock domain train run test test-fast bench eval lint types browser-deps clean

help:
	@echo "make run    - set up (venv, locked deps, model) and start the whole service"
	@echo "make test   - set up the same way and run the whole test suite"
	@echo "make eval   - NLU and language-detection evaluation per language"
	@echo "make bench  - load benchmark against a bare Rasa baseline"

setup:
	@scripts/setup-venv.sh
	@$(PY) -m bot.cli db upgrade
	@$(PY) -m bot.secrets ensure

# Re-resolve the lock after editing requirements/*.in. Never pip install anything by hand.
lock:
	@scripts/setup-venv.sh
	$(VENV)/bin/uv pip compile -q --python-version 3.10 --python-platform x86_64-unknown-linux-gnu \
	  --generate-hashes requirements/dev.in -o requirements/lock.txt

# Write the translations in locales/ into the domain's response entries (one entry, all languages).
domain: setup
	$(PY) -m scripts.build_domain

train: setup
	@scripts/train-if-changed.sh

run: setup train
	@scripts/run.sh

# Production profile: two Rasa servers on PostgreSQL/Redis/RabbitMQ (docs/deployment.md).
run-prod: setup train
	@scripts/run-prod.sh

test: setup train browser-deps
	@scripts/test.sh

test-fast: setup
	$(PY) -m pytest -m "not e2e and not browser" -q

eval: setup train
	$(PY) -m scripts.eval

bench: setup train
	$(PY) -m scripts.bench

lint: setup
	$(VENV)/bin/ruff check bot actions channels service tests scripts
	$(VENV)/bin/lint-imports --no-cache  # import contracts in pyproject.toml: layers one way, no circles

types: setup
	$(VENV)/bin/mypy bot actions channels service scripts

# Debian's chromium + chromedriver for the browser tests (installed here, never downloaded by a tool).
browser-deps:
	@scripts/browser-deps.sh

clean:
	rm -rf var models .pytest_cache
