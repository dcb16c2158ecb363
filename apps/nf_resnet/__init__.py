"""Normalization-free deep residual networks (De & Smith, 2020): a Wide-ResNet
builder, and one of thousands of identical blocks, with batch normalization,
SkipInit, Fixup or no normalization.

`APP` and `PRESETS` load at once; the config and the builders on first use.
"""

import importlib

from keras_deepinit.apps.nf_resnet.app import APP
from keras_deepinit.apps.nf_resnet.presets import PRESETS

_LAZY = {
    "NFResNetConfig": "config",
    "apply_residual_block": "model",
    "build_deep_stack": "model",
    "build_model": "model",
    "build_wide_resnet": "model",
}
__all__ = ["APP", "PRESETS", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
