"""Pure tensor math behind the building blocks.

Orthogonalization (Huang et al., 2018) and HSIC estimators (Ma et al., 2020),
plus the TensorFlow machinery that depth needs, each behind a plain function.
"""

from keras_deepinit.ops.conv_stack import conv_stack
from keras_deepinit.ops.conv_stack import one_thread_per_op
from keras_deepinit.ops.independence import dependence_kernel
from keras_deepinit.ops.independence import hsic
from keras_deepinit.ops.independence import hsic_cca
from keras_deepinit.ops.independence import normalized_hsic
from keras_deepinit.ops.orthogonal import conv_orthogonal_kernels
from keras_deepinit.ops.orthogonal import delta_orthogonal_kernels
from keras_deepinit.ops.orthogonal import kernel_center
from keras_deepinit.ops.orthogonal import random_orthogonal
from keras_deepinit.ops.orthogonal import symmetric_projections
from keras_deepinit.ops.own import orthogonalize
