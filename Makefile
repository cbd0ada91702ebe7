# The two commands: `make run` (the site with demo data) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test lint install

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

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
