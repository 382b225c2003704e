# Two commands for a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Only as root or with sudo can the test command install Debian's chromium when it is missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEV := FLASK_DEVELOPMENT=true

.PHONY: run test security lint browser-deps bench bench-deps clean

$(VENV)/.run-installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.run-installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

tests/browser/node_modules/.installed: tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	touch $@

browser-deps: tests/browser/node_modules/.installed
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

## run: install, migrate, load the demo data on an empty database, serve on 127.0.0.1:5000
run: $(VENV)/.run-installed
	$(DEV) $(BIN)/flask --app wsgi db upgrade
	$(DEV) $(BIN)/flask --app wsgi demo --if-empty
	$(DEV) $(BIN)/flask --app wsgi run --host 127.0.0.1 --port 5000

## test: install, lint, security checks, run every test (SQLite; PostgreSQL too when
## TEST_DATABASE_URL is set)
test: $(VENV)/.test-installed browser-deps security
	$(BIN)/ruff check .
	$(BIN)/ruff format --check journal tests
	$(BIN)/pytest -n auto --dist loadfile --durations=20

## security: bandit over the app's code; pip-audit over the installed packages, failing on a
## known vulnerability and saying loudly when it could look nothing up (tests/audit_dependencies.py)
security: $(VENV)/.test-installed
	$(BIN)/bandit -c pyproject.toml -r journal -q
	$(BIN)/python -m tests.audit_dependencies

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check journal tests

clean:
	rm -rf $(VENV) tests/browser/node_modules

bench-deps:
	@command -v wrk >/dev/null 2>&1 || { \
		echo "Installing Debian's wrk, the HTTP load generator of the benchmark"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk; }

## bench: print figures (not tests): failed sign-in and forgotten-password timings; a portfolio
## export of 300 pieces of evidence; the offline client's saves and sync in Chromium; every page
## under gunicorn on PostgreSQL beside a bare route, at the demo data, 10k, 100k and 1M reflections
bench: $(VENV)/.test-installed bench-deps browser-deps
	$(BIN)/python -m tests.benchmarks.login_timing
	$(BIN)/python -m tests.benchmarks.reset_timing
	$(BIN)/python -m tests.benchmarks.export_timing
	$(BIN)/python -m tests.benchmarks.offline
	$(BIN)/python -m tests.benchmarks.pages
