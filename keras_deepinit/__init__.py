"""keras_deepinit: train very deep networks in Keras 3 without the usual crutches.

Subpackages are imported on first use (`keras_deepinit.data`, ...), so that
`import keras_deepinit` and `keras-deepinit --help` stay fast.
"""

import importlib

from keras_deepinit.version import __version__

_SUBMODULES = (
    "apps",
    "callbacks",
    "data",
    "diagnostics",
    "export",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "ops",
    "optimizers",
    "plotting",
    "theory",
    "training",
    "tuning",
)

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
