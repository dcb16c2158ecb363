"""Keras losses: the HSIC bottleneck objective."""

from keras_deepinit.losses.hsic import HSICLoss
from keras_deepinit.losses.hsic import hsic_bottleneck
