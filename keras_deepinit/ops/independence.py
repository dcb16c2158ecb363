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
MEASURES = ("hsic", "cka", "cca")


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
    return _measure(x, y, "hsic", kernel, sigma, y_kernel)


def normalized_hsic(x, y, kernel="gaussian", sigma=5.0, y_kernel=None):
    """The CKA-style ratio `HSIC(x, y) / sqrt(HSIC(x, x) HSIC(y, y))`, in [0, 1]."""
    return _measure(x, y, "cka", kernel, sigma, y_kernel)


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
    return _measure(x, y, "cca", kernel, sigma, y_kernel, epsilon)


def dependence_kernel(x, measure="cca", kernel="gaussian", sigma=5.0, epsilon=1e-5):
    """The `m x m` matrix `A_x` with `measure(x, y) = tr(A_x A_y)`.

    Each measure is the trace of a product of two such matrices, one per
    variable, so a sample's matrix can be computed once and paired with many:
    the HSIC bottleneck pairs every block's output with the same inputs and
    labels.

    Args:
        x: `(m, ...)` samples.
        measure: `"hsic"`, `A = K H / (m - 1)`; `"cka"` (`normalized_hsic`),
            `A = K H / sqrt(tr(K H K H))`; or `"cca"` (`hsic_cca`),
            `A = K H (K H + epsilon m I)^-1`.
        kernel: `"gaussian"` or `"linear"` (see `kernel_matrix`).
        sigma: Gaussian bandwidth.
        epsilon: the `"cca"` regularizer, times `m`.
    """
    if measure not in MEASURES:
        raise ValueError(
            f"Expected measure to be one of {MEASURES}. Received: measure={measure!r}"
        )
    k = kernel_matrix(x, kernel, sigma)
    k_c = k - keras.ops.mean(k, axis=1, keepdims=True)  # K H, without a product
    m = keras.ops.cast(keras.ops.shape(k_c)[0], k_c.dtype)
    if measure == "hsic":
        return k_c / (m - 1.0)
    if measure == "cka":
        return k_c / keras.ops.sqrt(trace_of_product(k_c, k_c))
    if not epsilon > 0:
        raise ValueError(
            f"Expected epsilon to be positive. Received: epsilon={epsilon!r}"
        )
    shifted = k_c + epsilon * m * keras.ops.eye(
        keras.ops.shape(k_c)[0], dtype=k_c.dtype
    )
    # R = K_c A^-1  <=>  R^T = A^-T K_c^T.
    return keras.ops.transpose(
        keras.ops.solve(keras.ops.transpose(shifted), keras.ops.transpose(k_c))
    )


def trace_of_product(a, b):
    """`tr(A B) = sum(A * B^T)`, without the product."""
    return keras.ops.sum(a * keras.ops.transpose(b))


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


def _measure(x, y, measure, kernel, sigma, y_kernel, epsilon=1e-5):
    x, y = keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(y)
    _check_pairs(x, y)
    a_x = dependence_kernel(x, measure, kernel, sigma, epsilon)
    a_y = dependence_kernel(y, measure, y_kernel or kernel, sigma, epsilon)
    return trace_of_product(a_x, a_y)
