import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]


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
