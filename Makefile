# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# `make test` runs the suite in parallel (pytest-xdist), each worker on a database and a Redis db
# of its own (tests/conftest.py); at most 4 workers. TEST_WORKERS=0 runs it in one process. Tests
# marked with one `xdist_group` run on one worker (e.g. those sharing a PostgreSQL standby).
TEST_WORKERS ?= auto

.PHONY: run test lint format install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# uv (from the package index, into the venv) installs in seconds what pip takes minutes for. Plain
# pip where uv cannot be installed or fails: uv reads neither pip.conf nor PIP_* settings, so a
# machine that reaches its packages only through those still installs, more slowly.
define pip_install
	@if $(BIN)/python -m pip install -q uv 2>/dev/null && $(BIN)/uv pip install -q --python $(BIN)/python $(1); then \
	  echo "installed with uv: $(1)"; \
	else \
	  echo "uv unavailable or failed: installing with pip"; \
	  $(BIN)/python -m pip install -q --upgrade pip && $(BIN)/python -m pip install -q $(1); \
	fi
endef

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(call pip_install,-e .)
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(call pip_install,-e '.[dev]')
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The demo runs on config.example.toml: the embedded defaults (SQLite under var/, in-process
# Redis) plus the example regional rules of Wuxi and Chongqing, the regions of the demo data.
# `PXQ_CONFIG=my.toml make run` runs on another file (a copy of the example, say).
RUN_CONFIG := $(or $(PXQ_CONFIG),config.example.toml)

run: $(VENV)/.installed
	PXQ_CONFIG=$(RUN_CONFIG) $(BIN)/peixunquan migrate
	PXQ_CONFIG=$(RUN_CONFIG) $(BIN)/peixunquan demo
	# the demo may post to webhook receivers on this machine
	PXQ_CONFIG=$(RUN_CONFIG) PXQ_INSTITUTIONS_ALLOW_PRIVATE_WEBHOOKS=true $(BIN)/peixunquan serve

test: $(VENV)/.installed-dev
	$(BIN)/pytest -q -n $(TEST_WORKERS) --maxprocesses 4 --dist loadgroup

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
