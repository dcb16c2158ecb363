"""JAX's derivatives for the diagnostics: `jax.jacrev` over a stateless call."""

import jax
import keras
import numpy as np


def _values(model):
    return (
        [v.value for v in model.trainable_variables],
        [v.value for v in model.non_trainable_variables],
    )


def batch_jacobian(model, inputs):
    inputs = keras.ops.convert_to_tensor(inputs)

    @jax.jit
    def jacobian(trainable, non_trainable, inputs):
        def flat_output(example):
            outputs, _ = model.stateless_call(
                trainable, non_trainable, example[None], training=False
            )
            return outputs.reshape(-1)

        # Reverse mode: one backward pass per output unit, vectorized by vmap.
        return jax.vmap(jax.jacrev(flat_output))(inputs)

    matrices = jacobian(*_values(model), inputs)
    return np.asarray(matrices).reshape(matrices.shape[0], matrices.shape[1], -1)


def value_and_gradients(model, inputs, loss_fn):
    trainable, non_trainable = _values(model)

    def loss(trainable):
        outputs, _ = model.stateless_call(
            trainable, non_trainable, inputs, training=False
        )
        return loss_fn(outputs), outputs

    (_, outputs), gradients = jax.value_and_grad(loss, has_aux=True)(trainable)
    outputs = [np.asarray(x) for x in keras.tree.flatten(outputs)]
    return outputs, [np.asarray(g) for g in gradients]
