"""Singular values of a model's input-output Jacobian."""

import numpy as np
import tensorflow as tf


def jacobian_singular_values(model, inputs):
    """Singular values of the Jacobian of `model` at each of `inputs`.

    For each example x, the Jacobian d model(x) / d x is taken as a matrix of
    shape `(output size, input size)` (both flattened) and its singular values
    are computed in float64. Dynamical isometry means they all sit near 1.
    The Jacobian has `output size * input size` entries per example: use small
    inputs (e.g. 8x8 maps).

    Args:
        model: a Keras model (or any callable on a batch of tensors).
        inputs: a batch of inputs, shape `(batch, *input_shape)`.

    Returns:
        float64 numpy array of shape `(batch, min(output size, input size))`,
        each row in descending order.
    """
    inputs = tf.convert_to_tensor(inputs)
    if inputs.shape.rank is None or inputs.shape.rank < 2:
        raise ValueError(
            "Expected a batch of inputs of rank >= 2, (batch, *input_shape). "
            f"Received: inputs.shape={inputs.shape}"
        )
    jacobian = batch_jacobian(model, inputs).numpy().astype(np.float64)
    return np.linalg.svd(jacobian, compute_uv=False)


@tf.function(reduce_retracing=True)
def _batch_jacobian(model, inputs):
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        outputs = model(inputs, training=False)
        outputs = tf.reshape(outputs, (tf.shape(outputs)[0], -1))
    jacobian = tape.batch_jacobian(outputs, inputs, unconnected_gradients="zero")
    return tf.reshape(jacobian, (tf.shape(jacobian)[0], tf.shape(outputs)[1], -1))


def batch_jacobian(model, inputs):
    """Per-example Jacobians, shape `(batch, output size, input size)`."""
    return _batch_jacobian(model, tf.convert_to_tensor(inputs))
