"""The diagnostics' derivatives, taken by the backend Keras runs on.

`batch_jacobian` and `value_and_gradients` read the same on every backend;
each backend's machinery (`tf.GradientTape`, `jax.jacrev`, `torch.autograd`)
sits in a module of its own, imported only when that backend is in use, so
that JAX and PyTorch users never import TensorFlow.
"""

import importlib

import keras

BACKENDS = ("tensorflow", "jax", "torch")


def _backend_module():
    backend = keras.config.backend()
    if backend not in BACKENDS:
        raise ValueError(
            f"Expected the Keras backend to be one of {BACKENDS}. "
            f"Received: backend={backend!r}"
        )
    return importlib.import_module(f"{__name__}.{backend}")


def batch_jacobian(model, inputs):
    """Per-example Jacobians of `model` at `inputs`, output and input flattened.

    Args:
        model: a Keras model or layer, called with `training=False`; each
            example's output must depend on that example only.
        inputs: a batch of inputs, shape `(batch, *input_shape)`.

    Returns:
        A numpy array of shape `(batch, output size, input size)`.
    """
    return _backend_module().batch_jacobian(model, inputs)


def value_and_gradients(model, inputs, loss_fn):
    """Outputs of `model`, and the gradient of `loss_fn(outputs)` on its weights.

    Args:
        model: a Keras model, called with `training=False`.
        inputs: a batch of inputs.
        loss_fn: a function of the model's outputs to a scalar, written with
            `keras.ops`.

    Returns:
        A tuple `(outputs, gradients)`: the outputs as a flat list of numpy
        arrays, and one numpy array per entry of `model.trainable_variables`
        (zeros where the loss does not depend on it).
    """
    return _backend_module().value_and_gradients(model, inputs, loss_fn)
