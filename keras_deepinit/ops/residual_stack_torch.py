"""`residual_stack` on PyTorch (see `keras_deepinit.ops.residual_stack`).

A Python loop over the blocks' parameters, split with `unbind` (whose
backward stacks the blocks' gradients once, where indexing would add a dense
`(blocks, ...)` gradient per block). In training each block runs under
`torch.utils.checkpoint`: autograd keeps only the block's input and
recomputes the branch in the backward pass.
"""

import torch
from torch.utils.checkpoint import checkpoint


def residual_stack(x, params, branch, training, stats_specs):
    """`keras_deepinit.ops.residual_stack.residual_stack`."""
    del stats_specs
    names = sorted(params)
    rows = [params[name].unbind(0) for name in names]

    def block(x, *block_rows):
        residual, stats = branch(x, dict(zip(names, block_rows, strict=True)))
        return x + residual, *stats

    recompute = training and torch.is_grad_enabled()
    stats = []
    for block_rows in zip(*rows, strict=True):
        if recompute:
            x, *block_stats = checkpoint(block, x, *block_rows, use_reentrant=False)
        else:
            x, *block_stats = block(x, *block_rows)
        stats.append(block_stats)
    stacked = [torch.stack(s).detach() for s in zip(*stats, strict=True)]
    return x, stacked
