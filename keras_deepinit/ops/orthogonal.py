"""Random orthogonal matrices and orthogonal convolution kernels, batched.

The sampling functions draw `num` independent samples in one batched
computation (`num=None`: one sample, no leading axis), so a layer that holds a
stack of kernels, shape `(depth, *kernel_size, in, out)`,
initializes all of them in one call. Written with `keras.ops` and
`keras.random` only.

Conventions: a kernel has shape `(*kernel_size, in_channels, out_channels)`,
as Keras convolutions store it, and maps the channel vector `x` (a row) of
the input pixel under tap `t` to `x @ kernel[t]`. Its Fourier symbol at
frequency `f` on an `N`-point grid per axis is the `in x out` matrix
`sum_t kernel[t] * exp(-2 pi i <f, t> / N)`; the convolution with circular
padding preserves norms, times `gain`, exactly when every symbol has
orthonormal rows times `gain` (Xiao et al., 2018).

Seeds follow `keras.random`: an int gives the same values on every call, a
`keras.random.SeedGenerator` gives new values on each call, `None` draws from
the global generator.

Dtypes follow the backend: JAX without `jax_enable_x64` has no float64, so
there a float64 request gives float32 (with JAX's warning), as it does for
Keras's own initializers.
"""

import math
import numbers

import keras

from keras_deepinit.checks import check_positive_int


