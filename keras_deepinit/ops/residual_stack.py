"""A stack of identical residual blocks run as one loop.

`residual_stack(x, params, branch)` applies `x <- x + r_i` for
`i = 0 .. blocks - 1`, with `r_i, stats_i = branch(x, params_i)` and every
parameter stored as one tensor with a leading `blocks` axis. As for
`keras_deepinit.ops.conv_stack`, the graph holds one loop whatever the depth,
so thousands of blocks build quickly and cost grows linearly with depth.

In training, each backend keeps one activation per block (the block's input)
and recomputes the branch in the backward pass, for one more forward pass of
each branch: TensorFlow by a custom gradient (`residual_stack_tf`), JAX by a
`jax.lax.scan` whose body is under `jax.checkpoint` (`residual_stack_jax`),
PyTorch by one `torch.utils.checkpoint` per block (`residual_stack_torch`).
Any differentiable branch written with `keras.ops` works, batch normalization
included. `stats_i` (e.g. batch statistics) are returned stacked and carry no
gradient.
"""

import keras

from keras_deepinit.ops.backend import backend_module


def residual_stack(x, params, branch, training=False, stats_specs=()):
    """Applies `x <- x + branch(x, block_params)[0]` once per block.

    Args:
        x: the stream's input.
        params: dict of name -> tensor of shape `(blocks, ...)`; block `i`'s
            branch gets the dict of the `i`-th rows.
        branch: `branch(x, block_params) -> (residual, stats)`, `residual`
            shaped like `x`, `stats` a list of tensors as `stats_specs` says.
        training: whether gradients will be taken. On TensorFlow, False runs
            a plain forward loop, which exports as a SavedModel.
        stats_specs: one `(shape, dtype)` pair per tensor of a block's
            `stats`.

    Returns:
        `(y, stats)`: the output and the list of stacked `stats`, each
        `(blocks, ...)`.
    """
    module = backend_module("residual_stack")
    return module.residual_stack(
        keras.ops.convert_to_tensor(x),
        {name: keras.ops.convert_to_tensor(t) for name, t in params.items()},
        branch,
        training=bool(training),
        stats_specs=tuple(stats_specs),
    )
