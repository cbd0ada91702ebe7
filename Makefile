# The two commands: `make run` (the site with demo data) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test lint install lock audit

# Every package, transitive ones included, is pinned with its hashes (requirements*.txt, made by `make lock`
# from requirements*.in): pip refuses anything whose hash is not in the lock, so a tampered package cannot install.
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# To add or change a dependency: edit requirements.in (the site) or requirements-dev.in (tests, tools), then
# `make lock`, and commit the .in and .txt files together. Existing pins stay as they are unless the .in asks
# otherwise; `make lock LOCK_ARGS="--upgrade-package NAME"` moves one package to its newest release.
# The lock is resolved against PyPI alone (no machine-local wheel folders or extra indexes in the hashes).
PIP_COMPILE := env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null \
	$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock: $(STAMP)
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

# Known vulnerabilities in the locked packages (pip-audit, needs the advisory service: not run in CI, which
# cannot reach it). The result and date are recorded for `manage.py launch_check`.
audit: $(STAMP)
	$(PY) manage.py migrate --noinput --verbosity 0
	$(PY) security/audit_dependencies.py

# Ports of `make run`: `make run SITE_PORT=8103 EMULATOR_PORT=12103` to run beside another copy.
SITE_PORT ?= 8000
EMULATOR_PORT ?= 12111

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	SITE_PORT=$(SITE_PORT) EMULATOR_PORT=$(EMULATOR_PORT) \
	SITE_URL=http://127.0.0.1:$(SITE_PORT) STRIPE_API_BASE=http://127.0.0.1:$(EMULATOR_PORT) \
	$(VENV)/bin/honcho -f Procfile.dev start

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
