"""Orthogonal Weight Normalization (Huang et al., 2018) on MNIST: a deep MLP
and a small CNN built with OWN layers or with plain Keras layers.

`APP` and `PRESETS` load at once; the config and the builder on first use.
"""

from keras_deepinit.apps.own.app import APP
from keras_deepinit.apps.own.presets import PRESETS
from keras_deepinit.lazy import lazy_getattr

_LAZY = {"OWNConfig": "config", "build_own_network": "model"}
__all__ = ["APP", "PRESETS", *_LAZY]
__getattr__ = lazy_getattr(__name__, _LAZY)
