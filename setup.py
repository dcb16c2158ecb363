"""Installs keras_deepinit, with apps/ as keras_deepinit.apps."""

import pathlib
import re

from setuptools import find_packages
from setuptools import setup

HERE = pathlib.Path(__file__).parent
VERSION = re.search(
    r'__version__ = "([^"]+)"', (HERE / "keras_deepinit" / "version.py").read_text()
).group(1)

# apps/ lives at the top of the repo but installs inside the package, never as
# a top-level `apps` package.
APP_PACKAGES = ["keras_deepinit.apps"] + [
    "keras_deepinit.apps." + name for name in find_packages("apps")
]

APPS_REQUIRE = [
    "tensorflow>=2.18",
    "tensorflow-datasets>=4.9",
    # tensorflow-datasets imports it to download, but does not install it.
    "importlib_resources",
    # [bayesian]: scikit-learn, for the Bayesian optimization tuner.
    "keras-tuner[bayesian]>=1.4",
    # keras_deepinit.runs writes backup metadata into the weights file.
    "h5py",
    "matplotlib",
    # TF 2.21 no longer installs it, and keras-tuner warns without it.
    "tensorboard",
]

setup(
    name="keras-deepinit",
    version=VERSION,
    description=(
        "Train very deep networks in Keras 3 without the usual crutches: "
        "Delta-Orthogonal init, SkipInit, Orthogonal Weight Normalization, "
        "and the HSIC Bottleneck."
    ),
    long_description=(HERE / "README.md").read_text(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["keras_deepinit", "keras_deepinit.*"])
    + APP_PACKAGES,
    package_dir={"keras_deepinit.apps": "apps"},
    # The building blocks: Keras 3 on whichever backend the user installs.
    install_requires=["keras>=3.15", "numpy", "scipy"],
    extras_require={
        # The apps, the CLI and the runtime: TensorFlow's data, distribution,
        # export and serving, the tuner, plots and run backups.
        "apps": APPS_REQUIRE,
        "tensorflow": ["tensorflow>=2.18"],
        "jax": ["jax>=0.4.30"],
        "torch": ["torch>=2.1"],
        "plot": ["matplotlib"],
        "gpu": ["tensorflow[and-cuda]>=2.18", *APPS_REQUIRE],
        "test": ["pytest>=8", "ruff>=0.6"],
    },
    entry_points={"console_scripts": ["keras-deepinit=keras_deepinit.cli:main"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
