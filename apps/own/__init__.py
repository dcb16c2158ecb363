"""Orthogonal Weight Normalization (Huang et al., 2018) on MNIST: a deep MLP
and a small CNN built with OWN layers or with plain Keras layers."""

from keras_deepinit.apps.own.config import OWNConfig
from keras_deepinit.apps.own.model import build_own_network
from keras_deepinit.apps.own.presets import PRESETS
