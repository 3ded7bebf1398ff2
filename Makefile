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

.PHONY: install demo test lint typecheck pytest bench bench-full bench-soak accuracy calibration clean

install: $(STAMP)

$(STAMP): pyproject.toml $(PLUGINS) $(wildcard api/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --config-settings editable_mode=compat $(EDITABLES)
	touch $(STAMP)

demo: install
	$(BIN)/lfr demo

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy --strict lfr_framework
	$(BIN)/mypy --strict api/lfr_api $(addsuffix /src,$(PLUGIN_DIRS))

pytest: install
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

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

# The 30-minute one-camera memory soak alone (also part of bench-full).
bench-soak: install
	$(BIN)/python -m benchmarks.run --full --only soak

clean:
	rm -rf $(VENV) build *.egg-info
