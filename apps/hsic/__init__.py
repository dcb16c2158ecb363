"""The HSIC bottleneck (Ma, Lewis & Kleijn, 2020): networks trained block by
block without backpropagation across blocks, read directly or post-trained.

`APP` and `PRESETS` load at once; the config and the builders on first use.
"""

from keras_deepinit.apps.hsic.app import APP
from keras_deepinit.apps.hsic.presets import PRESETS
from keras_deepinit.lazy import lazy_getattr

_LAZY = {
    "HSICConfig": "config",
    "build_backprop_network": "model",
    "build_hsic_network": "model",
}
__all__ = ["APP", "PRESETS", *_LAZY]
__getattr__ = lazy_getattr(__name__, _LAZY)
