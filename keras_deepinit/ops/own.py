"""Orthogonal weight normalization: OWN by eigendecomposition, ONI by Newton.

A weight matrix `W` (rows = output units) is computed from a free matrix `V`:
the rows are split into groups, each group is centred (every row minus its
mean) and then whitened, `W = (Vc Vc^T)^(-1/2) Vc`, so that its rows are
orthonormal. Written with `keras.ops` only, so it runs on every Keras
backend, in graph mode and under `jit`, and autodiff differentiates through it.
"""

import numbers

import keras
import numpy as np

from keras_deepinit.checks import check_positive_int

METHODS = ("eig", "newton")


def orthogonalize(v, group_size=None, epsilon=1e-5, method="eig", iterations=5):
    """Orthogonalizes the rows of `v`, in groups, after centring them.

    The `rows` rows of `v` are split into `rows // group_size` consecutive
    groups, processed as one batch. Each group `G` is centred, `Gc = G -
    mean(G, axis=-1)`, and whitened, `W = S^(-1/2) Gc` with `S = Gc Gc^T`
    (plus `epsilon`), which gives the group orthonormal rows that each sum to
    zero: Orthogonal Weight Normalization (Huang et al., 2018). Centred rows
    lie in a space of `cols - 1` dimensions, so a group holds at most
    `cols - 1` rows. `W` does not change when a constant is added to a row of
    `v` or when `v` is multiplied by a positive number.

    `method="eig"` computes `S^(-1/2)` from a symmetric eigendecomposition,
    exactly, as OWN does. `method="newton"` runs the Newton iteration of ONI
    (Huang et al., 2020) on `S / ||S||_F`, whose eigenvalues are at most 1:
    `B_0 = I`, `B_{k+1} = 1.5 B_k - 0.5 B_k^3 S`, in its coupled form (the same
    `B_k` in exact arithmetic; the form above blows up in float32 once
    `B_k` is close to its limit). `B_k` tends to `S^(-1/2)` as `k` grows, fastest
    for the large eigenvalues, so `W` is orthogonal only with enough
    iterations: for random Gaussian `v` of shapes `(32, 64)` to `(64, 576)`,
    `max|W W^T - I|` is 0.01 to 0.15 after 5 iterations and reaches the
    float32 floor (about 1e-6) after 8 to 10; ill-conditioned groups, such as
    nearly square ones, need more. ONI uses few iterations on purpose, to
    control how orthogonal `W` is.

    Examples:

    >>> v = np.random.default_rng(0).normal(size=(4, 6))
    >>> w = keras.ops.convert_to_numpy(orthogonalize(v, epsilon=0.0))
    >>> bool(np.allclose(w @ w.T, np.eye(4), atol=1e-6))
    True
    >>> bool(np.allclose(w.sum(axis=1), 0.0, atol=1e-6))
    True
    >>> w = orthogonalize(np.ones((12, 5)) + np.eye(12, 5), group_size=4)
    >>> tuple(w.shape)
    (12, 5)

    Args:
        v: Float matrix of shape `(rows, cols)` with static shape, rows being
            the output units. `"eig"` computes in float64, since `S` squares
            the condition number of `Vc` (in float32, 24 random rows of 27
            columns lose up to 5e-4 of orthogonality). Where `keras.ops` have
            no float64 (JAX and PyTorch, whose Keras ops promote float64 to
            float32), it computes the same `W` in float32 from the SVD
            `Vc = U D Q^T`, as `U D (D^2 + epsilon)^(-1/2) Q^T`, which keeps
            orthogonality to about 1e-6.
            `"newton"` computes in float32 for lower precisions.
        group_size: Positive int dividing `rows`, at most `cols - 1`, the
            number of rows orthogonalized together. `None` takes the largest
            valid size: all rows in one group when `rows <= cols - 1`.
        epsilon: Float >= 0 added to the eigenvalues of `S` as a fraction of
            their mean, so it does not depend on the scale of `v`. A direction
            of `S` with eigenvalue `lambda` gets squared norm `lambda / (lambda
            + epsilon * mean)` in `W W^T` instead of 1, which bounds `S^(-1/2)`
            and its gradient when a group is (nearly) rank deficient. The
            default moves `max|W W^T - I|` to about 4e-5 for random `(32,
            64)` groups, 2e-3 for nearly square `(63, 64)` ones. 0 is exact
            for groups of full rank.
        method: `"eig"` (OWN) or `"newton"` (ONI).
        iterations: Positive int, the number of Newton iterations (ONI uses
            5); ignored by `"eig"`.

    Returns:
        Tensor of the shape and floating dtype of `v`.

    Reference:

    - [Huang et al., 2018](https://arxiv.org/abs/1709.06079)
    - [Huang et al., 2020](https://arxiv.org/abs/2004.00917)
    """
    v = keras.ops.convert_to_tensor(v)
    if len(v.shape) != 2 or None in v.shape:
        raise ValueError(
            "Expected v to be a matrix of static shape (rows, cols). "
            f"Received: v.shape={tuple(v.shape)}"
        )
    rows, cols = v.shape
    group_size = resolve_group_size(rows, cols, group_size)
    epsilon = check_epsilon(epsilon)
    if method not in METHODS:
        raise ValueError(
            f"Expected method to be one of {METHODS}. Received: method={method!r}"
        )
    iterations = check_positive_int("iterations", iterations)

    dtype = keras.backend.standardize_dtype(v.dtype)
    if "float" not in dtype:
        dtype = keras.config.floatx()
    # S squares the condition number of Vc: in float32 the eigendecomposition
    # would lose orthogonality to about 1e-7 * cond(Vc)^2.
    wide = method == "eig" or dtype == "float64"
    compute_dtype = "float64" if wide and _has_float64() else "float32"
    groups = keras.ops.reshape(
        keras.ops.cast(v, compute_dtype), (rows // group_size, group_size, cols)
    )
    centred = groups - keras.ops.mean(groups, axis=-1, keepdims=True)
    # Unit Frobenius norm per group: S has trace 1, mean eigenvalue 1 / size.
    squares = keras.ops.sum(centred * centred, axis=(1, 2), keepdims=True)
    centred = centred / keras.ops.sqrt(
        keras.ops.maximum(squares, float(np.finfo(compute_dtype).tiny))
    )
    shift = epsilon / group_size
    if method == "eig" and compute_dtype == "float32":
        w = _svd_whiten(centred, shift)
    else:
        cov = keras.ops.matmul(centred, keras.ops.swapaxes(centred, 1, 2))
        if method == "eig":
            inverse_sqrt = _eig_inverse_sqrt(cov, shift)
        else:
            eye = keras.ops.eye(group_size, dtype=compute_dtype)
            inverse_sqrt = _newton_inverse_sqrt(cov + shift * eye, eye, iterations)
        w = keras.ops.matmul(inverse_sqrt, centred)
    return keras.ops.cast(keras.ops.reshape(w, (rows, cols)), dtype)


def valid_group_sizes(rows, cols):
    """The group sizes that `orthogonalize` accepts for a `rows x cols` matrix.

    Examples:

    >>> valid_group_sizes(12, 5)
    [1, 2, 3, 4]

    Args:
        rows: Positive int, the number of rows (output units).
        cols: Positive int, the number of columns (inputs per unit).

    Returns:
        Sorted list of the divisors of `rows` that are at most `cols - 1`.
    """
    return [size for size in range(1, min(rows, cols - 1) + 1) if rows % size == 0]


def resolve_group_size(rows, cols, group_size=None):
    """Checks `group_size` for a `rows x cols` matrix; `None` picks the largest.

    Examples:

    >>> resolve_group_size(128, 64)
    32
    >>> resolve_group_size(16, 144)
    16

    Args:
        rows: Positive int, the number of rows (output units).
        cols: Positive int, the number of columns (inputs per unit).
        group_size: Positive int or `None`.

    Returns:
        Int, the group size.
    """
    choices = valid_group_sizes(rows, cols)
    if not choices:
        raise ValueError(
            "Expected at least 2 columns (inputs per output unit): a centred row "
            f"of 1 column is zero. Received: rows={rows}, cols={cols}"
        )
    if group_size is None:
        return choices[-1]
    if (
        isinstance(group_size, bool)
        or not isinstance(group_size, numbers.Integral)
        or group_size not in choices
    ):
        raise ValueError(
            f"Expected group_size to divide rows = {rows} (output units) and to be "
            f"at most cols - 1 = {cols - 1} (inputs per unit, less one for the "
            f"centring); valid choices: {choices}. Received: group_size={group_size!r}"
        )
    return int(group_size)


def _eig_inverse_sqrt(cov, shift):
    values, vectors = keras.ops.eigh(cov)
    # Round-off can leave the eigenvalues of a rank-deficient S below zero.
    values = keras.ops.maximum(values, 0.0) + shift
    scaled = vectors * keras.ops.expand_dims(keras.ops.rsqrt(values), axis=1)
    return keras.ops.matmul(scaled, keras.ops.swapaxes(vectors, 1, 2))


def _svd_whiten(centred, shift):
    # S = U D^2 U^T, so S^(-1/2) Vc = U D (D^2 + shift)^(-1/2) Q^T: the
    # orthogonal factors come from Vc itself, not from its squared condition.
    u, d, qt = keras.ops.svd(centred, full_matrices=False)
    factors = d * keras.ops.rsqrt(d * d + shift)
    return keras.ops.matmul(u * keras.ops.expand_dims(factors, axis=1), qt)


def _has_float64():
    """Whether `keras.ops` computes in float64: on TensorFlow only.

    On JAX and PyTorch, Keras 3 promotes float64 operands of binary ops to
    float32 (`keras.backend.result_type`), as JAX does without x64.
    """
    return keras.backend.backend() == "tensorflow"


def _newton_inverse_sqrt(cov, eye, iterations):
    # The coupled Newton-Schulz iteration (Higham, 2008): z_k = B_k, ONI's
    # iterates, and y_k = S B_k, without the B_k^3 that amplifies round-off.
    norm = keras.ops.sqrt(keras.ops.sum(cov * cov, axis=(1, 2), keepdims=True))
    # z_0 = I spares the first iteration two products, and the last y is
    # not needed: 3 * iterations - 3 products in all.
    y, z = cov / norm, None
    for k in range(iterations):
        t = 1.5 * eye - 0.5 * (y if z is None else keras.ops.matmul(z, y))
        z = t if z is None else keras.ops.matmul(t, z)
        if k + 1 < iterations:
            y = keras.ops.matmul(y, t)
    return z / keras.ops.sqrt(norm)


def check_epsilon(epsilon):
    if (
        isinstance(epsilon, bool)
        or not isinstance(epsilon, numbers.Real)
        or not 0 <= epsilon < float("inf")
    ):
        raise ValueError(
            f"Expected epsilon to be a finite float >= 0. Received: epsilon={epsilon!r}"
        )
    return float(epsilon)
