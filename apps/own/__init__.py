"""Orthogonal Weight Normalization (Huang et al., 2018) on MNIST: a deep MLP
and a small CNN built with OWN layers or with plain Keras layers.

`APP` and `PRESETS` load at once; the config and the builder on first use.
"""

import importlib

from keras_deepinit.apps.own.app import APP
from keras_deepinit.apps.own.presets import PRESETS

_LAZY = {"OWNConfig": "config", "build_own_network": "model"}
__all__ = ["APP", "PRESETS", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
