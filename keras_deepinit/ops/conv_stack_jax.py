"""`conv_stack` on JAX (see `keras_deepinit.ops.conv_stack`).

One `jax.lax.scan` over the stacked kernels and biases: the loop is traced
once whatever the depth, and its autodiff keeps one activation per layer and
accumulates each layer's kernel gradient into its row of one `(depth, ...)`
tensor, so time and memory grow linearly with depth. With `recompute`, the
scan runs over segments of `ceil(sqrt(depth))` layers, each segment under
`jax.checkpoint`: the backward pass keeps only the segments' inputs and
recomputes one segment's activations at a time.
"""

import math

import jax
import jax.numpy as jnp


def conv_stack(x, kernels, biases, activation, padding, training, recompute, shards):
    """`keras_deepinit.ops.conv_stack.conv_stack`, arguments checked; `shards`
    is ignored."""
    del shards
    layer = _layer(activation, padding, kernels.shape[1:3])
    depth = kernels.shape[0]
    if not (training and recompute) or depth < 2:
        return _scan(layer, x, kernels, biases)
    segment = math.ceil(math.sqrt(depth))
    full = depth // segment * segment

    @jax.checkpoint
    def run_segment(x, params):
        return _scan(layer, x, *params), None

    def segments(tensor):
        return tensor[:full].reshape(-1, segment, *tensor.shape[1:])

    x, _ = jax.lax.scan(run_segment, x, (segments(kernels), segments(biases)))
    if full < depth:
        x, _ = run_segment(x, (kernels[full:], biases[full:]))
    return x


def _scan(layer, x, kernels, biases):
    return jax.lax.scan(layer, x, (kernels, biases))[0]


def _layer(activation, padding, kernel_size):
    """One layer as a scan body: `(x, (kernel, bias)) -> (y, None)`."""
    # Keras "same" padding: (k - 1) // 2 before, k // 2 after.
    pads = [((k - 1) // 2, k // 2) for k in kernel_size]

    def layer(x, params):
        kernel, bias = params
        if padding == "circular":
            x = jnp.pad(x, [(0, 0), *pads, (0, 0)], mode="wrap")
        z = jax.lax.conv_general_dilated(
            x,
            kernel,
            window_strides=(1, 1),
            padding="VALID" if padding == "circular" else pads,
            dimension_numbers=("NHWC", "HWIO", "NHWC"),
        )
        return activation(z + bias), None

    return layer
