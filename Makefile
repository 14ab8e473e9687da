# trainer: `make run` serves the demo, `make test` runs the suite, `make bench` the benchmarks.
# Each target first does the whole set-up (virtualenv, packages, translations, migrations, content check, demo
# data), so both work on a fresh clone.

PYTHON   ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
FLASK    := $(BIN)/flask --app run
HOST     ?= 127.0.0.1
PORT     ?= 5000
WORKERS  ?= 2
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres bench setup install translations translations-update check-content clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

install: $(VENV)/.installed

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

translations: install
	$(BIN)/pybabel --quiet compile -d trainer/translations

# After changing interface text: refresh the catalogs, translate the new entries (ar, fr), then `make test`.
translations-update: install
	$(BIN)/pybabel --quiet extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 --sort-by-file \
		--project trainer -o trainer/translations/messages.pot .
	$(BIN)/pybabel --quiet update -i trainer/translations/messages.pot -d trainer/translations --no-fuzzy-matching

check-content: install
	$(FLASK) content check

setup: translations
	$(FLASK) db upgrade
	$(FLASK) content check
	$(FLASK) demo

run: setup
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	$(BIN)/gunicorn --no-control-socket --workers $(WORKERS) --bind $(HOST):$(PORT) run:app

test: setup $(VENV)/.installed-test test-sqlite test-postgres

test-sqlite: translations $(VENV)/.installed-test
	$(BIN)/pytest -q

# PostgreSQL: the same suite against a real server. CI sets REQUIRE_POSTGRES=1 so a missing server fails.
test-postgres: translations $(VENV)/.installed-test
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(TEST_POSTGRES_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		TEST_DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest -q; \
	elif [ -n "$$REQUIRE_POSTGRES" ]; then echo "PostgreSQL is not reachable at $(TEST_POSTGRES_URL)"; exit 1; \
	else echo "PostgreSQL not reachable at $(TEST_POSTGRES_URL): PostgreSQL run skipped"; fi

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache
