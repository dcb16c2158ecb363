"""Keras initializers: Delta-Orthogonal and orthogonal convolution kernels."""

from keras_deepinit.initializers.conv_orthogonal import ConvOrthogonal
from keras_deepinit.initializers.critical import NETWORK_KINDS
from keras_deepinit.initializers.critical import critical_initializers
from keras_deepinit.initializers.critical import network_initializers
from keras_deepinit.initializers.critical import variance_initializers
from keras_deepinit.initializers.delta_orthogonal import DeltaOrthogonal
from keras_deepinit.initializers.stacked import initialize_stack