def kernel_center(kernel_size):
    """The tap that "same" padding aligns with the output pixel.

    Keras and TensorFlow pad `k - 1` in total for a stride-1 "same"
    convolution, `(k - 1) // 2` before and `k // 2` after, so output pixel
    `p` reads input pixel `p` through tap `(k - 1) // 2` on each axis: the
    middle tap for odd `k`, the one just before the middle for even `k`.

    Examples:

    >>> kernel_center((3, 3))
    (1, 1)
    >>> kernel_center((4, 2, 5))
    (1, 0, 2)

    Args:
        kernel_size: Tuple of positive ints, one per spatial axis.

    Returns:
        Tuple of ints, one per spatial axis.
    """
    kernel_size = _check_kernel_size(kernel_size)
    return tuple((size - 1) // 2 for size in kernel_size)


def random_orthogonal(num, rows, cols, seed=None, dtype=None):
    """Draws `num` random orthogonal `rows x cols` matrices (Haar measure).

    The rows are orthonormal when `rows <= cols`, else the columns are. The
    matrices are Q factors of Gaussian matrices with a positive diagonal R,
    for all `num` at once: from one batched QR, or, for big batches, as
    products of Householder reflections of Gaussian vectors (Stewart, 1980)
    accumulated by batched matrix products (Joffrain et al., 2006), about a
    third faster.

    Examples:

    >>> q = random_orthogonal(10, 3, 5, seed=1)
    >>> tuple(q.shape)
    (10, 3, 5)

    Args:
        num: Positive int, the number of matrices, or `None` for one matrix
            without the leading axis.
        rows: Positive int.
        cols: Positive int.
        seed: Int, `keras.random.SeedGenerator` or `None`.
        dtype: Floating dtype of the result; defaults to `keras.config.floatx()`.
            The computation runs in float64 for float64, else in float32.

    Returns:
        Tensor of shape `(num, rows, cols)` (without `num` for `num=None`).
    """
    batch = _batch_shape(num)
    rows = check_positive_int("rows", rows)
    cols = check_positive_int("cols", cols)
    dtype, compute_dtype = _dtypes(dtype)
    tall, wide = max(rows, cols), min(rows, cols)
    noise = keras.random.normal((*batch, tall, wide), seed=seed, dtype=compute_dtype)
    q = _haar_columns(noise)
    if rows < cols:
        q = keras.ops.swapaxes(q, -1, -2)
    return keras.ops.cast(q, dtype)


def symmetric_projections(num, size, seed=None, dtype=None):
    """Draws `num` random symmetric projection matrices `P = P @ P = P^T`.

    `P = Q diag(m) Q^T` with `Q` a random orthogonal `size x size` matrix and
    `m` independent fair 0/1 coins: the projection onto a random subspace of
    random dimension, as in Xiao et al. (2018).

    Examples:

    >>> p = symmetric_projections(4, 8, seed=0)
    >>> tuple(p.shape)
    (4, 8, 8)

    Args:
        num: Positive int, the number of matrices, or `None` for one matrix
            without the leading axis.
        size: Positive int.
        seed: Int, `keras.random.SeedGenerator` or `None`.
        dtype: Floating dtype of the result; defaults to `keras.config.floatx()`.

    Returns:
        Tensor of shape `(num, size, size)` (without `num` for `num=None`).
    """
    batch = _batch_shape(num)
    size = check_positive_int("size", size)
    dtype, compute_dtype = _dtypes(dtype)
    noise = keras.random.normal(
        (*batch, size, size + 1), seed=seed, dtype=compute_dtype
    )
    return keras.ops.cast(_projections(noise, size), dtype)


def delta_orthogonal_kernels(
    num, kernel_size, in_channels, out_channels, gain=1.0, seed=None, dtype=None
):
    """Draws `num` Delta-Orthogonal convolution kernels at once.

    Each kernel is zero but at its centre tap (`kernel_center(kernel_size)`),
    which holds a random `in_channels x out_channels` matrix with orthonormal
    rows times `gain`. One batched computation makes all the matrices (see
    `random_orthogonal`) and one pad places them, so a stack of 10,000
    kernels takes one call (or a few, in chunks with a
    `keras.random.SeedGenerator`).

    Examples:

    >>> kernels = delta_orthogonal_kernels(100, (3, 3), 16, 16, seed=0)
    >>> tuple(kernels.shape)
    (100, 3, 3, 16, 16)

    Args:
        num: Positive int, the number of kernels, or `None` for a single
            kernel without the leading axis.
        kernel_size: Tuple of positive ints, one per spatial axis.
        in_channels: Positive int, at most `out_channels`.
        out_channels: Positive int.
        gain: Positive number, the factor on the orthogonal matrix (`sigma_w`).
        seed: Int, `keras.random.SeedGenerator` or `None`.
        dtype: Floating dtype of the result; defaults to `keras.config.floatx()`.

    Returns:
        Tensor of shape `(num, *kernel_size, in_channels, out_channels)`
        (without `num` for `num=None`).

    Reference:

    - [Xiao et al., 2018](https://arxiv.org/abs/1806.05393)
    """
    batch = _batch_shape(num)
    kernel_size = _check_kernel_size(kernel_size)
    _check_channels("delta_orthogonal_kernels", in_channels, out_channels)
    gain = _check_gain(gain)
    dtype, compute_dtype = _dtypes(dtype)
    noise = keras.random.normal(
        (*batch, out_channels, in_channels), seed=seed, dtype=compute_dtype
    )
    # The gain rides on the sign correction: one pass over the matrices.
    q = _haar_columns(noise, scale=gain)
    # A square Q and its transpose are both Haar: only wide ones need it.
    if in_channels < out_channels:
        q = keras.ops.swapaxes(q, -1, -2)
    if dtype != compute_dtype:
        q = keras.ops.cast(q, dtype)
    rank = len(kernel_size)
    q = keras.ops.reshape(q, (*batch, *(1,) * rank, in_channels, out_channels))
    centre = kernel_center(kernel_size)
    paddings = [
        *((0, 0) for _ in batch),
        *((c, k - 1 - c) for c, k in zip(centre, kernel_size, strict=True)),
        (0, 0),
        (0, 0),
    ]
    return keras.ops.pad(q, paddings)


def conv_orthogonal_kernels(
    num, kernel_size, in_channels, out_channels, gain=1.0, seed=None, dtype=None
):
    """Draws `num` block-circulant orthogonal convolution kernels at once.

    The construction of Xiao et al. (2018) (TensorFlow's
    `ConvolutionOrthogonal1D/2D/3D`): the matrix polynomial
    `H F_1(z) F_2(z) ...`, where `H` is a random `in_channels x out_channels`
    matrix with orthonormal rows and each factor is
    `F(z) = P + (I - P) z_a` for a random symmetric projection `P` and one
    spatial axis `a`; axis `a` gets `kernel_size[a] - 1` factors, taken in
    turns across the axes. Each factor is unitary on the unit circle, so every
    Fourier symbol of the kernel has orthonormal rows: the convolution with
    circular padding preserves norms exactly (times `gain`). Unlike
    TensorFlow's, the kernel sizes may differ between axes.

    Examples:

    >>> kernels = conv_orthogonal_kernels(8, (3, 3), 16, 32, seed=0)
    >>> tuple(kernels.shape)
    (8, 3, 3, 16, 32)

    Args:
        num: Positive int, the number of kernels, or `None` for a single
            kernel without the leading axis.
        kernel_size: Tuple of positive ints, one per spatial axis.
        in_channels: Positive int, at most `out_channels`.
        out_channels: Positive int.
        gain: Positive number, the factor on the kernel (`sigma_w`).
        seed: Int, `keras.random.SeedGenerator` or `None`.
        dtype: Floating dtype of the result; defaults to `keras.config.floatx()`.

    Returns:
        Tensor of shape `(num, *kernel_size, in_channels, out_channels)`
        (without `num` for `num=None`).

    Reference:

    - [Xiao et al., 2018](https://arxiv.org/abs/1806.05393)
    """
    size = 1 if num is None else check_positive_int("num", num)
    kernel_size = _check_kernel_size(kernel_size)
    _check_channels("conv_orthogonal_kernels", in_channels, out_channels)
    gain = _check_gain(gain)
    dtype, compute_dtype = _dtypes(dtype)
    rank = len(kernel_size)
    # The factors in order: the axis of each, in turns across the axes.
    axes = [
        axis
        for step in range(max(kernel_size) - 1)
        for axis in range(rank)
        if step < kernel_size[axis] - 1
    ]
    n = out_channels
    # One draw feeds H and every projection, so an int seed fixes them all.
    head = n * in_channels
    each = n * (n + 1)
    noise = keras.random.normal(
        (size, head + len(axes) * each), seed=seed, dtype=compute_dtype
    )
    h = _haar_columns(
        keras.ops.reshape(noise[:, :head], (size, n, in_channels)), scale=gain
    )
    # (size, *taps, in_channels, n), the taps growing one factor at a time.
    kernel = keras.ops.reshape(
        keras.ops.swapaxes(h, -1, -2), (size, *(1,) * rank, in_channels, n)
    )
    if axes:
        projections = _projections(
            keras.ops.reshape(noise[:, head:], (size * len(axes), n, n + 1)), n
        )
        projections = keras.ops.reshape(projections, (size, len(axes), n, n))
    for index, axis in enumerate(axes):
        # Every tap times the projection: one batched matmul over the taps
        # flattened into rows. (Broadcasting batch matmuls can crash
        # TensorFlow 2.21's oneDNN kernels on CPU, so none are used.)
        taps = tuple(kernel.shape[1:-2])
        kept = _matmul(keras.ops.reshape(kernel, (size, -1, n)), projections[:, index])
        kept = keras.ops.reshape(kept, (size, *taps, in_channels, n))
        shifted = kernel - kept
        first = [(0, 0)] * (rank + 3)
        second = list(first)
        first[1 + axis] = (0, 1)
        second[1 + axis] = (1, 0)
        kernel = keras.ops.pad(kept, first) + keras.ops.pad(shifted, second)
    if num is None:
        kernel = kernel[0]
    if dtype != compute_dtype:
        kernel = keras.ops.cast(kernel, dtype)
    return kernel


# Batched QR beats the matrix products below for little work: fewer ops.
_PRODUCTS_MIN_WORK = 2**25


def _haar_columns(noise, scale=None, method=None):
    """Haar-distributed orthonormal columns from Gaussian `noise` `(..., m, n)`.

    `m >= n`; `scale` multiplies the result. Two exact methods, the faster one
    for the amount of work unless `method` names one:

    - `"qr"`: the Q factor of `noise` with a positive diagonal R, from one
      batched QR (Mezzadri, 2007);
    - `"products"`: Stewart's (1980) algorithm, which reads only the lower
      trapezoid of `noise`. Its column `j`, a Gaussian vector `x` in rows
      `j:`, gives the Householder reflection along `u = x + sign(x_0) |x| e_j`,
      which maps `x` to `-sign(x_0) |x| e_j` as Householder QR does to a
      Gaussian matrix; the product of the reflections, times the signs that
      make R's diagonal positive, is the same Q factor in distribution. The
      product is accumulated with the UT transform (Joffrain et al., 2006),
      `I - U T^-1 U^T` with `T = triu(U^T U) - diag(U^T U) / 2`: two batched
      matrix products and a triangular solve, a third faster than batched QR
      on big batches.
    """
    rows, cols = noise.shape[-2], noise.shape[-1]
    if method is None:
        work = math.prod(noise.shape[:-2]) * rows * cols * cols
        method = "products" if work >= _PRODUCTS_MIN_WORK else "qr"
    if method == "qr":
        q, r = keras.ops.qr(noise)
        # A zero on R's diagonal (a singular Gaussian matrix) has probability 0.
        factors = keras.ops.sign(keras.ops.diagonal(r, axis1=-2, axis2=-1))
    else:
        dtype = noise.dtype
        vectors = keras.ops.tril(noise)
        heads = keras.ops.diagonal(vectors, axis1=-2, axis2=-1)
        ones = keras.ops.ones_like(heads)
        signs = keras.ops.where(heads < 0, -ones, ones)
        norms = keras.ops.sqrt(keras.ops.sum(keras.ops.square(vectors), axis=-2))
        eye = keras.ops.eye(rows, cols, dtype=dtype)
        vectors = vectors + eye * keras.ops.expand_dims(signs * norms, -2)
        gram = _matmul(keras.ops.swapaxes(vectors, -1, -2), vectors)
        t = keras.ops.triu(gram) - 0.5 * keras.ops.eye(cols, dtype=dtype) * gram
        solved = keras.ops.solve_triangular(
            t, keras.ops.swapaxes(vectors[..., :cols, :], -1, -2), lower=False
        )
        q = eye - _matmul(vectors, solved)
        # R's diagonal is -sign(x_0) |x|: flip the columns it makes negative.
        factors = -signs
    if scale is not None and scale != 1:
        factors = factors * scale
    if len(factors.shape) > 1:
        factors = keras.ops.expand_dims(factors, -2)
    return q * factors


def _projections(noise, size):
    """Symmetric projections `Q diag(coins) Q^T` from Gaussian noise.

    `noise` has shape `(..., size, size + 1)`: `Q` from the first `size`
    columns, a fair coin from the sign of each entry of the last.
    """
    q = _haar_columns(noise[..., :size])
    coins = keras.ops.cast(noise[..., size] > 0, q.dtype)
    kept = q * keras.ops.expand_dims(coins, -2)
    return _matmul(kept, keras.ops.swapaxes(q, -1, -2))


def _matmul(x1, x2):
    """Batched `x1 @ x2` in their dtype, with equal batch shapes.

    `keras.ops.matmul` on torch returns float32 for float64 inputs
    (keras-team/keras#23704); `keras.ops.einsum` keeps float64.
    """
    return keras.ops.einsum("...ij,...jk->...ik", x1, x2)


def _dtypes(dtype):
    """The result dtype and the dtype to compute in (float32 or float64)."""
    dtype = keras.backend.standardize_dtype(dtype or keras.config.floatx())
    if not keras.backend.is_float_dtype(dtype):
        raise ValueError(
            f"Expected a floating dtype for orthogonal kernels. Received: dtype={dtype}"
        )
    return dtype, "float64" if dtype == "float64" else "float32"


def _batch_shape(num):
    """`(num,)`, or `()` for `num=None`: one sample without a leading axis."""
    return () if num is None else (check_positive_int("num", num),)


def _check_kernel_size(kernel_size):
    if (
        not isinstance(kernel_size, (tuple, list))
        or not kernel_size
        or any(
            isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1
            for size in kernel_size
        )
    ):
        raise ValueError(
            "Expected `kernel_size` to be a non-empty tuple of positive ints, one "
            f"per spatial axis. Received: kernel_size={kernel_size!r}"
        )
    return tuple(int(size) for size in kernel_size)


def _check_channels(owner, in_channels, out_channels):
    in_channels = check_positive_int("in_channels", in_channels)
    out_channels = check_positive_int("out_channels", out_channels)
    if in_channels > out_channels:
        raise ValueError(
            f"`{owner}` needs in_channels <= out_channels: an in x out matrix "
            "with more rows than columns cannot have orthonormal rows, and the "
            "convolution would lose information instead of preserving norms. "
            f"Received: in_channels={in_channels}, out_channels={out_channels}"
        )


def _check_gain(gain):
    """A positive, finite Python number (the initializers' `gain`)."""
    if (
        isinstance(gain, bool)
        or not isinstance(gain, numbers.Real)
        or not math.isfinite(gain)
        or gain <= 0
    ):
        raise ValueError(
            f"Expected `gain` to be a positive number. Received: gain={gain!r}"
        )
    return float(gain)


def _check_kernel_shape(owner, shape):
    """`(kernel_size, in_channels, out_channels)` of a 1D/2D/3D conv kernel."""
    shape = tuple(shape)
    if not 3 <= len(shape) <= 5:
        raise ValueError(
            f"`{owner}` initializes convolution kernels, of shape "
            "(*kernel_size, in_channels, out_channels) with 1, 2 or 3 spatial "
            f"axes (rank 3 to 5). Received: shape={shape} of rank {len(shape)}"
        )
    if any(
        isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1
        for size in shape
    ):
        raise ValueError(
            f"`{owner}` needs a shape of positive ints. Received: shape={shape}"
        )
    in_channels, out_channels = int(shape[-2]), int(shape[-1])
    if in_channels > out_channels:
        raise ValueError(
            f"`{owner}` works for in_channels <= out_channels (shape[-2] <= "
            f"shape[-1]): with {in_channels} input and {out_channels} output "
            "channels the kernel's matrices cannot have orthonormal rows, and the "
            "convolution would lose information instead of preserving norms. Use "
            "at least as many filters as input channels. "
            f"Received: shape={shape}"
        )
    return tuple(int(size) for size in shape[:-2]), in_channels, out_channels
