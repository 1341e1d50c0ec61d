# EOMS developer commands. `make run` on a fresh machine sets everything up and starts it.
PYTHON  ?= python3
VENV    := .venv
VPY     := $(VENV)/bin/python
PG_URL  := postgresql+psycopg://postgres@127.0.0.1:5432/test
VENV_STAMP := $(VENV)/.requirements.stamp
NPM_STAMP  := web/static/vendor/.npm.stamp

# pytest exit status 5 means "no tests collected": count it as a failure.
PYTEST = $(VPY) -m pytest -q tests; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make: pytest collected no tests" >&2; exit 1; fi; \
	exit $$status

.PHONY: venv npm setup run test test-pg scenarios bench clean

venv: $(VENV_STAMP)

# Reinstalls only when requirements.txt changes.
$(VENV_STAMP): requirements.txt
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -r requirements.txt
	touch $@

npm: $(NPM_STAMP)

# Reinstalls when the lock (or the copy script) changes; rebuilds the modeler bundle when its
# sources in web/static/modeler/src/ change.
$(NPM_STAMP): package-lock.json package.json scripts/copy_vendor.mjs $(wildcard web/static/modeler/src/* web/static/modeler/src/*/*)
	npm ci --ignore-scripts --no-audit --no-fund
	npm run vendor
	touch $@

setup: venv npm

run: setup
	$(VENV)/bin/flask --app wsgi dev

# Uses DATABASE_URL when set (PostgreSQL), else SQLite.
test: setup
	$(PYTEST)

test-pg: setup
	DATABASE_URL=$(PG_URL) $(PYTEST)

scenarios: setup
	$(VPY) ../shared/tools/api_scenarios.py

bench: venv
	$(VPY) bench/engine_throughput.py --quick

clean:
	rm -rf $(VENV) node_modules web/static/vendor .pytest_cache test-artifacts
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
