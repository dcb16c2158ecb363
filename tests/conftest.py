"""Shared fixtures, and the backend the suite runs on.

The suite runs on the Keras backend named by `KERAS_BACKEND` (TensorFlow by
default). The building blocks' tests run on every backend; what only
TensorFlow can do (the runtime, the apps, the CLI, serving) is skipped on the
others: whole files listed in `TF_ONLY_PATHS`, single tests marked
`@pytest.mark.tf_only`. The numpy-only theory runs once, with TensorFlow.
"""

import os
import pathlib
import subprocess
import sys

import keras
import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
BACKEND = keras.config.backend()

# Test files and folders of the TensorFlow-only runtime, apps and interface.
TF_ONLY_PATHS = (
    "apps",
    "data",
    "tuning",
    "distributed_app.py",
    "test_cli.py",
    "test_distribute.py",
    "test_export.py",
    "test_exported_models.py",
    "test_runs.py",
    "test_serving.py",
)


# Numpy only, the same on every backend (tests/test_portability.py checks it
# imports none): tested once, in the TensorFlow run, with its Monte-Carlo
# checks on real TensorFlow networks.
BACKEND_INDEPENDENT_PATHS = ("theory",)


# For tests that start every backend in subprocesses themselves: they run
# once, in the TensorFlow run.
ONCE = pytest.mark.skipif(
    BACKEND != "tensorflow", reason="starts every backend itself, in the default run"
)


def run_python(code, backend):
    """Runs `code` in a fresh Python under `KERAS_BACKEND=backend`; its stdout."""
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "KERAS_BACKEND": backend},
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def pytest_ignore_collect(collection_path, config):
    if BACKEND == "tensorflow":
        return None
    relative = collection_path.relative_to(REPO / "tests").as_posix()
    top = relative.split("/")[0]
    return top in TF_ONLY_PATHS or top in BACKEND_INDEPENDENT_PATHS or None


def pytest_collection_modifyitems(config, items):
    if BACKEND == "tensorflow":
        return
    skip = pytest.mark.skip(reason=f"TensorFlow only; the backend is {BACKEND}")
    for item in items:
        if "tf_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def data_dir():
    """The real data: $KERAS_DEEPINIT_TEST_DATA_DIR, else ../shared/data."""
    folder = pathlib.Path(
        os.environ.get("KERAS_DEEPINIT_TEST_DATA_DIR")
        or REPO.parent / "shared" / "data"
    )
    if not (folder / "mnist").is_dir():
        pytest.fail(
            f"The real data is not at {folder}: put shared/ beside the repo or set "
            "KERAS_DEEPINIT_TEST_DATA_DIR."
        )
    return folder


@pytest.fixture(autouse=True)
def no_data_dir_env(monkeypatch):
    """Tests choose their data folder explicitly."""
    monkeypatch.delenv("KERAS_DEEPINIT_DATA_DIR", raising=False)
