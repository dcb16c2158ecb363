"""Base of the initializers that draw orthogonal convolution kernels."""

import keras

from keras_deepinit.ops import orthogonal


class OrthogonalKernel(keras.initializers.Orthogonal):
    """Draws one kernel with `draw`, a batched function of `ops.orthogonal`.

    `draw(num, kernel_size, in_channels, out_channels, gain, seed, dtype)`
    also serves stacks of kernels (`keras_deepinit.initializers.stacked`).
    """

    draw = None

    def __init__(self, gain=1.0, seed=None):
        super().__init__(gain=orthogonal._check_gain(gain), seed=seed)

    def __call__(self, shape, dtype=None):
        kernel_size, in_channels, out_channels = orthogonal._check_kernel_shape(
            type(self).__name__, shape
        )
        return self.draw_kernels(None, kernel_size, in_channels, out_channels, dtype)

    def draw_kernels(self, num, kernel_size, in_channels, out_channels, dtype=None):
        """`num` kernels (None: one, without the leading axis)."""
        return type(self).draw(
            num,
            kernel_size,
            in_channels,
            out_channels,
            gain=self.gain,
            seed=self.seed,
            dtype=dtype,
        )
