"""Singular values of a model's input-output Jacobian."""

import numpy as np

from keras_deepinit.ops import autodiff


def jacobian_singular_values(model, inputs):
    """Singular values of the Jacobian of `model` at each of `inputs`.

    For each example x, the Jacobian d model(x) / d x is taken as a matrix of
    shape `(output size, input size)` (both flattened) and its singular values
    are computed in float64. Dynamical isometry means they all sit near 1.
    The Jacobian has `output size * input size` entries per example: use small
    inputs (e.g. 8x8 maps). Runs on every Keras backend.

    Examples:

    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    >>> model.layers[0].set_weights([np.diag([3.0, 0.5]), np.zeros(2)])
    >>> jacobian_singular_values(model, np.ones((1, 2), "float32")).tolist()
    [[3.0, 0.5]]

    Args:
        model: a Keras model or layer, called with `training=False`.
        inputs: a batch of inputs, shape `(batch, *input_shape)`.

    Returns:
        float64 numpy array of shape `(batch, min(output size, input size))`,
        each row in descending order.
    """
    jacobian = batch_jacobian(model, inputs)
    return np.linalg.svd(jacobian.astype(np.float64), compute_uv=False)


def batch_jacobian(model, inputs):
    """Per-example Jacobians of `model` at `inputs`, on any Keras backend.

    Examples:

    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> batch_jacobian(model, np.zeros((4, 3), "float32")).shape
    (4, 2, 3)

    Args:
        model: a Keras model or layer, called with `training=False`; each
            example's output must depend on that example only.
        inputs: a batch of inputs, shape `(batch, *input_shape)`.

    Returns:
        A numpy array of shape `(batch, output size, input size)`: entry
        `[b, i, j]` is the derivative of output unit `i` of example `b` (its
        output flattened) with respect to input unit `j` (flattened).
    """
    shape = np.shape(inputs)
    if len(shape) < 2:
        raise ValueError(
            "Expected a batch of inputs of rank >= 2, (batch, *input_shape). "
            f"Received: inputs.shape={shape}"
        )
    return autodiff.batch_jacobian(model, inputs)
