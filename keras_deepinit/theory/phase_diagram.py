"""Which depths a random network can carry a signal through, over `sigma_w2`.

For each `sigma_w2` the correlation map is iterated from `c0`; what is left of
the input's distance from the fixed point, `|c^L - c*| / |c^0 - c*|`, shrinks
like `exp(-L / xi_c)`. Beyond about `6 xi_c` layers it is lost, and so is
trainability (Schoenholz et al., 2017; Xiao et al., 2018, Figure 2).
"""

import dataclasses

import numpy as np

from keras_deepinit.plotting import new_figure
from keras_deepinit.plotting import save_figure
from keras_deepinit.theory.activations import get_activation
from keras_deepinit.theory.critical import critical_sigma_w2
from keras_deepinit.theory.mean_field import analyze
from keras_deepinit.theory.mean_field import check_variance
from keras_deepinit.theory.mean_field import correlation_map

# Distances from c* below this are rounding; trajectories stop there.
DISTANCE_FLOOR = 1e-15
# The plot's color floor: c* itself is found to about 1e-14.
SIGNAL_FLOOR = -12


@dataclasses.dataclass(frozen=True)
class PhaseDiagram:
    """A trainability signal on a grid of `sigma_w2` (columns) and depth (rows).

    Args:
        activation: the activation's name.
        sigma_b2: bias variance.
        c0: input correlation the trajectories start from.
        sigma_w2: the grid's weight variances, shape `(n,)`.
        depth: the grid's depths, shape `(m,)`.
        signal: `log10(|c^L - c*| / |c^0 - c*|)`, shape `(m, n)`; NaN where
            `q*` is infinite or `c0 = c*`.
        max_depth: `6 xi_c` per `sigma_w2`, shape `(n,)`.
        critical_sigma_w2: the critical `sigma_w2` at `sigma_b2`, or None.
    """

    activation: str
    sigma_b2: float
    c0: float
    sigma_w2: np.ndarray
    depth: np.ndarray
    signal: np.ndarray
    max_depth: np.ndarray
    critical_sigma_w2: float | None


