"""The HSIC bottleneck (Ma, Lewis & Kleijn, 2020): networks trained block by
block without backpropagation across blocks, read directly or post-trained.

`APP` and `PRESETS` load at once; the config and the builders on first use.
"""

import importlib

from keras_deepinit.apps.hsic.app import APP
from keras_deepinit.apps.hsic.presets import PRESETS

_LAZY = {
    "HSICConfig": "config",
    "build_backprop_network": "model",
    "build_hsic_network": "model",
}
__all__ = ["APP", "PRESETS", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
