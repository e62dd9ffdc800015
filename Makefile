# Privacy-operations portal: `make demo` to try it, `make test` to check it.
#
# Everything runs from .venv, built with the machine's python3 (3.11 or newer;
# override with `make demo PYTHON=python3.12`). Settings come from the
# environment (see README.md); with none set you get the embedded default:
# SQLite and Celery on kombu's filesystem transport under var/celery.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CELERY := $(VENV)/bin/celery
# Reinstall only when the locked requirements change.
STAMP := $(VENV)/.installed
LOCKS := requirements.lock requirements-dev.lock
PIP_COMPILE := $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
BENCH_ARGS ?=
SCHEDULER := django_celery_beat.schedulers:DatabaseScheduler

.DEFAULT_GOAL := help
.PHONY: help install lock demo test test-e2e lint typecheck bench run-worker run-beat

help:
	@echo "make demo        install, migrate, load the demo organisation, serve http://$(HOST):$(PORT) with a worker and beat"
	@echo "make test        run the test suite (PYTEST_ARGS='-k asset' to narrow it)"
	@echo "make test-e2e    API fuzzing (schemathesis) and browser tests (Playwright on /usr/bin/chromium, axe-core)"
	@echo "make lint        ruff check, ruff format --check, import contracts (lint-imports), bandit, make typecheck"
	@echo "make typecheck   mypy (django-stubs) on the services and selectors"
	@echo "make lock        recompile requirements*.lock (with hashes) after changing requirements*.txt"
	@echo "make bench       run the benchmarks (BENCH_ARGS to pass options)"
	@echo "make run-worker  a Celery worker (production style, settings from the environment)"
	@echo "make run-beat    Celery beat with the database scheduler (one per installation)"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)

# Exactly what the lock names, each file checked against its hash.
$(STAMP): $(LOCKS) | $(PY)
	$(PY) -m pip install --disable-pip-version-check --quiet --require-hashes -r requirements-dev.lock
	@touch $@

install: $(STAMP)

# The runtime lock first; the dev lock is held to the same versions (-c).
lock: $(STAMP)
	$(PIP_COMPILE) --output-file requirements.lock requirements.txt
	$(PIP_COMPILE) --constraint requirements.lock --output-file requirements-dev.lock requirements-dev.txt

# The worker runs with embedded beat and the solo pool: the filesystem broker
# and a small machine need no more. Stopping the server (Ctrl-C) stops it too.
demo: export DEBUG ?= 1
# Links in pages and mails follow the address the demo serves on (make demo PORT=8101),
# unless PORTAL_BASE_URL is set in the environment, on the command line or in .env.
ifeq ($(origin PORTAL_BASE_URL)$(shell grep -s '^ *PORTAL_BASE_URL *=' .env),undefined)
demo: export PORTAL_BASE_URL = http://$(HOST):$(PORT)
endif
demo: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py seed_demo
	@mkdir -p var/log
	@set -e; \
	$(CELERY) -A portal worker -B --scheduler $(SCHEDULER) --pool solo --loglevel INFO \
		--logfile var/log/celery.log & \
	worker=$$!; \
	stop_worker() { \
		if kill -0 $$worker 2>/dev/null; then \
			echo "Stopping the Celery worker ($$worker)..."; \
			kill -TERM $$worker 2>/dev/null || true; \
			for _ in $$(seq 1 40); do kill -0 $$worker 2>/dev/null || break; sleep 0.25; done; \
			kill -KILL $$worker 2>/dev/null || true; \
		fi; \
	}; \
	trap stop_worker EXIT; \
	trap 'exit 130' INT TERM; \
	echo "Celery worker with beat started (pid $$worker, log var/log/celery.log)."; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# The browser flows on Debian's chromium with axe-core (without chromium they skip; CI fails), then
# schemathesis over every API operation (FUZZ_EXAMPLES per operation and mode, default 6). Two runs:
# in one session the browser flows' reload of the migrated data (serialized_rollback) went missing.
# E2E_XML=path writes a JUnit report per run (path-browser.xml, path-fuzz.xml).
test-e2e: $(STAMP)
	$(PY) -m pytest tests/e2e -m browser $(PYTEST_ARGS) $(if $(E2E_XML),--junitxml=$(E2E_XML)-browser.xml)
	$(PY) -m pytest tests/e2e -m fuzz $(PYTEST_ARGS) $(if $(E2E_XML),--junitxml=$(E2E_XML)-fuzz.xml)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/bandit -r portal access incidents dsar -c pyproject.toml -q
	@$(MAKE) --no-print-directory typecheck

typecheck: $(STAMP)
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) -m bench $(BENCH_ARGS)

# Production style: one or more workers and exactly one beat, each its own
# process, with CELERY_BROKER_URL, DATABASE_URL etc. set in the environment.
run-worker:
	$(CELERY) -A portal worker --loglevel INFO $(WORKER_ARGS)

run-beat:
	$(CELERY) -A portal beat --scheduler $(SCHEDULER) --loglevel INFO
