"""The 10,000-layer vanilla CNN of Xiao et al. (2018): builder, presets, training."""

from keras_deepinit.apps.deep_cnn.config import DeepCNNConfig
from keras_deepinit.apps.deep_cnn.model import build_deep_cnn
from keras_deepinit.apps.deep_cnn.presets import PRESETS
