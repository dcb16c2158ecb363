"""`residual_stack` on TensorFlow (see `keras_deepinit.ops.residual_stack`).

Training uses a custom gradient: the forward loop keeps each block's input
(one activation per block), and the backward loop, block by block from the
last, recomputes that block's branch under a `tf.GradientTape` and takes its
gradients with respect to its input and its own slice of each parameter,
writing them into the stack's gradient in place
(`keras_deepinit.ops.inplace`). Inference runs a plain forward loop, which
exports as a SavedModel.
"""

import tensorflow as tf

from keras_deepinit.ops import inplace


def residual_stack(x, params, branch, training, stats_specs):
    """`keras_deepinit.ops.residual_stack.residual_stack`."""
    names = sorted(params)
    tensors = [params[name] for name in names]
    blocks = tf.shape(tensors[0])[0]

    def forward(x, tensors, keep_inputs):
        def apply(x, i):
            residual, stats = branch(
                x, {n: t[i] for n, t in zip(names, tensors, strict=False)}
            )
            return x + residual, stats

        return _forward(apply, x, blocks, stats_specs, keep_inputs)

    if not training:
        y, stats, _ = forward(x, tensors, keep_inputs=False)
        return y, [ta.stack() for ta in stats]

    @tf.custom_gradient
    def stack(x, *tensors):
        y, stats, inputs = forward(x, tensors, keep_inputs=True)

        def grad(dy, *unused_stats_grads):
            def body(i, dy, grads):
                block_input = inputs.read(i)
                rows = [t[i] for t in tensors]
                with tf.GradientTape() as tape:
                    tape.watch([block_input, *rows])
                    residual, _ = branch(
                        block_input, dict(zip(names, rows, strict=False))
                    )
                d_input, *d_rows = tape.gradient(
                    residual,
                    [block_input, *rows],
                    output_gradients=dy,
                    unconnected_gradients=tf.UnconnectedGradients.ZERO,
                )
                grads = [
                    inplace.write_row(g, i, d)
                    for g, d in zip(grads, d_rows, strict=False)
                ]
                return i - 1, dy + d_input, grads

            buffers = [inplace.new_buffer(tf.shape(t), t.dtype) for t in tensors]
            _, dx, grads = tf.while_loop(
                lambda i, *_: i >= 0,
                body,
                (blocks - 1, dy, buffers),
                parallel_iterations=1,
            )
            return (dx, *grads)

        return (y, *[ta.stack() for ta in stats]), grad

    y, *stats = stack(x, *tensors)
    return y, [tf.stop_gradient(s) for s in stats]


def _forward(apply, x, blocks, stats_specs, keep_inputs):
    """The forward loop: output, `TensorArray`s of stats, of block inputs."""

    def body(i, x, stats, inputs):
        if keep_inputs:
            inputs = inputs.write(i, x)
        x, block_stats = apply(x, i)
        stats = [ta.write(i, s) for ta, s in zip(stats, block_stats, strict=True)]
        return i + 1, x, stats, inputs

    stats = [
        tf.TensorArray(dtype, size=blocks, element_shape=shape)
        for shape, dtype in stats_specs
    ]
    inputs = tf.TensorArray(
        x.dtype, size=blocks if keep_inputs else 0, element_shape=x.shape
    )
    _, y, stats, inputs = tf.while_loop(
        lambda i, *_: i < blocks, body, (0, x, stats, inputs), parallel_iterations=1
    )
    return y, stats, inputs
