# QuantX: `make run` to try it, `make test` to test it. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt requirements-clients.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/quantx
REDIS_TEST_URL ?= redis://127.0.0.1:6379/14
# Web pages (issue 6): the chart library from npm, served as a static file; the demo traders.
NPM ?= npm
CHART_JS := static/vendor/lightweight-charts/lightweight-charts.standalone.production.js
SIMULATE ?= 1
SIM_URL ?= http://127.0.0.1:$(PORT)
# VERBOSE=1: daphne's access log, refused requests (4xx) and the simulator's running figures
VERBOSE ?= 0
ifeq ($(VERBOSE),1)
RUN_QUIET := QX_LOG_REFUSALS=true
DAPHNE_V := 1
SIM_QUIET :=
else
RUN_QUIET := QX_LOG_REFUSALS=false
DAPHNE_V := 0
SIM_QUIET := --quiet
endif

.PHONY: venv run serve test test-sqlite test-postgres test-browser lint format check bench-engine clean

venv: $(STAMP) $(CHART_JS)
$(STAMP): requirements.txt requirements-dev.txt requirements-clients.txt
	@$(PYTHON) -c 'import sys; sys.exit("QuantX needs Python 3.11+") if sys.version_info < (3, 11) else None'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

# lightweight-charts (package.json / package-lock.json) -> static/vendor/, with its licence
node_modules/.package-lock.json: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@
$(CHART_JS): node_modules/.package-lock.json
	mkdir -p $(@D)
	cp node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js node_modules/lightweight-charts/LICENSE $(@D)/

## run: install, migrate, seed the demo market and serve it on http://$(HOST):$(PORT) (embedded mode),
## with simulated traders (`manage.py simulate`) unless SIMULATE=0; a quiet terminal unless VERBOSE=1
run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py seed_demo --url http://$(HOST):$(PORT)
	@sim=; if [ "$(SIMULATE)" != "0" ]; then \
	  echo "Demo traders: manage.py simulate --url $(SIM_URL) (turn them off with: make run SIMULATE=0)"; \
	  $(RUN_QUIET) $(PY) manage.py simulate --url $(SIM_URL) $(SIM_QUIET) & sim=$$!; fi; \
	trap 'if [ -n "$$sim" ]; then kill $$sim 2>/dev/null; wait $$sim; fi' EXIT; \
	echo "QuantX: http://$(HOST):$(PORT)/ (Ctrl-C stops it; VERBOSE=1 shows every request)"; \
	$(RUN_QUIET) $(PY) -m daphne -v $(DAPHNE_V) -b $(HOST) -p $(PORT) quantx_site.asgi:application

## test: the whole suite, on SQLite (embedded) and again on PostgreSQL + Redis (scaled), then the
## real-process tests that need no PostgreSQL/Redis (browser pages on chromium, the simulator)
test: venv test-sqlite test-postgres test-browser

test-sqlite: venv
	$(PY) -m pytest -q -m "not integration"

test-postgres: venv
	DATABASE_URL=$(PG_TEST_URL) REDIS_URL=$(REDIS_TEST_URL) QX_ENGINE_EMBEDDED=true $(PY) -m pytest -q -m "postgres or redis"

# Every integration test the two passes above leave out: a live embedded server (tests/browser).
# Locally a missing chromium skips them with a reason; with CI=true it fails.
test-browser: venv
	$(PY) -m pytest -q -m "integration and not (postgres or redis)"

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy engine/core

format: venv
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

## check: migrations are complete and the production settings pass `check --deploy`
check: venv
	$(PY) manage.py makemigrations --check --dry-run
	DEBUG=false QX_HTTPS=true SECRET_KEY=ci-$$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n') \
	  ALLOWED_HOSTS=exchange.example.com DATABASE_URL=$(PG_TEST_URL) REDIS_URL=$(REDIS_TEST_URL) \
	  $(PY) manage.py check --deploy --fail-level WARNING

## bench-engine: the engine core against lightmatchingengine / pyorderbook / limit-order-book (BENCH_ARGS=...)
bench-engine: venv
	$(PY) -m pip install --quiet -r requirements-bench.txt
	$(PY) bench/engine_bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis node_modules static/vendor test-output
