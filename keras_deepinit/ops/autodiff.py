"""The diagnostics' derivatives, taken by the backend Keras runs on.

`batch_jacobian` and `value_and_gradients` read the same on every backend;
each backend's machinery (`tf.GradientTape`, `jax.jacrev`, `torch.autograd`)
sits in a module of its own, imported only when that backend is in use, so
that JAX and PyTorch users never import TensorFlow.
"""

from keras_deepinit.ops.backend import backend_module


def batch_jacobian(model, inputs):
    """Per-example Jacobians of `model` at `inputs`, output and input flattened.

    Args:
        model: a Keras model or layer, called with `training=False`; each
            example's output must depend on that example only.
        inputs: a batch of inputs, shape `(batch, *input_shape)`.

    Returns:
        A numpy array of shape `(batch, output size, input size)`.
    """
    return backend_module("autodiff").batch_jacobian(model, inputs)


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
    return backend_module("autodiff").value_and_gradients(model, inputs, loss_fn)
