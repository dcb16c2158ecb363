"""Normalization-free deep residual networks (De & Smith, 2020): a Wide-ResNet
builder, and one of thousands of identical blocks, with batch normalization,
SkipInit, Fixup or no normalization.

`APP` and `PRESETS` load at once; the config and the builders on first use.
"""

from keras_deepinit.apps.nf_resnet.app import APP
from keras_deepinit.apps.nf_resnet.presets import PRESETS
from keras_deepinit.lazy import lazy_getattr

_LAZY = {
    "NFResNetConfig": "config",
    "apply_residual_block": "model",
    "build_deep_stack": "model",
    "build_model": "model",
    "build_wide_resnet": "model",
}
__all__ = ["APP", "PRESETS", *_LAZY]
__getattr__ = lazy_getattr(__name__, _LAZY)
