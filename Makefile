# Quickstart targets: each makes its own virtual environment (.venv) and
# installs what it needs, so one command works on a fresh machine with Python 3.11.
PYTHON ?= python3
VENV ?= .venv
# Official archives for offline machines; empty to use tensorflow-datasets.
DATA_DIR ?= ../shared/data
BIN := $(VENV)/bin
# The other Keras backends the building blocks are tested on. torch 2.13.0:
# the CPU build that this project's machines hold on disk (another version
# from PyPI is a CUDA build of several GB; any torch works).
OTHER_BACKENDS ?= jax torch
BACKEND_PACKAGES ?= jax torch==2.13.0
PYTEST := KERAS_DEEPINIT_TEST_DATA_DIR=$(abspath $(DATA_DIR)) $(BIN)/pytest
DATA_DIR_FLAG := $(if $(DATA_DIR),--data-dir $(DATA_DIR))

.PHONY: demo test lint clean

$(VENV)/installed: setup.py pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[apps,test]'
	touch $@

$(VENV)/backends: $(VENV)/installed
	$(BIN)/python -m pip install --quiet $(BACKEND_PACKAGES)
	touch $@

demo: $(VENV)/installed
	$(BIN)/keras-deepinit data show mnist $(DATA_DIR_FLAG) --out demo_output/mnist_grid.png
	$(BIN)/keras-deepinit train deep-cnn --depth 1000 --steps 30 $(DATA_DIR_FLAG) \
		--run-dir demo_output/deep_cnn_1000 --export-dir demo_output/exported_models

# The whole suite on TensorFlow, then the building blocks' tests on each
# other backend (the TensorFlow-only ones are skipped there).
test: $(VENV)/backends lint
	$(PYTEST)
	for backend in $(OTHER_BACKENDS); do \
		echo "== building blocks on KERAS_BACKEND=$$backend"; \
		KERAS_BACKEND=$$backend $(PYTEST) -q || exit 1; \
	done

lint: $(VENV)/installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) demo_output build *.egg-info
