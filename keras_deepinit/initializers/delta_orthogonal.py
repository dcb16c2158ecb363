import keras

from keras_deepinit.initializers.orthogonal_kernel import OrthogonalKernel
from keras_deepinit.ops import orthogonal


@keras.saving.register_keras_serializable(package="keras_deepinit")
class DeltaOrthogonal(OrthogonalKernel):
    """Initializer for Delta-Orthogonal convolution kernels.

    For a kernel of shape `(*kernel_size, in_channels, out_channels)` with 1, 2
    or 3 spatial axes, every tap is zero but the centre one, which holds a
    random `in_channels x out_channels` matrix `H` with orthonormal rows
    (Haar distributed), times `gain`. The centre is the tap that "same"
    padding aligns with the output pixel, `(k - 1) // 2` on each axis (the
    middle for odd `k`, the tap just before it for even `k`), so a stride-1
    convolution with `padding="same"` maps each pixel's channel vector `x` to
    `gain * x @ H`: it preserves norms exactly, times `gain`, with any
    padding. Any kernel sizes, odd or even, work; `in_channels` must not
    exceed `out_channels`.

    With `gain = sigma_w` at a critical point of the mean-field theory (see
    `critical_initializers`) this is the initialization that trains vanilla
    CNNs 10,000 layers deep. To initialize a stack of many kernels in one call
    use `keras_deepinit.ops.delta_orthogonal_kernels`.

    Examples:

    >>> # Standalone usage:
    >>> initializer = DeltaOrthogonal(gain=1.0, seed=0)
    >>> values = initializer(shape=(3, 3, 16, 32))

    >>> # Usage in a Keras layer:
    >>> initializer = DeltaOrthogonal()
    >>> layer = keras.layers.Conv2D(
    ...     32, 3, padding="same", kernel_initializer=initializer
    ... )

    Args:
        gain: Positive number, the factor on the orthogonal matrix (`sigma_w`);
            the convolution multiplies norms by it.
        seed: A Python integer or instance of `keras.random.SeedGenerator`.
            As for Keras's initializers, an integer or `None` (unseeded) gives
            the same values on every call of one initializer (so layers
            sharing it get identical kernels); a `SeedGenerator` gives new
            values on each call.

    Reference:

    - [Xiao et al., 2018](https://arxiv.org/abs/1806.05393)
    """

    draw = staticmethod(orthogonal.delta_orthogonal_kernels)
