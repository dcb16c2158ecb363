"""Keras layers: SkipInit scalars, orthogonal (OWN) layers, HSIC blocks."""

from keras_deepinit.layers.circular_padding import CircularPadding1D
from keras_deepinit.layers.circular_padding import CircularPadding2D
from keras_deepinit.layers.circular_padding import CircularPadding3D
from keras_deepinit.layers.conv_stack import ConvStack2D
from keras_deepinit.layers.hsic import HSICBottleneck
from keras_deepinit.layers.orthogonal import OrthogonalConv1D
from keras_deepinit.layers.orthogonal import OrthogonalConv2D
from keras_deepinit.layers.orthogonal import OrthogonalConv3D
from keras_deepinit.layers.orthogonal import OrthogonalDense
from keras_deepinit.layers.residual_stack import ResidualStack2D
from keras_deepinit.layers.scalars import ScalarBias
from keras_deepinit.layers.scalars import SkipInitScalar
