# Two commands on a fresh machine: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.lfr-installed
PLUGINS := $(sort $(wildcard plugins/*/pyproject.toml))
PLUGIN_DIRS := $(patsubst %/,%,$(dir $(PLUGINS)))
API := $(patsubst %/pyproject.toml,%,$(wildcard api/pyproject.toml))
EDITABLES := -e '.[imaging,plot,dev]' $(foreach d,$(PLUGIN_DIRS) $(API),-e '$(d)[test]')
PIP_INSTALL := $(if $(shell command -v uv 2>/dev/null),uv pip install --python $(BIN)/python,$(BIN)/python -m pip install --disable-pip-version-check -q)

.PHONY: install demo test lint typecheck pytest fuzz chaos bench bench-full bench-soak accuracy calibration clean web demo-app screenshots web-budgets

install: $(STAMP)

$(STAMP): pyproject.toml $(PLUGINS) $(wildcard api/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --config-settings editable_mode=compat $(EDITABLES)
	touch $(STAMP)

# The web app (web/): npm ci from the committed lockfile, then generate-and-check the API
# types, type-check and bundle into api/lfr_api/webapp/dist (served at /app/, in the wheel).
WEB_BUILT := api/lfr_api/webapp/dist/index.html
WEB_SOURCES := $(shell find web/src web/pwa web/scripts -type f 2>/dev/null) web/index.html \
	web/vite.config.ts web/package.json $(wildcard web/tsconfig*.json) mobile_contract/openapi.json \
	$(wildcard mobile_contract/schemas/*.json)

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund

$(WEB_BUILT): web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build

web: $(WEB_BUILT)

# `make demo APP=1` then serves the web app on a demo service (as `make demo-app` does).
demo: install web
	$(BIN)/lfr demo
	$(if $(APP),$(BIN)/lfr demo-app,@echo "The web app on a demo service: make demo-app (or make demo APP=1)")

# The web app on a demo service: users of every role, a live deployment on a rendered video.
demo-app: install web
	$(BIN)/lfr demo-app

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy --strict lfr_framework
	$(BIN)/mypy --strict api/lfr_api $(addsuffix /src,$(PLUGIN_DIRS))

pytest: install
	$(BIN)/python -m pytest -q

test: lint typecheck web pytest

# The web app's screenshots in docs/app (taken by the browser tests), and its budgets.
screenshots: install web
	LFR_WEB_SCREENSHOTS=$(CURDIR)/docs/app $(BIN)/python -m pytest -q web/e2e/test_app_end_to_end.py

web-budgets: install web
	LFR_WEB_BUDGETS=$(CURDIR)/docs/app/budgets.json $(BIN)/python -m pytest -q -s web/e2e/test_budgets.py

bench: install
	$(BIN)/python -m benchmarks.run --fast

bench-full: install
	$(BIN)/python -m benchmarks.run --full

# The field study of docs/evaluation.md: held-out photos and a street crowd at the operating point.
accuracy: install
	$(BIN)/python -m benchmarks.accuracy.run

# Rebuild the shipped calibration of the default recogniser model (docs/evaluation.md).
calibration: install
	$(BIN)/lfr calibrate --default-set --resamples 400 \
	    --out plugins/lfr-arcface-onnx/src/lfr_arcface_onnx/calibrations/sface-2021dec-int8bq.json

# Schemathesis over every operation as every caller, longer than make test's bounded run.
fuzz: install
	LFR_FUZZ_EXAMPLES=50 $(BIN)/python -m pytest -q api/tests/test_fuzz.py

# The cluster harness, full set (docs/operations.md): 3 API replicas, 10 nodes, 500 officers,
# 20 trials of each fault, on a PostgreSQL and a Redis of its own (make test runs a bounded
# subset: api/tests/test_cluster.py). CHAOS_ARGS adds options, e.g. CHAOS_ARGS="--trials 3".
chaos: install
	$(BIN)/python -m benchmarks.cluster.run --replicas 3 --nodes 10 --officers 500 --trials 20 $(CHAOS_ARGS)

# The 30-minute one-camera memory soak alone (also part of bench-full).
bench-soak: install
	$(BIN)/python -m benchmarks.run --full --only soak

clean:
	rm -rf $(VENV) build *.egg-info web/node_modules api/lfr_api/webapp/dist
