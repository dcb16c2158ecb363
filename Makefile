# Quickstart targets: each makes its own virtual environment (.venv) and
# installs what it needs, so one command works on a fresh machine with Python 3.11.
PYTHON ?= python3
VENV ?= .venv
# Official archives for offline machines; empty to use tensorflow-datasets.
DATA_DIR ?= ../shared/data
BIN := $(VENV)/bin
DATA_DIR_FLAG := $(if $(DATA_DIR),--data-dir $(DATA_DIR))

.PHONY: demo test lint clean

$(VENV)/installed: setup.py pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/installed
	$(BIN)/keras-deepinit data show mnist $(DATA_DIR_FLAG) --out demo_output/mnist_grid.png
	$(BIN)/keras-deepinit train deep-cnn --depth 1000 --steps 30 $(DATA_DIR_FLAG) \
		--run-dir demo_output/deep_cnn_1000 --export-dir demo_output/exported_models

test: $(VENV)/installed lint
	KERAS_DEEPINIT_TEST_DATA_DIR=$(abspath $(DATA_DIR)) $(BIN)/pytest

lint: $(VENV)/installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) demo_output build *.egg-info