def _check_grid(sigma_w2_range, max_depth, num_sigma_w2, num_depths, c0):
    if len(sigma_w2_range) != 2 or not 0 <= sigma_w2_range[0] < sigma_w2_range[1]:
        raise ValueError(
            f"Expected sigma_w2_range to be (low, high) with 0 <= low < high. "
            f"Received: sigma_w2_range={sigma_w2_range!r}"
        )
    for name, value, least in (
        ("max_depth", max_depth, 1),
        ("num_sigma_w2", num_sigma_w2, 2),
        ("num_depths", num_depths, 2),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(
                f"Expected {name} to be an integer >= {least}. "
                f"Received: {name}={value!r}"
            )
    if not -1 <= c0 <= 1:
        raise ValueError(f"Expected c0 in [-1, 1]. Received: c0={c0!r}")


def phase_diagram(
    activation="tanh",
    sigma_b2=0.05,
    sigma_w2_range=(0.5, 4.0),
    max_depth=1000,
    num_sigma_w2=64,
    num_depths=48,
    c0=0.5,
):
    """Computes a `PhaseDiagram` from mean-field correlation trajectories.

    Examples:

    >>> diagram = phase_diagram("tanh", 0.05, (1.0, 2.5), 50, 7, 5)
    >>> diagram.signal.shape
    (5, 7)

    Args:
        activation: a name or numpy callable (see `get_activation`).
        sigma_b2: bias variance.
        sigma_w2_range: `(low, high)` of the evenly spaced `sigma_w2` grid.
        max_depth: deepest depth; depths are spaced evenly in log scale.
        num_sigma_w2: number of `sigma_w2` values.
        num_depths: at most this many depths (repeats after rounding dropped).
        c0: correlation of the two inputs.
    """
    act = get_activation(activation)
    sigma_b2 = check_variance("sigma_b2", sigma_b2)
    _check_grid(sigma_w2_range, max_depth, num_sigma_w2, num_depths, c0)
    sigma_w2 = np.linspace(*sigma_w2_range, num_sigma_w2)
    depth = np.unique(np.geomspace(1, max_depth, num_depths).round().astype(int))
    signal = np.full((len(depth), len(sigma_w2)), np.nan)
    scales = np.full(len(sigma_w2), np.nan)
    for column, w in enumerate(sigma_w2):
        try:
            point = analyze(act, w, sigma_b2)
        except ValueError:  # q grows without bound.
            continue
        scales[column] = point.max_depth
        start = abs(c0 - point.c_star)
        if start == 0:
            continue
        q = max(point.q_star, 1e-200)
        distances = np.full(max_depth + 1, DISTANCE_FLOOR)
        c = c0
        for layer in range(max_depth + 1):
            distances[layer] = max(abs(c - point.c_star), DISTANCE_FLOOR)
            if distances[layer] == DISTANCE_FLOOR:
                break
            c = float(correlation_map(act, w, sigma_b2, c, q))
        signal[:, column] = np.log10(distances[depth] / start)
    try:
        critical = critical_sigma_w2(act, sigma_b2)
    except ValueError:
        critical = None
    return PhaseDiagram(
        activation=act.name,
        sigma_b2=sigma_b2,
        c0=float(c0),
        sigma_w2=sigma_w2,
        depth=depth,
        signal=signal,
        max_depth=scales,
        critical_sigma_w2=critical,
    )


def plot_phase_diagram(
    activation="tanh",
    sigma_b2=0.05,
    sigma_w2_range=(0.5, 4.0),
    max_depth=1000,
    out="phase_diagram.png",
    num_sigma_w2=64,
    num_depths=48,
    c0=0.5,
):
    """Draws the phase diagram as a heat map with the `6 xi_c` curve; saves a PNG.

    Depth is on a log axis. A star and a dotted line mark the critical
    `sigma_w2`, where `6 xi_c` diverges.

    Examples:

    >>> plot_phase_diagram("tanh", out="figures/tanh.png")  # doctest: +SKIP
    'figures/tanh.png'

    Args:
        activation: a name or numpy callable (see `get_activation`).
        sigma_b2: bias variance.
        sigma_w2_range: `(low, high)` of the `sigma_w2` axis.
        max_depth: deepest depth drawn.
        out: path of the PNG to write; parent folders are created.
        num_sigma_w2: number of `sigma_w2` values.
        num_depths: number of depths.
        c0: correlation of the two inputs.

    Returns:
        `out`, as a string.
    """
    diagram = phase_diagram(
        activation, sigma_b2, sigma_w2_range, max_depth, num_sigma_w2, num_depths, c0
    )
    figure, axis = new_figure(figsize=(7, 4.5))
    mesh = axis.pcolormesh(
        diagram.sigma_w2,
        diagram.depth,
        np.maximum(diagram.signal, SIGNAL_FLOOR),
        shading="nearest",
        cmap="magma",
    )
    figure.colorbar(mesh, ax=axis, label="log10 |c^L - c*| / |c^0 - c*|")
    axis.plot(diagram.sigma_w2, diagram.max_depth, "w--", label="6 xi_c")
    critical = diagram.critical_sigma_w2
    if critical is not None and sigma_w2_range[0] <= critical <= sigma_w2_range[1]:
        axis.axvline(critical, color="c", linestyle=":")
        axis.plot(
            [critical],
            [diagram.depth[-1]],
            "c*",
            markersize=14,
            clip_on=False,
            label=f"critical sigma_w2 = {critical:.4g}",
        )
    axis.set_yscale("log")
    axis.set_ylim(diagram.depth[0], diagram.depth[-1])
    axis.set_xlabel("sigma_w2")
    axis.set_ylabel("depth L")
    axis.set_title(
        f"{diagram.activation}, sigma_b2 = {diagram.sigma_b2:g}, c0 = {diagram.c0:g}"
    )
    axis.legend(loc="lower right", fontsize=8, facecolor="0.3", labelcolor="w")
    figure.tight_layout()
    return save_figure(figure, out)
