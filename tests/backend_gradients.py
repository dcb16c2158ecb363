"""Gradients on the Keras backend the suite runs on, as numpy arrays.

TensorFlow takes them with a `tf.GradientTape`, JAX with `jax.grad` (of a
model's `stateless_call`, or of a function run in a `keras.StatelessScope`
that maps variables to traced values), PyTorch with `backward()` or
`torch.autograd.grad`.
"""

import keras
import numpy as np

BACKEND = keras.config.backend()
# JAX computes in float32 unless x64 is enabled.
FLOAT = "float32" if BACKEND == "jax" else "float64"


def numpy(x):
    if BACKEND == "torch":
        x = x.detach()
    return keras.ops.convert_to_numpy(x)


def gradients(fn, *args):
    """`fn(*args)` (a scalar) and its gradients with respect to each of `args`."""
    args = [keras.ops.convert_to_tensor(a) for a in args]
    if BACKEND == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(args)
            value = fn(*args)
        grads = tape.gradient(value, args)
    elif BACKEND == "jax":
        import jax

        value, grads = jax.value_and_grad(lambda args: fn(*args))(args)
    else:
        args = [a.requires_grad_() for a in args]
        value = fn(*args)
        value.backward()
        grads = [a.grad for a in args]
    return numpy(value), [numpy(g) for g in grads]


def model_gradients(model, x, weights):
    """Outputs of `model(x, training=True)`, and the gradients of
    `sum(weights * outputs)` with respect to `x` and to each of
    `model.trainable_variables`, in that order."""
    x, weights = keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(weights)
    variables = model.trainable_variables
    if BACKEND == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            outputs = model(x, training=True)
            loss = tf.reduce_sum(weights * outputs)
        dx, *grads = tape.gradient(loss, [x, *variables])
    elif BACKEND == "jax":
        import jax

        def loss(trainable, x):
            outputs, _ = model.stateless_call(
                trainable,
                [v.value for v in model.non_trainable_variables],
                x,
                training=True,
            )
            return keras.ops.sum(weights * outputs), outputs

        (_, outputs), (grads, dx) = jax.value_and_grad(
            loss, argnums=(0, 1), has_aux=True
        )([v.value for v in variables], x)
    else:
        x = x.requires_grad_()
        for variable in variables:
            variable.value.grad = None
        outputs = model(x, training=True)
        keras.ops.sum(weights * outputs).backward()
        dx, grads = x.grad, [v.value.grad for v in variables]
    return numpy(outputs), numpy(dx), [numpy(g) for g in grads]


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
