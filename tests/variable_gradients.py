"""Gradients with respect to Keras variables, on the backend the suite runs on.

TensorFlow takes them with a `tf.GradientTape`, JAX with `jax.grad` of the
function run in a `keras.StatelessScope` that maps the variables to traced
values, PyTorch with `torch.autograd.grad`.
"""

import keras
import numpy as np

BACKEND = keras.config.backend()


def variable_gradients(fn, variables):
    """`fn()`, a scalar that reads `variables`, and its gradient with respect
    to each of them as numpy arrays: zeros where `fn` does not depend on one."""
    variables = list(variables)
    if BACKEND == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            value = fn()
        grads = tape.gradient(value, variables)
    elif BACKEND == "jax":
        import jax

        def stateless(values):
            with keras.StatelessScope(
                state_mapping=list(zip(variables, values, strict=True))
            ):
                return fn()

        value, grads = jax.value_and_grad(stateless)([v.value for v in variables])
    else:
        import torch

        value = fn()
        grads = torch.autograd.grad(
            value, [v.value for v in variables], allow_unused=True
        )
    grads = [
        np.zeros(v.shape, "float32") if g is None else keras.ops.convert_to_numpy(g)
        for v, g in zip(variables, grads, strict=True)
    ]
    return float(keras.ops.convert_to_numpy(value)), grads
