# Two commands matter: `make run` and `make test` (see README). Everything else supports them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := app

.PHONY: run test test-sqlite test-postgres venv dev-venv translations extract-messages lint clean bench

$(BIN)/activate: requirements.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -c constraints.txt
	touch $(BIN)/activate

$(VENV)/.dev-installed: $(BIN)/activate requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

venv: $(BIN)/activate
dev-venv: $(VENV)/.dev-installed

# Compiled message catalogues (.mo) are build products, never committed.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(BIN)/activate
	$(BIN)/pybabel compile --use-fuzzy -d translations -l $* >/dev/null
translations: $(MO_FILES)

# Re-extract the interface strings and rebuild the Chinese catalogue from tools/zh_catalogue.py.
extract-messages: $(BIN)/activate
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot . >/dev/null
	$(BIN)/python tools/zh_catalogue.py

run: venv translations
	bin/system-deps
	$(BIN)/flask db upgrade
	$(BIN)/flask seed
	$(BIN)/flask demo-data --if-empty
	@cat instance/demo-logins.txt 2>/dev/null || true
	PORT=$(PORT) bin/run

test: dev-venv translations
	bin/system-deps --test
	$(BIN)/python -m pytest -q

# Benchmarks (issue 8): not part of `make test`. Datasette, the peer the plate check is compared
# with, lives in its own virtual environment (its pins are not the app's); wrk comes from Debian.
# BENCH_CASES=100000 make bench for a quicker run; see bench/run.py for the other settings.
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed: bench/requirements-datasette.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet -r bench/requirements-datasette.txt
	touch $@

bench: venv translations $(BENCH_VENV)/.installed
	bin/system-deps --bench
	$(BIN)/python bench/run.py

lint: dev-venv
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache translations/*/LC_MESSAGES/*.mo
