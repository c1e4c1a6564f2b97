# Reliability Lab: `make serve` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
HOST   ?= 127.0.0.1
PORT   ?= 8000
BIN    := $(VENV)/bin

.PHONY: serve test bench bench-load bench-live clean

# The venv is rebuilt only when pyproject.toml changes, so a second `make serve` starts in seconds.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

serve: $(VENV)/.installed
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn --config python:webapp.gunicorn_conf 'webapp:create_app()'

test: $(VENV)/.installed-test
	@./.ci/ensure-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Server time per demo request, the failure lab's runs, and "Run 20 seeds" (in-process, a few minutes).
bench: $(VENV)/.installed-test
	$(BIN)/python bench/demo_times.py
	$(BIN)/python bench/lab.py
	$(BIN)/python bench/spread.py

# A room of learners against the real server (wrk, 127.0.0.1 only, about 100 s).
bench-load: $(VENV)/.installed-test
	$(BIN)/python bench/load.py

# 200 attendees following a live session (about 40 s per store).
bench-live: $(VENV)/.installed-test
	$(BIN)/python bench/live.py

clean:
	rm -rf $(VENV) .pytest_cache
