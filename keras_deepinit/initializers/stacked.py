"""Initializing a stack of kernels, `(depth, *kernel_shape)`, in one call."""

import copy

import keras

from keras_deepinit.initializers.orthogonal_kernel import OrthogonalKernel

# Stacks of more kernels are drawn this many at a time.
CHUNK = 1024


def initialize_stack(initializer, depth, kernel_shape, dtype=None):
    """Draws `depth` kernels of `kernel_shape`, each one as `initializer` would.

    Our orthogonal initializers draw the whole stack in one batched call. A
    `keras.initializers.VarianceScaling` (Glorot, He, LeCun and the critical
    Gaussian) draws it in one call too, its scale multiplied by `depth`: a
    `(depth, *kernel_shape)` tensor has `depth` times a kernel's fans. Any
    other initializer is called once per kernel (an int-seeded one then gives
    every layer the same kernel, as Keras's initializers do).

    Stacks of more than `CHUNK` kernels are drawn `CHUNK` at a time (the
    draw's temporaries are per chunk): on TensorFlow into one preallocated
    tensor, so that no more than one stack is ever held
    (`keras_deepinit.ops.inplace`); on other backends the chunks are
    concatenated. An int seed then seeds one
    `keras.random.SeedGenerator` for all chunks, so they differ.

    Args:
        initializer: a Keras initializer for one kernel (name, config or object).
        depth: the number of kernels.
        kernel_shape: `(*kernel_size, in_channels, out_channels)` of one kernel.
        dtype: the dtype of the result.

    Returns:
        A tensor of shape `(depth, *kernel_shape)`.
    """
    initializer = keras.initializers.get(initializer)
    if depth > CHUNK:
        return _initialize_in_chunks(initializer, depth, kernel_shape, dtype)
    kernel_size, in_channels, out_channels = (
        tuple(kernel_shape[:-2]),
        kernel_shape[-2],
        kernel_shape[-1],
    )
    if isinstance(initializer, OrthogonalKernel):
        return initializer.draw_kernels(
            depth, kernel_size, in_channels, out_channels, dtype
        )
    if isinstance(initializer, keras.initializers.VarianceScaling):
        stacked = keras.initializers.VarianceScaling(
            scale=initializer.scale * depth,
            mode=initializer.mode,
            distribution=initializer.distribution,
            seed=initializer.seed,
        )
        return stacked((depth, *kernel_shape), dtype=dtype)
    return keras.ops.stack(
        [initializer(tuple(kernel_shape), dtype=dtype) for _ in range(depth)]
    )


def _initialize_in_chunks(initializer, depth, kernel_shape, dtype):
    if isinstance(getattr(initializer, "seed", None), int):
        initializer = copy.copy(initializer)
        initializer.seed = keras.random.SeedGenerator(initializer.seed)
    dtype = dtype or keras.config.floatx()
    chunks = (
        initialize_stack(initializer, min(CHUNK, depth - start), kernel_shape, dtype)
        for start in range(0, depth, CHUNK)
    )
    if keras.config.backend() != "tensorflow":
        return keras.ops.concatenate(list(chunks), axis=0)
    from keras_deepinit.ops import inplace  # TensorFlow only.

    stack = inplace.new_buffer((depth, *kernel_shape), dtype)
    for start, chunk in zip(range(0, depth, CHUNK), chunks, strict=True):
        stack = inplace.write_rows(stack, start, chunk)
    return stack
