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
    install_requires=[
        "tensorflow>=2.18",
        "keras>=3.15",
        "tensorflow-datasets>=4.9",
        # tensorflow-datasets imports it to download, but does not install it.
        "importlib_resources",
        # [bayesian]: scikit-learn, for the Bayesian optimization tuner.
        "keras-tuner[bayesian]>=1.4",
        "numpy",
        # keras_deepinit.runs writes backup metadata into the weights file.
        "h5py",
        "matplotlib",
        # The optimal matching of output units to classes (HSIC networks).
        "scipy",
        # TF 2.21 no longer installs it, and keras-tuner warns without it.
        "tensorboard",
    ],
    extras_require={
        "test": ["pytest>=8", "ruff>=0.6"],
        "gpu": ["tensorflow[and-cuda]>=2.18"],
    },
    entry_points={"console_scripts": ["keras-deepinit=keras_deepinit.cli:main"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
