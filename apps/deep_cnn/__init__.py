"""The 10,000-layer vanilla CNN of Xiao et al. (2018): builder, presets, training.

`APP` and `PRESETS` load at once; the config and the builder on first use,
so that the apps' registry stays free of TensorFlow.
"""

from keras_deepinit.apps.deep_cnn.app import APP
from keras_deepinit.apps.deep_cnn.presets import PRESETS
from keras_deepinit.lazy import lazy_getattr

_LAZY = {"DeepCNNConfig": "config", "build_deep_cnn": "model"}
__all__ = ["APP", "PRESETS", *_LAZY]
__getattr__ = lazy_getattr(__name__, _LAZY)
