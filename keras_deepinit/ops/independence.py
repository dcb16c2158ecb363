"""The Hilbert-Schmidt Independence Criterion and its normalized forms.

For `m` paired samples (rows of `x` and `y`) with kernel matrices `K_X`,
`K_Y` and the centring matrix `H = I - 11^T / m`, the biased estimator is
`HSIC_b = tr(K_X H K_Y H) / (m - 1)^2` (Gretton et al., 2005). The HSIC
Bottleneck (Ma, Lewis & Kleijn, 2020) trains each block on normalized forms:
the CKA-style ratio `HSIC(X, Y) / sqrt(HSIC(X, X) HSIC(Y, Y))`, and the
regularized "CCA" form `tr(R_X R_Y)` with `R = K_c (K_c + epsilon m I)^-1`,
`K_c = K H`, that the authors' code trains with. Gaussian kernels follow the
authors' code: `exp(-||a - b||^2 / (2 sigma^2 d))`, `d` the feature
dimension. Written with `keras.ops`; everything is differentiable.
"""

import math

import keras

KERNELS = ("gaussian", "linear")


def kernel_matrix(x, kernel="gaussian", sigma=5.0):
    """The `m x m` kernel matrix of the rows of `x` (flattened per sample).

    Args:
        x: `(m, ...)` samples.
        kernel: `"gaussian"`, `exp(-||a - b||^2 / (2 sigma^2 d))` with `d`
            the number of features per sample, or `"linear"`, `<a, b>`.
        sigma: the Gaussian kernel's bandwidth, before the scaling by `d`.
    """
    if kernel not in KERNELS:
        raise ValueError(
            f"Expected kernel to be one of {KERNELS}. Received: kernel={kernel!r}"
        )
    x = _flatten(x)
    gram = keras.ops.matmul(x, keras.ops.transpose(x))
    if kernel == "linear":
        return gram
    if not sigma > 0:
        raise ValueError(f"Expected sigma to be positive. Received: sigma={sigma!r}")
    norms = keras.ops.diagonal(gram)
    distances = keras.ops.maximum(norms[:, None] + norms[None, :] - 2 * gram, 0.0)
    features = x.shape[1]
    return keras.ops.exp(-distances / (2.0 * sigma**2 * features))


def hsic(x, y, kernel="gaussian", sigma=5.0, y_kernel=None):
    """`HSIC_b(x, y) = tr(K_X H K_Y H) / (m - 1)^2`.

    Examples:

    >>> x = np.arange(8.0).reshape(4, 2)
    >>> round(float(hsic(x, x, kernel="linear")), 4)
    177.7778

    Args:
        x: `(m, ...)` samples.
        y: `(m, ...)` paired samples, e.g. one-hot labels (`one_hot_labels`).
        kernel: kernel of `x` (and of `y` unless `y_kernel` is given).
        sigma: Gaussian bandwidth (see `kernel_matrix`).
        y_kernel: kernel of `y`; None: `kernel`.
    """
    k_x, k_y = _centred_kernels(x, y, kernel, sigma, y_kernel)
    m = keras.ops.cast(keras.ops.shape(k_x)[0], k_x.dtype)
    return _trace_of_product(k_x, k_y) / (m - 1.0) ** 2


def normalized_hsic(x, y, kernel="gaussian", sigma=5.0, y_kernel=None):
    """The CKA-style ratio `HSIC(x, y) / sqrt(HSIC(x, x) HSIC(y, y))`, in [0, 1]."""
    k_x, k_y = _centred_kernels(x, y, kernel, sigma, y_kernel)
    # The (m - 1)^-2 factors cancel.
    xx, yy = _trace_of_product(k_x, k_x), _trace_of_product(k_y, k_y)
    return _trace_of_product(k_x, k_y) / keras.ops.sqrt(xx * yy)


def hsic_cca(x, y, sigma=5.0, epsilon=1e-5, kernel="gaussian", y_kernel=None):
    """The regularized normalized HSIC of the authors' code, `tr(R_X R_Y)`.

    `R = K_c (K_c + epsilon m I)^-1` with `K_c = K H`, computed by solving
    the linear system rather than inverting the matrix.

    Args:
        x: `(m, ...)` samples.
        y: `(m, ...)` paired samples.
        sigma: Gaussian bandwidth (see `kernel_matrix`).
        epsilon: the regularizer, times `m`.
        kernel: kernel of `x` (and of `y` unless `y_kernel` is given).
        y_kernel: kernel of `y`; None: `kernel`.
    """
    k_x, k_y = _centred_kernels(x, y, kernel, sigma, y_kernel)
    return _trace_of_product(_regularized(k_x, epsilon), _regularized(k_y, epsilon))


def one_hot_labels(labels, num_classes, dtype="float32"):
    """Integer labels as the one-hot rows HSIC compares samples with."""
    return keras.ops.one_hot(keras.ops.cast(labels, "int32"), num_classes, dtype=dtype)


def _flatten(x):
    x = keras.ops.convert_to_tensor(x)
    if not keras.backend.is_float_dtype(x.dtype):
        x = keras.ops.cast(x, keras.config.floatx())
    if None in x.shape[1:]:
        raise ValueError(
            "Expected the features of each sample to have a known shape. "
            f"Received: shape={tuple(x.shape)}"
        )
    features = math.prod(x.shape[1:])
    return keras.ops.reshape(x, (-1, features))


def _check_pairs(x, y):
    if x.shape[0] is not None and y.shape[0] is not None and x.shape[0] != y.shape[0]:
        raise ValueError(
            "Expected x and y to hold the same number of samples. Received: "
            f"x.shape={tuple(x.shape)}, y.shape={tuple(y.shape)}"
        )


def _centred_kernels(x, y, kernel, sigma, y_kernel):
    """`K_X H` and `K_Y H`: `K H` is `K` less each row's mean, no product."""
    _check_pairs(x, y)
    return [
        k - keras.ops.mean(k, axis=1, keepdims=True)
        for k in (
            kernel_matrix(x, kernel, sigma),
            kernel_matrix(y, y_kernel or kernel, sigma),
        )
    ]


def _trace_of_product(a, b):
    """`tr(A B) = sum(A * B^T)`. With `A = K_X H`, `B = K_Y H` it is
    `tr(K_X H K_Y H)`."""
    return keras.ops.sum(a * keras.ops.transpose(b))


def _regularized(k_c, epsilon):
    """`R = K_c (K_c + epsilon m I)^-1`."""
    m = keras.ops.shape(k_c)[0]
    shifted = k_c + epsilon * keras.ops.cast(m, k_c.dtype) * keras.ops.eye(
        m, dtype=k_c.dtype
    )
    # R = K_c A^-1  <=>  R^T = A^-T K_c^T.
    return keras.ops.transpose(
        keras.ops.solve(keras.ops.transpose(shifted), keras.ops.transpose(k_c))
    )
