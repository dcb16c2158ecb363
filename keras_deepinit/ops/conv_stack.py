"""A stack of same-width convolutions run as one loop, for networks of any depth.

`conv_stack(x, kernels, biases, ...)` applies `depth` layers
`x <- activation(conv(x, kernels[i]) + biases[i])` with kernels stored in one
`(depth, k, k, c, c)` tensor. A Keras graph with one node per layer hits
Python's recursion limit near 1,000 layers and traces in time linear in depth
with a large constant; here the graph holds one loop whatever the depth.

Each Keras backend runs its own loop, imported only when used:
- TensorFlow (`conv_stack_tf`), the CPU workhorse: a `tf.while_loop` with a
  hand-written backward loop (custom gradient), in-place gradient buffers,
  unrolled blocks of layers and batch shards run side by side.
- JAX (`conv_stack_jax`): a `jax.lax.scan` over the stacked kernels; with
  `recompute`, a scan over segments, each rematerialized (`jax.checkpoint`).
- PyTorch (`conv_stack_torch`): a loop over the unbound kernels in
  channels-first layout; with `recompute`, one `torch.utils.checkpoint` per
  segment.
All three cost time and memory linear in depth (memory `O(sqrt(depth))`
activations with `recompute`).
"""

import keras

from keras_deepinit.checks import check_positive_int
from keras_deepinit.ops.backend import backend_module

PADDINGS = ("circular", "zero")


def conv_stack(
    x,
    kernels,
    biases,
    activation="tanh",
    padding="circular",
    training=False,
    recompute=False,
    shards=None,
):
    """Applies `depth` convolution layers, `x <- activation(conv(x, K_i) + b_i)`.

    Args:
        x: input of shape `(batch, height, width, channels)`; height and
            width must be known when tracing.
        kernels: `(depth, k, k, channels, channels)` kernels, `k` odd or even.
        biases: `(depth, channels)` biases.
        activation: a Keras activation (name or callable).
        padding: `"circular"` (wrap-around; the setting in which orthogonal
            kernels are exact isometries) or `"zero"` (Keras `"same"`).
        training: whether gradients will be taken. On TensorFlow, False runs
            a plain forward loop that exports as a SavedModel.
        recompute: in training, keep only every `ceil(sqrt(depth))`-th
            activation and recompute the others in the backward pass:
            memory `O(sqrt(depth))` activations for one more forward pass.
        shards: TensorFlow only (ignored elsewhere): split the batch into
            this many parts computed side by side; None picks
            `default_shards()`.

    Returns:
        The output, same shape as `x`.
    """
    check_padding(padding)
    shards = default_shards() if shards is None else check_shards(shards)
    return backend_module("conv_stack").conv_stack(
        keras.ops.convert_to_tensor(x),
        keras.ops.convert_to_tensor(kernels),
        keras.ops.convert_to_tensor(biases),
        activation=keras.activations.get(activation),
        padding=padding,
        training=bool(training),
        recompute=bool(recompute),
        shards=shards,
    )


def check_padding(padding):
    if padding not in PADDINGS:
        raise ValueError(
            f"Expected padding to be one of {PADDINGS}. Received: padding={padding!r}"
        )


def check_shards(shards):
    return check_positive_int("shards", shards)


def default_shards():
    """Batch shards for `conv_stack`: on TensorFlow, one per inter-op thread
    on a CPU set to one thread per op (`one_thread_per_op`), else 1; 1 on the
    other backends."""
    if keras.config.backend() != "tensorflow":
        return 1
    return backend_module("conv_stack").default_shards()


def one_thread_per_op():
    """Sets TensorFlow to run each op on one thread, independent ops in parallel.

    At the paper's sizes a convolution is too small to share between threads,
    so on a CPU `conv_stack` runs faster with the batch split across cores
    (`default_shards()` then returns the core count). Call before TensorFlow
    runs its first op; does nothing on a machine with a GPU, nor on a Keras
    backend other than TensorFlow.

    Returns:
        Whether the setting was applied.

    Raises:
        RuntimeError: TensorFlow has already started.
    """
    if keras.config.backend() != "tensorflow":
        return False
    return backend_module("conv_stack").one_thread_per_op()
