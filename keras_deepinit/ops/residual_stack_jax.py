"""`residual_stack` on JAX (see `keras_deepinit.ops.residual_stack`).

One `jax.lax.scan` over the blocks' stacked parameters. In training the
block's body is under `jax.checkpoint`, so autodiff keeps only each block's
input (the scan's carry) and recomputes the branch in the backward pass.
"""

import jax


def residual_stack(x, params, branch, training, stats_specs):
    """`keras_deepinit.ops.residual_stack.residual_stack`."""
    del stats_specs
    names = sorted(params)

    def block(x, rows):
        residual, stats = branch(x, dict(zip(names, rows, strict=True)))
        return x + residual, tuple(stats)

    if training:
        block = jax.checkpoint(block)
    y, stats = jax.lax.scan(block, x, tuple(params[name] for name in names))
    return y, [jax.lax.stop_gradient(s) for s in stats]
