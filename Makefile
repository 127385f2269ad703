# Two commands: `make run` (set up and run the main job) and `make test` (set up and run the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.core: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

demo: $(VENV)/.core
	$(BIN)/python -m neurona.demo

$(VENV)/.test: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

run: $(VENV)/.core
	$(BIN)/neurona train examples/digits.yaml
	$(BIN)/neurona lab 1

test: $(VENV)/.test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest

bench: $(VENV)/.test
	cd benchmarks && ../$(BIN)/python bench_mlp.py && ../$(BIN)/python bench_lenet.py && ../$(BIN)/python bench_lstm.py

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info
