# Norec Network: the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

# Tests and benchmarks run on the real services (PostgreSQL and Redis), never SQLite.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/norec_network
TEST_BROKER_URL ?= redis://127.0.0.1:6379/0
TEST_ENV := DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) DJANGO_DEBUG=true

.PHONY: run test bench install lint services browser compose-check gettext catalogues messages clean

# Re-use the venv while pyproject.toml has not changed; rebuild it when it has.
$(INSTALLED): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required (Python 3.11)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --no-compile ".[dev]"
	touch $@

install: $(INSTALLED)

# `make run`: web server, a real worker and beat in one terminal, on embedded defaults (SQLite,
# a filesystem broker, mails in var/mail/). Ctrl-C stops them all.
run: install catalogues
	mkdir -p var/mail var/broker/queue var/broker/control var/broker/processed
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo --if-empty
	$(VENV)/bin/honcho -f Procfile.dev start

services:
	@NOREC_DB_NAME=$(notdir $(TEST_DATABASE_URL)) bash scripts/ensure_services.sh

browser:
	@bash scripts/ensure_chromium.sh

compose-check:
	@bash scripts/check_compose.sh

gettext:
	@bash scripts/ensure_gettext.sh

# The .mo files are generated, not committed: compiled with polib (a pinned Python dependency)
# rather than GNU gettext's msgfmt, so that `make run` gives translated pages on a machine with
# only Python; msgfmt would be one more system package to install, for the same bytes.
catalogues: install
	$(PY) manage.py compile_catalogues

# The layers of docs/architecture.md, as contracts in pyproject.toml ([tool.importlinter]).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

test: install services browser compose-check gettext catalogues lint
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

bench: install services
	@set -e; for script in bench/bench_*.py; do echo "== $$script"; $(TEST_ENV) $(PY) $$script; done

# Updates locale/{fr,es,pt}/LC_MESSAGES/django.po from the code: makemessages --all
# --add-location=file --no-wrap --no-obsolete for every language of settings.LANGUAGES but English
# (ignoring .venv, var, tests, bench, ...; core/i18n_catalogues.py), then each header's Language
# and Plural-Forms. Translate what it adds; tests/i18n/test_catalogues.py fails until you have.
messages: install gettext
	$(PY) manage.py update_catalogues

clean:
	rm -rf var test-artifacts .pytest_cache .ruff_cache .import_linter_cache
