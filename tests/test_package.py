import importlib.metadata
import pathlib
import shutil
import subprocess
import sys

import keras_deepinit

REPO = pathlib.Path(__file__).resolve().parents[1]


def test_version_matches_the_installed_distribution():
    assert importlib.metadata.version("keras-deepinit") == keras_deepinit.__version__


def test_subpackages_load_on_first_use():
    for name in (
        "theory",
        "ops",
        "initializers",
        "layers",
        "losses",
        "metrics",
        "models",
        "callbacks",
        "data",
    ):
        assert getattr(keras_deepinit, name).__name__ == f"keras_deepinit.{name}"


def test_apps_install_inside_the_package_only(tmp_path):
    # Outside the repo, nothing but the installed distribution is importable.
    script = (
        "import importlib.util, keras_deepinit.apps as apps; "
        "print(apps.__file__); print(importlib.util.find_spec('apps'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    apps_file, top_level_apps = result.stdout.split()
    assert pathlib.Path(apps_file).parent.name == "apps"
    assert top_level_apps == "None"


def test_console_script_is_installed():
    script = shutil.which(
        "keras-deepinit", path=str(pathlib.Path(sys.executable).parent)
    )
    assert script is not None
    result = subprocess.run(
        [script, "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == keras_deepinit.__version__
