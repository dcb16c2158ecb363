"""Checks shared by the tests of orthogonal convolution kernels."""

import keras
import numpy as np

from keras_deepinit.layers import CircularPadding1D
from keras_deepinit.layers import CircularPadding2D
from keras_deepinit.layers import CircularPadding3D

CONV = {1: keras.layers.Conv1D, 2: keras.layers.Conv2D, 3: keras.layers.Conv3D}
PAD = {1: CircularPadding1D, 2: CircularPadding2D, 3: CircularPadding3D}
# 1D/2D/3D, odd, even and mixed kernel sizes, square and wide channel matrices.
FAMILIES = [
    ((3,), 4, 4),
    ((4,), 3, 5),
    ((3, 3), 4, 4),
    ((2, 4), 3, 5),
    ((3, 3, 3), 3, 3),
    ((2, 2, 2), 2, 4),
]
# Relative tolerance on singular values and norms, float32 kernels.
RTOL = 1e-5


def symbol_singular_values(kernel, grid=8):
    """Singular values of the kernel's Fourier symbol at every grid frequency.

    The symbol at frequency f is the in x out matrix
    sum_t kernel[t] exp(-2 pi i <f, t> / grid): numpy's FFT of the kernel
    zero-padded to `grid` points per spatial axis.
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    rank = kernel.ndim - 2
    symbol = np.fft.fftn(kernel, s=(grid,) * rank, axes=tuple(range(rank)))
    return np.linalg.svd(symbol.reshape(-1, *kernel.shape[-2:]), compute_uv=False)


def circular_conv_norms(initializer, kernel_size, in_channels, out_channels):
    """Norms of 3 random inputs and of their circular convolutions (6 per axis).

    Returns:
        `(input_norms, output_norms, output_shape)`.
    """
    rank = len(kernel_size)
    model = keras.Sequential(
        [
            keras.Input((*(6,) * rank, in_channels)),
            PAD[rank].for_kernel(kernel_size),
            CONV[rank](
                out_channels,
                kernel_size,
                padding="valid",
                use_bias=False,
                kernel_initializer=initializer,
            ),
        ]
    )
    x = np.random.default_rng(1).normal(size=(3, *(6,) * rank, in_channels))
    y = keras.ops.convert_to_numpy(model(x.astype("float32")))
    return (
        np.linalg.norm(x.reshape(3, -1), axis=1),
        np.linalg.norm(y.reshape(3, -1), axis=1),
        y.shape,
    )
