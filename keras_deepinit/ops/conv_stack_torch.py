"""`conv_stack` on PyTorch (see `keras_deepinit.ops.conv_stack`).

A Python loop of `torch.nn.functional.conv2d` in channels-first layout. The
kernels are transposed once to `(depth, out, in, k, k)` and split with
`unbind`, whose backward stacks the layers' gradients once: indexing
`kernels[i]` in the loop would instead add a dense `(depth, ...)` gradient
per layer, quadratic in depth. Circular padding is one `index_select` of the
flattened map (what `F.pad(mode="circular")` computes, with a one-op
backward). With `recompute` in training, the layers run in segments of
`ceil(sqrt(depth))`, each under `torch.utils.checkpoint`: autograd keeps only
the segments' inputs.
"""

import functools
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint


def conv_stack(x, kernels, biases, activation, padding, training, recompute, shards):
    """`keras_deepinit.ops.conv_stack.conv_stack`, arguments checked; `shards`
    is ignored."""
    del shards
    kernel_size = tuple(kernels.shape[1:3])
    # Keras "same" padding: (k - 1) // 2 before, k // 2 after.
    pads = [((k - 1) // 2, k // 2) for k in kernel_size]
    if padding == "circular":
        pad = _circular_padding(x.shape[1:3], pads, x.device)
    elif all(k % 2 for k in kernel_size):
        pad = None
    else:
        pad = functools.partial(F.pad, pad=[p for pair in pads[::-1] for p in pair])

    def layer(x, kernel, bias):
        if pad is None:
            z = F.conv2d(x, kernel, bias, padding=[k // 2 for k in kernel_size])
        else:
            z = F.conv2d(pad(x), kernel, bias)
        return activation(z)

    def run(x, kernels, biases):
        for kernel, bias in zip(kernels, biases, strict=True):
            x = layer(x, kernel, bias)
        return x

    x = x.permute(0, 3, 1, 2)
    kernels = kernels.permute(0, 4, 3, 1, 2).unbind(0)
    biases = biases.unbind(0)
    depth = len(kernels)
    if training and recompute and depth > 1 and torch.is_grad_enabled():
        segment = math.ceil(math.sqrt(depth))
        for start in range(0, depth, segment):
            part = slice(start, start + segment)
            x = checkpoint(
                lambda x, part=part: run(x, kernels[part], biases[part]),
                x,
                use_reentrant=False,
            )
    else:
        x = run(x, kernels, biases)
    return x.permute(0, 2, 3, 1)


def _circular_padding(map_size, pads, device):
    """Pads a channels-first `map_size` map circularly: one gather."""
    (height, width), ((top, bottom), (left, right)) = map_size, pads
    rows = np.arange(-top, height + bottom) % height
    columns = np.arange(-left, width + right) % width
    index = torch.as_tensor((rows[:, None] * width + columns).ravel(), device=device)
    padded_size = (len(rows), len(columns))

    def pad(x):
        flat = x.flatten(2).index_select(2, index)
        return flat.unflatten(2, padded_size)

    return pad
