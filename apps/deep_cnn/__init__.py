"""The 10,000-layer vanilla CNN of Xiao et al. (2018): builder, presets, training.

`APP` and `PRESETS` load at once; the config and the builder on first use,
so that the apps' registry stays free of TensorFlow.
"""

import importlib

from keras_deepinit.apps.deep_cnn.app import APP
from keras_deepinit.apps.deep_cnn.presets import PRESETS

_LAZY = {"DeepCNNConfig": "config", "build_deep_cnn": "model"}
__all__ = ["APP", "PRESETS", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
