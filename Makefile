# Two commands: `make run` serves the portal on http://localhost:8000 (SQLite),
# `make test` runs the whole suite. Both set up .venv first, from requirements.lock.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LOCK := requirements.lock
STAMP := $(VENV)/.installed
TOOLS := .ci/.tools/venv
HOST ?= localhost
PORT ?= 8000
PYTEST_ARGS ?=
FUZZ_EXAMPLES ?= 2000

.PHONY: run test venv migrate demo lint format clean screenshots serve-prod worker beat system load \
	lock fuzz audit tools system-packages idp-packages

venv: $(STAMP)

# .venv holds exactly what requirements.lock pins, every file checked against its hash:
# the venv is made anew whenever the lock file changes (so `make lock` takes effect at
# the next make run or make test), then the project itself is installed on top, editable
# and without dependencies. `pip check` fails when pyproject.toml asks for something the
# lock does not hold: run `make lock`.
$(VENV)/.locked: $(LOCK)
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	touch $@

$(STAMP): $(VENV)/.locked pyproject.toml
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@$(PY) -m pip check >/dev/null || { $(PY) -m pip check; \
	  echo "$(LOCK) does not match pyproject.toml's dependencies: run make lock." >&2; exit 1; }
	touch $(STAMP)

# Pin every dependency in pyproject.toml (with the dev extra, and setuptools for the
# editable install) with the hashes of its files, into requirements.lock; the same for
# the CI tools (.ci/tools.in into .ci/tools.lock). Run it after changing dependencies in
# pyproject.toml and commit the lock; pins that still fit are kept, `make lock UPGRADE=1`
# moves every pin to the newest release that fits.
# The tools' lock keeps the extras a pin was asked for (pip-audit wants
# CacheControl[filecache]): pip installs a wheel found on disk for a bare pin and then
# refuses the same package asked for with an extra as unpinned.
COMPILE = $(TOOLS)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
	--no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade)
lock: tools
	$(COMPILE) --strip-extras --extra dev --build-deps-for editable --output-file $(LOCK) pyproject.toml
	$(COMPILE) --output-file .ci/tools.lock .ci/tools.in

# pip-compile and pip-audit, in a venv of their own under .ci/.tools (not in git).
tools: $(TOOLS)/.installed

$(TOOLS)/.installed: .ci/tools.lock
	rm -rf $(TOOLS)
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --require-hashes -r .ci/tools.lock
	touch $@

# Known vulnerabilities in what requirements.lock pins (pip-audit; .ci/audit says how).
audit: tools
	bash .ci/audit

migrate: venv
	$(PY) manage.py migrate --no-input

demo: migrate
	$(PY) manage.py seed_demo

run: demo
	$(PY) manage.py runserver $(HOST):$(PORT)

# Derandomized hypothesis (a fixed seed per test); needs Chromium, gettext and xmlsec1,
# which .ci/system-packages installs when missing (as root) or names, and Node.js.
test: venv system-packages idp-packages
	$(VENV)/bin/pytest -n auto $(PYTEST_ARGS)

# oidc-provider, the OpenID Connect provider the single sign-on tests sign in at, exactly
# as tests/sso/idp/oidc/package-lock.json pins it (into that folder, not globally).
IDP_OIDC := tests/sso/idp/oidc
idp-packages: $(IDP_OIDC)/node_modules

$(IDP_OIDC)/node_modules: $(IDP_OIDC)/package-lock.json
	npm ci --prefix $(IDP_OIDC) --no-audit --no-fund
	touch $@

# Explore new inputs: the hypothesis tests alone, FUZZ_EXAMPLES examples each, a new seed
# every run; failing examples are kept under .hypothesis/ and tried first the next time.
fuzz: venv
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(VENV)/bin/pytest -n auto -m hypothesis \
	  --hypothesis-profile=fuzz --hypothesis-show-statistics $(PYTEST_ARGS)

system-packages:
	@bash .ci/system-packages

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
	rm -rf $(VENV) .ci/.tools db.sqlite3 var
