"""The HSIC bottleneck objective of one block (Ma, Lewis & Kleijn, 2020)."""

import numbers

import keras

from keras_deepinit.checks import check_positive_int
from keras_deepinit.ops import independence


def label_matrix(labels, num_classes=None):
    """Labels as the rows HSIC compares samples by.

    Class indices, of shape `(m,)` or `(m, 1)`, become one-hot rows of
    `num_classes`; any other `(m, k)` targets (one-hot already, say) are
    used as they are.
    """
    labels = keras.ops.convert_to_tensor(labels)
    if len(labels.shape) == 2 and labels.shape[1] != 1:
        return labels
    if num_classes is None:
        raise ValueError(
            "Expected num_classes for class-index labels of shape (m,) or (m, 1). "
            f"Received: num_classes=None, labels.shape={tuple(labels.shape)}"
        )
    indices = keras.ops.reshape(labels, (-1,))
    return independence.one_hot_labels(indices, num_classes, dtype="float32")


def hsic_references(
    inputs, labels, sigma=5.0, measure="cca", epsilon=1e-5, kernel="gaussian",
    num_classes=None,
):  # fmt: skip
    """The dependence kernels of a batch's inputs and labels, `(A_X, A_Y)`.

    Every block of an HSIC network pairs its output with the same two, so a
    trainer computes them once per batch (see `hsic_bottleneck_terms`).
    """
    a_x = independence.dependence_kernel(inputs, measure, kernel, sigma, epsilon)
    targets = keras.ops.cast(label_matrix(labels, num_classes), a_x.dtype)
    a_y = independence.dependence_kernel(targets, measure, kernel, sigma, epsilon)
    return keras.ops.stop_gradient(a_x), keras.ops.stop_gradient(a_y)


def hsic_bottleneck_terms(
    hidden, references, sigma=5.0, measure="cca", epsilon=1e-5, kernel="gaussian"
):
    """`(nHSIC(Z, X), nHSIC(Z, Y))` for a block's output `hidden` (`Z`)."""
    a_x, a_y = references
    a_z = independence.dependence_kernel(hidden, measure, kernel, sigma, epsilon)
    a_z = keras.ops.cast(a_z, a_x.dtype)
    return (
        independence.trace_of_product(a_z, a_x),
        independence.trace_of_product(a_z, a_y),
    )


def hsic_bottleneck(
    y_true, y_pred, beta=200.0, sigma=5.0, measure="cca", epsilon=1e-5,
    kernel="gaussian", num_classes=None,
):  # fmt: skip
    """`nHSIC(Z, X) - beta nHSIC(Z, Y)`: little dependence on the input, much
    on the labels.

    Args:
        y_true: `(inputs, labels)` of the batch: the network's inputs `X` and
            the labels `Y` (class indices or `(m, k)` targets).
        y_pred: the block's output `Z`, `(m, ...)`.
        beta: the weight of the label term (the paper's `beta`, the
            authors' code's `lambda_y`).
        sigma: the Gaussian kernels' bandwidth, scaled by each variable's
            feature count (see `keras_deepinit.ops.kernel_matrix`).
        measure: `"cca"` (the authors' code), `"cka"` or `"hsic"` (see
            `keras_deepinit.ops.dependence_kernel`).
        epsilon: the `"cca"` regularizer.
        kernel: `"gaussian"` or `"linear"`.
        num_classes: classes of class-index labels.
    """
    inputs, labels = y_true
    references = hsic_references(
        inputs, labels, sigma, measure, epsilon, kernel, num_classes
    )
    x_term, y_term = hsic_bottleneck_terms(
        y_pred, references, sigma, measure, epsilon, kernel
    )
    return x_term - beta * y_term


