"""Accuracy of output units matched one-to-one to classes."""

import keras
import numpy as np
import scipy.optimize

from keras_deepinit.checks import check_positive_int
from keras_deepinit.ops.host import numpy_call


def matched_accuracy(counts):
    """The accuracy of the best one-to-one matching of units to classes.

    Args:
        counts: `(units, classes)` array; `counts[u, c]` samples of class `c`
            had unit `u` as their largest output.

    Returns:
        The fraction of samples whose largest unit is matched to their class,
        under the matching that makes it largest (the Hungarian method of
        `scipy.optimize.linear_sum_assignment`); 0 for no samples.
    """
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if total == 0:
        return 0.0
    units, classes = scipy.optimize.linear_sum_assignment(counts, maximize=True)
    return float(counts[units, classes].sum() / total)


@keras.saving.register_keras_serializable(package="keras_deepinit")
class UnformattedAccuracy(keras.metrics.Metric):
    """Accuracy of a network's output read directly, its units matched to classes.

    The HSIC bottleneck trains a network whose output units are not tied to
    classes. Each sample counts for its largest output unit; at the end, units
    are matched one-to-one to classes so that the most samples land on their
    class (an optimal assignment, where the authors' greedy matching can
    hang), and the accuracy is the fraction that do. The assignment runs on
    the host (scipy), also inside jitted steps; on TensorFlow, XLA cannot
    compile it: compile a model that holds the metric with
    `jit_compile=False` (Keras's `"auto"` picks XLA on a GPU).

    Examples:

    >>> metric = UnformattedAccuracy(num_classes=3)
    >>> metric.update_state([0, 1, 2, 2], [[0, 9, 0], [0, 0, 9], [9, 0, 0],
    ...                                    [0, 9, 0]])
    >>> float(metric.result())  # Units 1, 2, 0 match classes 0, 1, 2.
    0.75

    Args:
        num_classes: classes of the labels.
        num_units: output units; defaults to `num_classes`.
        name: the metric's name.
        dtype: the result's dtype.

    Reference:

    - [Ma, Lewis & Kleijn, 2020](https://arxiv.org/abs/1908.01580)
    """

    def __init__(
        self, num_classes, num_units=None, name="unformatted_accuracy", dtype=None
    ):
        super().__init__(name=name, dtype=dtype)
        check_positive_int("num_classes", num_classes)
        check_positive_int("num_units", num_units, allow_none=True)
        self.num_classes = num_classes
        self.num_units = num_units or num_classes
        self.counts = self.add_variable(
            shape=(self.num_units, num_classes),
            initializer="zeros",
            dtype="float32",
            name="counts",
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = keras.ops.convert_to_tensor(y_pred)
        if y_pred.shape[-1] != self.num_units:
            raise ValueError(
                f"Expected y_pred with {self.num_units} units in its last axis. "
                f"Received: y_pred.shape={tuple(y_pred.shape)}"
            )
        units = keras.ops.argmax(keras.ops.reshape(y_pred, (-1, self.num_units)), -1)
        units = keras.ops.one_hot(units, self.num_units, dtype="float32")
        labels = keras.ops.cast(keras.ops.reshape(y_true, (-1,)), "int32")
        labels = keras.ops.one_hot(labels, self.num_classes, dtype="float32")
        if sample_weight is not None:
            weights = keras.ops.cast(sample_weight, "float32")
            units = units * keras.ops.reshape(weights, (-1, 1))
        # The (unit, class) counts as a product of one-hot rows: a bincount
        # of traced values has no static length under JAX.
        counts = keras.ops.matmul(keras.ops.transpose(units), labels)
        self.counts.assign_add(counts)

    def result(self):
        # The assignment runs on the host, in numpy, also inside jitted steps.
        value = numpy_call(matched_accuracy, self.counts, (), "float32")
        return keras.ops.cast(value, self.dtype)

    def reset_state(self):
        self.counts.assign(keras.ops.zeros(self.counts.shape, self.counts.dtype))

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "num_units": self.num_units,
        }
