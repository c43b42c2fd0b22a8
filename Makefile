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

.PHONY: venv run serve test test-sqlite test-postgres lint format check bench-engine clean

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
## with simulated traders (`manage.py simulate`) unless SIMULATE=0
run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py seed_demo
	@sim=; if [ "$(SIMULATE)" != "0" ]; then \
	  echo "Demo traders: manage.py simulate --url $(SIM_URL) (turn them off with: make run SIMULATE=0)"; \
	  $(PY) manage.py simulate --url $(SIM_URL) & sim=$$!; fi; \
	trap 'if [ -n "$$sim" ]; then kill $$sim 2>/dev/null; wait $$sim; fi' EXIT; \
	$(PY) -m daphne -b $(HOST) -p $(PORT) quantx_site.asgi:application

## test: the whole suite, on SQLite (embedded) and again on PostgreSQL + Redis (scaled)
test: venv test-sqlite test-postgres

test-sqlite: venv
	$(PY) -m pytest -q -m "not integration"

test-postgres: venv
	DATABASE_URL=$(PG_TEST_URL) REDIS_URL=$(REDIS_TEST_URL) QX_ENGINE_EMBEDDED=true $(PY) -m pytest -q -m "postgres or redis"

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
