"""The HSIC bottleneck (Ma, Lewis & Kleijn, 2020): networks trained block by
block without backpropagation across blocks, read directly or post-trained."""

from keras_deepinit.apps.hsic.config import HSICConfig
from keras_deepinit.apps.hsic.model import build_backprop_network
from keras_deepinit.apps.hsic.model import build_hsic_network
from keras_deepinit.apps.hsic.presets import PRESETS
