import keras

from keras_deepinit.initializers.orthogonal_kernel import OrthogonalKernel
from keras_deepinit.ops import orthogonal


@keras.saving.register_keras_serializable(package="keras_deepinit")
class ConvOrthogonal(OrthogonalKernel):
    """Initializer for block-circulant orthogonal convolution kernels.

    The construction of Xiao et al. (2018) (TensorFlow's
    `ConvolutionOrthogonal1D/2D/3D`): for a kernel of shape
    `(*kernel_size, in_channels, out_channels)` with 1, 2 or 3 spatial axes,
    a random matrix `H` with orthonormal rows times a matrix-polynomial
    product of factors `P + (I - P) z`, `P` random symmetric projections,
    `kernel_size[a] - 1` of them along each spatial axis `a`. Every tap is
    used, and the convolution with circular padding preserves norms exactly,
    times `gain`: use `CircularPadding1D/2D/3D.for_kernel(kernel_size)`
    followed by the convolution with `padding="valid"`. With zero padding the
    isometry holds only away from the borders. Any kernel sizes, odd or even
    and unequal across axes, work; `in_channels` must not exceed
    `out_channels`. To initialize a stack of many kernels in one call use
    `keras_deepinit.ops.conv_orthogonal_kernels`.

    Examples:

    >>> # Standalone usage:
    >>> initializer = ConvOrthogonal(gain=1.0, seed=0)
    >>> values = initializer(shape=(3, 3, 16, 32))

    >>> # Usage in a Keras layer, exactly norm-preserving:
    >>> from keras_deepinit.layers import CircularPadding2D
    >>> inputs = keras.Input((32, 32, 16))
    >>> x = CircularPadding2D.for_kernel((3, 3))(inputs)
    >>> x = keras.layers.Conv2D(
    ...     32, 3, padding="valid", kernel_initializer=ConvOrthogonal()
    ... )(x)

    Args:
        gain: Positive number, the factor on the kernel (`sigma_w`); the
            circular convolution multiplies norms by it.
        seed: A Python integer or instance of `keras.random.SeedGenerator`.
            As for Keras's initializers, an integer or `None` (unseeded) gives
            the same values on every call of one initializer (so layers
            sharing it get identical kernels); a `SeedGenerator` gives new
            values on each call.

    Reference:

    - [Xiao et al., 2018](https://arxiv.org/abs/1806.05393)
    """

    draw = staticmethod(orthogonal.conv_orthogonal_kernels)
