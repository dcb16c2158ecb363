"""The path view of a normalized residual network (De & Smith, 2020, Figure 3).

Unrolled, a residual network of `d` blocks `x_i = x_{i-1} + f_i(x_{i-1})` is a
sum of `2^d` paths, each through some set of residual branches. The model
here: every branch is linear at initialization with a normalization in front
of it (batch normalization), so branch `i` outputs unit variance whatever
its input's, and the residual stream's variance grows by 1 per block:
`Var(x_i) = v + i` for an input of variance `v`. A path through the set of
branches `S` then carries variance `v * prod_{i in S} 1 / (v + i - 1)`, and
all paths together `v + d`. With the weights `w_i = 1 / (v + i - 1)`, the
share of the total carried by paths through exactly `k` branches is the
probability of `k` successes among independent trials of probabilities
`w_i / (1 + w_i) = 1 / (v + i)`: a Poisson-binomial distribution, computed
here exactly, with no overflow at any depth.

Most of the variance runs through few branches: the expected count is
`sum_i 1 / (v + i)`, about `ln(d / v)`, so a normalized network of 10,000
blocks behaves like an ensemble of shallow ones.
"""

import numpy as np

from keras_deepinit.plotting import new_figure
from keras_deepinit.plotting import save_figure


def _check(depth, input_variance):
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)):
        raise ValueError(f"Expected depth to be an integer. Received: depth={depth!r}")
    if depth < 1:
        raise ValueError(f"Expected depth to be at least 1. Received: depth={depth!r}")
    if not input_variance > 0:
        raise ValueError(
            "Expected input_variance to be positive. "
            f"Received: input_variance={input_variance!r}"
        )


def path_variance_shares(depth, input_variance=1.0, max_branches=None):
    """Share of the output's variance carried by paths through `k` branches.

    Examples:

    >>> shares = path_variance_shares(2)
    >>> [round(float(share), 4) for share in shares]  # 3 = 1 + 1 + 1/2 * 2
    [0.3333, 0.5, 0.1667]

    Args:
        depth: number of residual blocks `d`.
        input_variance: variance `v` of the residual stream entering the
            first block (with unit-variance branches).
        max_branches: return `k = 0..max_branches` only (the shares beyond
            are then left out; they still count in the total). None: all
            `k = 0..depth`.

    Returns:
        Array of shares, `[k]` for paths through exactly `k` branches,
        summing to 1 when `max_branches` is None.
    """
    _check(depth, input_variance)
    size = depth + 1 if max_branches is None else min(max_branches, depth) + 1
    shares = np.zeros(size)
    shares[0] = 1.0
    for i in range(1, depth + 1):
        p = 1.0 / (input_variance + i)
        # One more trial: k stays with 1 - p, k - 1 moves up with p.
        shares[1:] = shares[1:] * (1 - p) + shares[:-1] * p
        shares[0] *= 1 - p
    return shares


def residual_stream_variance(depth, input_variance=1.0):
    """`Var(x_i) = v + i` for `i = 0..depth`: the sum over all paths."""
    _check(depth, input_variance)
    return input_variance + np.arange(depth + 1, dtype="float64")


def plot_path_variance_shares(
    depths=(100, 1000, 10000),
    input_variance=1.0,
    max_branches=40,
    out="residual_paths.png",
):
    """Plots the share of the output's variance against the branch count.

    Two panels: the share from paths through exactly `k` branches, and the
    cumulative share through at most `k`, one curve per depth.

    Args:
        depths: numbers of residual blocks, one curve each.
        input_variance: variance of the stream entering the first block.
        max_branches: the largest branch count drawn.
        out: path of the PNG to write; parent folders are created.

    Returns:
        `out`, as a string.
    """
    figure, (left, right) = new_figure(1, 2, figsize=(10, 4))
    k = np.arange(max_branches + 1)
    for depth in depths:
        shares = path_variance_shares(depth, input_variance, max_branches)
        left.plot(k[: len(shares)], shares, "o-", markersize=3, label=f"d = {depth:,}")
        right.plot(k[: len(shares)], np.cumsum(shares), "o-", markersize=3)
    left.set(
        xlabel="residual branches on the path, k",
        ylabel="share of the output variance",
        title="paths through exactly k branches",
    )
    right.set(
        xlabel="residual branches on the path, k",
        ylabel="cumulative share",
        title="paths through at most k branches",
        ylim=(0, 1.02),
    )
    left.legend()
    figure.suptitle(
        "Normalized residual network at initialization "
        f"(unit-variance branches, input variance {input_variance:g})"
    )
    figure.tight_layout()
    return save_figure(figure, out)