@keras.saving.register_keras_serializable(package="keras_deepinit")
class HSICLoss(keras.losses.Loss):
    """The HSIC bottleneck objective of one block, `nHSIC(Z, X) - beta nHSIC(Z, Y)`.

    Each hidden block `Z` of an HSIC-trained network keeps little dependence
    on the input `X` and much on the labels `Y`, measured by a normalized
    Hilbert-Schmidt Independence Criterion over the batch. `y_true` is the
    pair `(inputs, labels)`; the loss is one number per batch.

    Examples:

    >>> images = np.random.default_rng(0).normal(size=(8, 4, 4, 1))
    >>> labels = np.arange(8) % 2
    >>> block_output = np.random.default_rng(1).normal(size=(8, 16))
    >>> loss = HSICLoss(beta=200.0, sigma=6.0, num_classes=2)
    >>> tuple(loss((images, labels), block_output).shape)  # One per batch.
    ()

    Args:
        beta: the weight of the label term (`lambda_y` in the authors' code).
        sigma: the Gaussian kernels' bandwidth, scaled by each variable's
            feature count as in the authors' code.
        measure: `"cca"`, the regularized normalized HSIC the authors train
            with; `"cka"`, the ratio `HSIC(Z, X) / sqrt(HSIC(Z, Z) HSIC(X, X))`;
            or `"hsic"`, the plain biased estimator.
        epsilon: the `"cca"` regularizer (times the batch size).
        kernel: `"gaussian"` or `"linear"`.
        num_classes: classes, for labels given as class indices.
        **kwargs: Base loss keyword arguments, such as `name`.

    Reference:

    - [Ma, Lewis & Kleijn, 2020](https://arxiv.org/abs/1908.01580)
    """

    def __init__(
        self, beta=200.0, sigma=5.0, measure="cca", epsilon=1e-5,
        kernel="gaussian", num_classes=None, name="hsic_bottleneck", **kwargs,
    ):  # fmt: skip
        super().__init__(name=name, **kwargs)
        check_hsic_options(beta, sigma, measure, epsilon, kernel, num_classes)
        self.beta = float(beta)
        self.sigma = float(sigma)
        self.measure = measure
        self.epsilon = float(epsilon)
        self.kernel = kernel
        self.num_classes = num_classes

    def references(self, inputs, labels):
        """`(A_X, A_Y)` of a batch; see `hsic_references`."""
        return hsic_references(
            inputs, labels, self.sigma, self.measure, self.epsilon, self.kernel,
            self.num_classes,
        )  # fmt: skip

    def terms(self, hidden, references):
        """`(nHSIC(Z, X), nHSIC(Z, Y))`; see `hsic_bottleneck_terms`."""
        return hsic_bottleneck_terms(
            hidden, references, self.sigma, self.measure, self.epsilon, self.kernel
        )

    def objective(self, hidden, references):
        """`(loss, nHSIC(Z, X), nHSIC(Z, Y))` of a block's output."""
        x_term, y_term = self.terms(hidden, references)
        return x_term - self.beta * y_term, x_term, y_term

    def call(self, y_true, y_pred):
        inputs, labels = y_true
        return self.objective(y_pred, self.references(inputs, labels))[0]

    def options(self):
        """The objective's constructor arguments, for the configs of this loss
        and of the layers and models that hold one."""
        return {
            "beta": self.beta,
            "sigma": self.sigma,
            "measure": self.measure,
            "epsilon": self.epsilon,
            "kernel": self.kernel,
            "num_classes": self.num_classes,
        }

    def get_config(self):
        return {**super().get_config(), **self.options()}


def check_hsic_options(beta, sigma, measure, epsilon, kernel, num_classes):
    """Rejects bad HSIC objective arguments with the value received."""
    for name, value, positive in (
        ("beta", beta, False),
        ("sigma", sigma, True),
        ("epsilon", epsilon, True),
    ):
        real = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not real or not (value > 0 if positive else value >= 0):
            condition = "positive" if positive else "non-negative"
            raise ValueError(
                f"Expected {name} to be a {condition} number. "
                f"Received: {name}={value!r}"
            )
    for name, value, choices in (
        ("measure", measure, independence.MEASURES),
        ("kernel", kernel, independence.KERNELS),
    ):
        if value not in choices:
            raise ValueError(
                f"Expected {name} to be one of {choices}. Received: {name}={value!r}"
            )
    check_positive_int("num_classes", num_classes, allow_none=True)
