# Two commands: `make run` (set up and run the main job) and `make test` (set up and run the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-references demo bench screenshots clean

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

# `make run` installs what every lab needs (Lab 2 tunes with Optuna, Lab 3 plays CartPole on gymnasium)
$(VENV)/.labs: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[labs]"
	touch $@

run: $(VENV)/.labs
	$(BIN)/neurona train examples/digits.yaml
	$(BIN)/neurona lab 1

# The engine's tests run a second time on the reference ops alone (kernels off); `make test-references`
# runs the whole suite that way.
ENGINE_TESTS := tests/test_ops.py tests/test_tensor.py tests/test_autograd.py tests/test_conv.py tests/test_pool.py \
	tests/test_recurrent.py tests/test_kernels.py tests/test_layers.py tests/test_models.py

test: $(VENV)/.test
	$(BIN)/ruff check src tests benchmarks docs
	$(BIN)/python -m pytest
	NEURONA_KERNELS=0 $(BIN)/python -m pytest $(ENGINE_TESTS)

test-references: $(VENV)/.test
	NEURONA_KERNELS=0 $(BIN)/python -m pytest

# Some machines pin OpenBLAS to older kernels (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE) for the sake of
# old OpenBLAS builds; the benchmarks unset both, in their own command only, so NumPy runs the kernels
# its OpenBLAS picks for this CPU (each script prints which). Tests and CI keep the machine's settings.
BENCH_ENV := env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE

bench: $(VENV)/.test
	cd benchmarks && for b in bench_mlp bench_lenet bench_lstm; do $(BENCH_ENV) ../$(BIN)/python $$b.py || exit 1; done

# the report pictures in docs/images/ (headless Debian chromium + chromium-driver)
screenshots: $(VENV)/.test
	$(BIN)/python docs/screenshots.py

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info
