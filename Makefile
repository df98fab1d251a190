# The two commands of the quick start: `make run` and `make test`.
# Dependencies install from the lock files (exact versions, so a new release of `holidays` cannot change the
# calendar under us); `make lock` refreshes them from pyproject.toml's ranges.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config/gateway.toml
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
COMPILE := $(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links

.PHONY: run test lint bench bench-memory fuzz check-config lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Re-install when the locked dependencies change.
$(VENV)/.installed-run: $(LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(DEV_LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r $(DEV_LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/gateway run --config $(CONFIG)

check-config: $(VENV)/.installed-run
	$(BIN)/gateway check-config --config $(CONFIG)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy gateway adapters normalizer ticketing bench

# Needs wrk (apt-get install wrk) for the webhook load; the email part builds django-helpdesk 2.6.1's virtualenv in
# bench/.cache the first time, the quote-stripping comparison talon's. Writes bench/results/latest.json and latest.md.
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench
	$(BIN)/python -m bench.loop_stall
	$(BIN)/python -m bench.webhook
	$(BIN)/python -m bench.mail
	$(BIN)/python -m bench.quotes_report

# The gateway's memory on a store of 100,000 tickets against an empty one (ticketing them takes some minutes the
# first time; the database is then kept in bench/.cache).
bench-memory: $(VENV)/.installed-dev
	$(BIN)/python -m bench.many_tickets

# 100,000 mutated mails read as the gateway reads them: crashes and reads over 1 s are reported (exit 1).
fuzz: $(VENV)/.installed-dev
	$(BIN)/python -m bench.fuzz_mail --count 100000

lock: | $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(COMPILE) --output-file $(LOCK) pyproject.toml
	$(COMPILE) --extra dev --output-file $(DEV_LOCK) pyproject.toml

clean:
	rm -rf $(VENV) var/ .pytest_cache
