# Two commands: `make run` serves the portal on http://localhost:8000 (SQLite),
# `make test` runs the whole suite. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= localhost
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test venv migrate demo lint format clean screenshots serve-prod worker beat system load

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

migrate: venv
	$(PY) manage.py migrate --no-input

demo: migrate
	$(PY) manage.py seed_demo

run: demo
	$(PY) manage.py runserver $(HOST):$(PORT)

test: venv
	$(VENV)/bin/pytest -n auto $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Production on this machine: migrate once, collect static files, then gunicorn
# (deploy/gunicorn.conf.py). Needs the production settings in the environment.
serve-prod: venv
	@test -n "$$SECRET_KEY" -a -n "$$ALLOWED_HOSTS" -a -n "$$PORTAL_BASE_URL" -a -n "$$DATABASE_URL" || { \
	  echo "serve-prod needs SECRET_KEY, ALLOWED_HOSTS, PORTAL_BASE_URL and DATABASE_URL (README.md, Production)." >&2; exit 2; }
	DEBUG=false $(PY) manage.py migrate --no-input
	DEBUG=false $(PY) manage.py collectstatic --no-input -v 0
	DEBUG=false $(PY) manage.py check --deploy --fail-level WARNING
	DEBUG=false $(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py

# Background jobs (needs REDIS_URL; without it jobs run inside the app itself).
worker: venv
	$(VENV)/bin/celery -A admin_portal worker --loglevel info

beat: venv
	mkdir -p var
	$(VENV)/bin/celery -A admin_portal beat --loglevel info --schedule var/celerybeat-schedule

# Several app nodes over this machine's PostgreSQL and Redis: `make system` runs the
# multi-node, fault and SMS-gateway tests and a short load run; `make load` the full
# load benchmark (50 admins for 60 seconds, then the framing of the limit).
system: venv
	$(VENV)/bin/pytest -m system tests/system

load: venv
	$(PY) bench/load.py

screenshots: venv
	$(PY) docs/screenshots.py

clean:
	rm -rf $(VENV) db.sqlite3 var
